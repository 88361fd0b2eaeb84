// Requests that reuse a keep-alive connection after bytes the HTTP parser refused (issue 11, the
// fuzz suite's unanswered requests): every request the service parsed gets its own answer, in
// order, and the last answer on a connection the service closes says `Connection: close`, so a
// client never sends its next request into a closing connection.
import { strict as assert } from 'node:assert';
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import { startService, type TestService } from '../helpers/service.ts';

interface Answer {
  readonly status: number;
  readonly connection: string | undefined;
  readonly messageId: string | undefined;
  /** Which connection of the agent carried the exchange (1, 2...). */
  readonly socket: number;
}

void describe('keep-alive connections after refused bytes', () => {
  let service: TestService;
  before(async () => {
    service = await startService();
  });
  after(() => service.close());

  /** A client on one connection at a time, as a keep-alive agent reuses it. */
  const client = () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new WeakMap<object, number>();
    let connections = 0;
    const { hostname, port } = new URL(service.url);
    const send = (method: string, path: string, body?: string): Promise<Answer> =>
      new Promise((resolve, reject) => {
        const outgoing = httpRequest(
          { host: hostname, port: Number(port), method, path, agent },
          (response) => {
            let text = '';
            response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
            response.on('end', () => {
              const parsed = JSON.parse(text) as { error?: { code?: string } };
              validateRedfish(parsed);
              resolve({
                status: response.statusCode ?? 0,
                connection: response.headers.connection,
                messageId: parsed.error?.code?.split('.').pop(),
                socket: sockets.get(outgoing.socket ?? {}) ?? 0,
              });
            });
          },
        );
        outgoing.on('socket', (socket) => {
          if (!sockets.has(socket)) sockets.set(socket, ++connections);
        });
        outgoing.on('error', reject);
        // Node's client sends a DELETE or OPTIONS body with neither Content-Length nor chunked
        // framing: to the server the body is the start of the next request, and not a valid one.
        outgoing.end(body);
      });
    return { send, close: () => agent.destroy() };
  };

  // The sequence the fuzz suite found: a DELETE with a body to a URL that answers at once (no
  // authentication to wait for), then any request on the same connection.
  const sequences = [
    ['DELETE', '/redfish/v1/NoSuchThing', 404, 'InvalidURI'],
    ['DELETE', '/redfish/v1', 405, 'OperationNotAllowed'],
    ['OPTIONS', '/redfish/v1/$metadata', 405, 'OperationNotAllowed'],
    ['DELETE', '/redfish/v1/Systems', 401, 'AccessUnauthorized'],
  ] as const;

  void it('answers a request followed by refused bytes, with Connection: close', async () => {
    for (const [method, path, status, messageId] of sequences) {
      const { send, close } = client();
      try {
        const first = await send(method, path, '{"ResetType":"On"}');
        // Its own answer, not the refusal of the bytes after it.
        assert.deepEqual([first.status, first.messageId], [status, messageId], path);
        assert.equal(first.connection, 'close', `${method} ${path} closes the connection`);
        const next = await send('TRACE', '/redfish/v1/JsonSchemas');
        assert.equal(next.status, 401, `${method} ${path}: the next request is answered`);
        assert.equal(next.socket, 2, 'on a new connection');
      } finally {
        close();
      }
    }
  });

  void it('answers a request queued behind it on the same agent', async () => {
    // Node hands a queued request the freed connection without marking it reused, so a client
    // cannot even tell it could retry: the service must not close a connection unannounced.
    for (const [method, path, status] of sequences) {
      const { send, close } = client();
      try {
        const [first, next] = await Promise.all([
          send(method, path, '{"a":1}'),
          send('TRACE', '/redfish/v1/JsonSchemas'),
        ]);
        assert.equal(first.status, status);
        assert.equal(next.status, 401, `${method} ${path}: the queued request is answered`);
      } finally {
        close();
      }
    }
  });

  /** Writes each chunk once the previous answers arrived; returns the status lines read, and
   *  resolves when the service closes the connection. */
  const exchange = (chunks: readonly string[]): Promise<string[]> =>
    new Promise((resolve, reject) => {
      const { hostname, port } = new URL(service.url);
      let text = '';
      let sent = 0;
      // A status line follows the previous body directly (no line break before it).
      const statusLines = () => text.match(/HTTP\/1\.1 \d{3} [^\r]*/g) ?? [];
      const socket = connect(Number(port), hostname, () => socket.write(chunks[sent++] ?? ''));
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if (sent < chunks.length && statusLines().length >= sent) socket.write(chunks[sent++]!);
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(statusLines()));
    });
  const get = 'GET /redfish/v1/ HTTP/1.1\r\nHost: x\r\n\r\n';
  const fake = 'FAKEMETHOD /redfish/v1/ HTTP/1.1\r\nHost: x\r\n\r\n';

  void it('answers pipelined requests in order and nothing after a refusal', async () => {
    // Arrived together: the parsed request is answered and closes the connection.
    assert.deepEqual(await exchange([`${get}${get}${fake}${get}`]), [
      'HTTP/1.1 200 OK',
      'HTTP/1.1 200 OK',
    ]);
    // Arrived after an answer that kept the connection open: the refusal is answered.
    assert.deepEqual(await exchange([get, fake]), [
      'HTTP/1.1 200 OK',
      'HTTP/1.1 501 Not Implemented',
    ]);
  });

  void it('answers a request whose own body is malformed', async () => {
    const login =
      'POST /redfish/v1/SessionService/Sessions HTTP/1.1\r\nHost: x\r\n' +
      'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n';
    assert.deepEqual(await exchange([login]), ['HTTP/1.1 400 Bad Request']);
  });
});
