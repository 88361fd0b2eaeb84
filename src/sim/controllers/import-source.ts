// Where the simulated CDI importer gets bytes from: loopback URLs are really downloaded over
// HTTP(S) (so tests can serve an image or a 404), every other URL follows a configurable rule
// and a simulated download time. Errors read like the real importer's termination messages.
import { STATUS_CODES, get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';

/** What happens to a non-loopback import. */
export type ImportOutcome =
  | {
      readonly result: 'succeed';
      readonly durationMs?: number;
      /** The image's virtual size, which must fit the claim. */
      readonly sizeBytes?: number;
    }
  | { readonly result: 'fail'; readonly message: string };

/** Decides the outcome of importing from a non-loopback URL. */
export type ImportRule = (url: URL) => ImportOutcome;

export const succeedAll: ImportRule = () => ({ result: 'succeed' });

/** Hosts matching `pattern` fail like an unresolvable name; all others succeed. */
export const failHosts =
  (pattern: RegExp, message?: string): ImportRule =>
  (url) =>
    pattern.test(url.hostname)
      ? {
          result: 'fail',
          message:
            message ??
            `Get "${url.href}": dial tcp: lookup ${url.hostname} on 10.96.0.10:53: no such host`,
        }
      : { result: 'succeed' };

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);
export const isLoopback = (url: URL): boolean => loopbackHosts.has(url.hostname);

export interface TransferHandlers {
  /** Bytes read so far and the total when the server sent Content-Length. */
  onProgress(read: number, total: number | undefined): void;
  /** Transfer ended: undefined on success, else the error detail. */
  onDone(error: string | undefined): void;
}

export interface LoopbackRequest {
  readonly url: URL;
  readonly basicAuth?: { readonly user: string; readonly password: string };
  readonly insecureSkipVerify?: boolean;
  readonly caPem?: string;
}

const networkError = (url: URL, error: NodeJS.ErrnoException): string => {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (error.code === 'ECONNREFUSED')
    return `Get "${url.href}": dial tcp ${url.hostname}:${port}: connect: connection refused`;
  return `Get "${url.href}": ${error.message}`;
};

/** Downloads a loopback URL, discarding the bytes. Returns a cancel function. */
export const fetchLoopback = (
  request: LoopbackRequest,
  handlers: TransferHandlers,
): (() => void) => {
  const { url } = request;
  let finished = false;
  const done = (error: string | undefined): void => {
    if (finished) return;
    finished = true;
    handlers.onDone(error);
  };
  const headers: Record<string, string> = { 'User-Agent': 'cdi-golang-importer' };
  if (request.basicAuth)
    headers.Authorization = `Basic ${Buffer.from(`${request.basicAuth.user}:${request.basicAuth.password}`).toString('base64')}`;
  const onResponse = (response: IncomingMessage): void => {
    const code = response.statusCode ?? 0;
    if (code !== 200) {
      response.resume();
      done(
        `expected status code 200, got ${code}. Status: ${code} ${response.statusMessage ?? STATUS_CODES[code] ?? ''}`,
      );
      return;
    }
    const length = Number(response.headers['content-length']);
    const total = Number.isFinite(length) && length > 0 ? length : undefined;
    let read = 0;
    response.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (!finished) handlers.onProgress(read, total);
    });
    response.on('end', () =>
      done(total !== undefined && read < total ? 'unexpected EOF' : undefined),
    );
    response.on('error', (error) => done(error.message));
  };
  const options = {
    headers,
    ...(url.protocol === 'https:'
      ? {
          rejectUnauthorized: request.insecureSkipVerify !== true,
          ...(request.caPem ? { ca: request.caPem } : {}),
        }
      : {}),
  };
  const outgoing =
    url.protocol === 'https:'
      ? httpsGet(url, options, onResponse)
      : httpGet(url, options, onResponse);
  outgoing.on('error', (error: NodeJS.ErrnoException) => done(networkError(url, error)));
  return () => {
    finished = true;
    outgoing.destroy();
  };
};
