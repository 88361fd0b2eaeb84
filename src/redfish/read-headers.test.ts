import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { readHeaders } from './read-headers.ts';

/** `request.headers` as node:http builds it from these raw lines. */
const nodeHeaders = (raw: string[]) => {
  const message = new IncomingMessage(new Socket());
  (message as unknown as { _addHeaderLines(h: string[], n: number): void })._addHeaderLines(
    raw,
    raw.length,
  );
  return message.headers;
};

const names = [
  'Authorization',
  'authorization',
  'X-Auth-Token',
  'x-auth-token',
  'X-Forwarded-For',
  'Forwarded',
  'OData-Version',
  'odata-version',
  'If-Match',
  'If-None-Match',
  'Transfer-Encoding',
  'Content-Length',
  'Host',
  'Accept',
  'Accept-Encoding',
  'X-Custom-Header',
];
const values = fc.oneof(
  fc.constantFrom('4.0', ' 4.0 ', '4.01', '0', '1', 'Basic YTpi', 'token', '10.0.0.1'),
  fc.string({ maxLength: 12 }),
);
const rawHeaders = fc
  .array(fc.tuple(fc.constantFrom(...names), values), { maxLength: 8 })
  .map((lines) => lines.flat());

void describe('readHeaders', () => {
  void it('reads what node:http puts in request.headers, or leaves the request to the full path', () => {
    fc.assert(
      fc.property(rawHeaders, (raw) => {
        const read = readHeaders(raw);
        const headers = nodeHeaders(raw);
        const version = headers['odata-version'];
        const eligible =
          (version === undefined || (typeof version === 'string' && version.trim() === '4.0')) &&
          headers['if-match'] === undefined &&
          headers['if-none-match'] === undefined &&
          headers['transfer-encoding'] === undefined &&
          (headers['content-length'] === undefined || headers['content-length'] === '0');
        // Never answered where the full path would see a precondition, a body or another version.
        if (!eligible) assert.equal(read, undefined);
        if (read === undefined) return;
        assert.equal(read.authorization, headers.authorization);
        assert.equal(read.authToken, headers['x-auth-token']);
        assert.equal(read.forwardedFor, headers['x-forwarded-for']);
        assert.equal(read.forwarded, headers.forwarded);
      }),
      { numRuns: 2000 },
    );
  });

  void it('reads a plain request, and leaves one with a header sent twice', () => {
    assert.deepEqual(readHeaders(['Host', 'x', 'Authorization', 'Basic YTpi']), {
      authorization: 'Basic YTpi',
      authToken: undefined,
      forwardedFor: undefined,
      forwarded: undefined,
    });
    assert.equal(readHeaders(['X-Auth-Token', 'a', 'x-auth-token', 'b']), undefined);
    assert.equal(readHeaders(['Authorization', 'Basic a', 'authorization', 'Basic b']), undefined);
    assert.equal(readHeaders(['OData-Version', '4.0', 'If-None-Match', '"e"']), undefined);
  });
});
