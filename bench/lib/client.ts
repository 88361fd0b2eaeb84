// Loopback HTTP(S) clients for the benchmarks: a GET that counts bytes to the last one (the body
// is kept only when asked, so the client costs little next to the server it measures), and a
// watch stream split into lines. Keep-alive agents, as client-node and Redfish clients use.
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';

export interface Fetched {
  readonly status: number;
  readonly bytes: number;
  /** Request start to last body byte. */
  readonly ms: number;
  readonly body?: string;
}

export interface Client {
  get(path: string, keepBody?: boolean): Promise<Fetched>;
  request(method: string, path: string, body?: unknown): Promise<Fetched>;
  /** Opens a streaming GET and hands each complete line to `onLine`. */
  stream(path: string, onLine: (line: string) => void): Promise<{ close(): void }>;
  close(): void;
}

export const createClient = (options: {
  readonly baseUrl: string;
  readonly headers: Record<string, string>;
  /** CA for an HTTPS server with a generated certificate. */
  readonly caPem?: string;
}): Client => {
  const base = new URL(options.baseUrl);
  const secure = base.protocol === 'https:';
  const agent = secure
    ? new https.Agent({
        keepAlive: true,
        maxSockets: Infinity,
        ...(options.caPem ? { ca: options.caPem } : {}),
      })
    : new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const send = secure ? https.request : http.request;

  const open = (method: string, path: string, body: string | undefined) => {
    const headers: Record<string, string | number> = { ...options.headers };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    return send(new URL(path, base), { method, agent, headers });
  };

  const request = (method: string, path: string, payload?: unknown, keepBody = true) =>
    new Promise<Fetched>((resolve, reject) => {
      const start = performance.now();
      const body = payload === undefined ? undefined : JSON.stringify(payload);
      const req = open(method, path, body);
      req.on('error', reject);
      req.on('response', (res) => {
        let bytes = 0;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (keepBody) chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            bytes,
            ms: performance.now() - start,
            ...(keepBody ? { body: Buffer.concat(chunks).toString('utf8') } : {}),
          }),
        );
      });
      req.end(body);
    });

  return {
    get: (path, keepBody = false) => request('GET', path, undefined, keepBody),
    request: (method, path, body) => request(method, path, body),
    stream: (path, onLine) =>
      new Promise((resolve, reject) => {
        const req = open('GET', path, undefined);
        req.on('error', reject);
        req.on('response', (res) => {
          if (res.statusCode !== 200) {
            reject(new Error(`GET ${path} answered ${res.statusCode ?? 0}`));
            res.resume();
            return;
          }
          let partial = '';
          res.setEncoding('utf8');
          res.on('data', (text: string) => {
            const lines = (partial + text).split('\n');
            partial = lines.pop() ?? '';
            for (const line of lines) if (line !== '') onLine(line);
          });
          // Closing the stream on purpose ends it with an abort: not a failure.
          res.on('error', () => undefined);
          resolve({ close: () => req.destroy() });
        });
        req.end();
      }),
    close: () => agent.destroy(),
  };
};
