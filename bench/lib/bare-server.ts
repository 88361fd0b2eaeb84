// The baseline of bench/http.ts: a bare node:http (or node:https) server that answers every
// request with one recorded response — the very status, headers and bytes the service sent — so
// the ratio measures what the service adds over Node's own HTTP stack. Run as its own process.
// Usage: bare-server.ts RESPONSE.json [CERT KEY]; prints `listening PORT` on stdout.
import { readFileSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';

interface Recorded {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Base64 of the body bytes (empty for HEAD). */
  readonly body: string;
}

const [file, certFile, keyFile] = process.argv.slice(2);
if (!file) throw new Error('usage: bare-server.ts RESPONSE.json [CERT KEY]');
const recorded = JSON.parse(readFileSync(file, 'utf8')) as Recorded;
const body = Buffer.from(recorded.body, 'base64');

const answer = (_request: IncomingMessage, response: ServerResponse): void => {
  response.writeHead(recorded.status, recorded.headers);
  response.end(body);
};

const server =
  certFile && keyFile
    ? createHttps({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, answer)
    : createHttp(answer);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
