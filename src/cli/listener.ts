// The network listener in front of the Fastify app. With TLS it serves HTTPS and plain HTTP on
// the same port, told apart by the first byte (a TLS ClientHello starts with 0x16), because
// redfishtool's default mode reads the service root over http and everything else over https on
// the same host:port (clients-and-peers.md §4.6). Certificates reload when their files change.
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { UnparsedAnswer, UnparsedProblem } from '../redfish/unparsed-requests.ts';
import { clientErrors } from './client-errors.ts';

/** How long an idle keep-alive connection stays open. It must outlast the idle time after which
 *  clients and proxies stop reusing a connection (undici 4 s, load balancers commonly 60 s): when
 *  the server closes first, a request sent on the closing socket fails with ECONNRESET (seen as
 *  intermittent "fetch failed" under load with Node's 5 s default). */
const keepAliveTimeoutMs = 65_000;

/** Applies the keep-alive policy to a server of this listener. */
const keepAlive = <T extends { keepAliveTimeout: number }>(server: T): T => {
  server.keepAliveTimeout = keepAliveTimeoutMs;
  return server;
};

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface Listener {
  /** The address actually bound (port 0 resolves to an ephemeral port). */
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

const tlsHandshakeByte = 0x16;

/** Hands a connection to the HTTP or the HTTPS server according to its first byte. */
const dispatchByFirstByte = (
  socket: Socket,
  plain: ReturnType<typeof createHttpServer>,
  secure: ReturnType<typeof createHttpsServer>,
): void => {
  socket.once('readable', () => {
    const first: Buffer | null = socket.read(1) as Buffer | null;
    if (first === null) {
      socket.destroy();
      return;
    }
    socket.unshift(first);
    const target = first[0] === tlsHandshakeByte ? secure : plain;
    target.emit('connection', socket);
  });
  socket.on('error', () => socket.destroy());
};

export const listen = async (options: {
  readonly host: string;
  readonly port: number;
  readonly handler: RequestHandler;
  readonly tls?: TlsFiles;
  /** Told when reloading the certificate fails (the old one stays in use). */
  readonly onTlsError?: (error: unknown) => void;
  /** The answer to a request Node's parser refuses (default: Node's bare 400). */
  readonly answerUnparsed?: (problem: UnparsedProblem) => UnparsedAnswer;
}): Promise<Listener> => {
  const errors = options.answerUnparsed && clientErrors(options.answerUnparsed);
  const onClientError = errors?.onClientError;
  const handler: RequestHandler = errors
    ? (request, response) => {
        errors.track(request, response);
        // Handled once the parser has gone through the rest of what arrived with the request:
        // when bytes after it are refused (a body sent without Content-Length, as Node's own
        // client sends one with DELETE), its answer, even one ready at once, can still say
        // `Connection: close` instead of being followed by a refusal the client never expects.
        queueMicrotask(() => options.handler(request, response));
      }
    : options.handler;
  const plain = keepAlive(createHttpServer(handler));
  const servers: { close(): void; closeAllConnections(): void }[] = [plain];
  if (onClientError) plain.on('clientError', onClientError);
  let front: Server = plain;
  let watcher: FSWatcher | undefined;
  if (options.tls) {
    const tls = options.tls;
    const load = async () => ({
      cert: await readFile(tls.certFile),
      key: await readFile(tls.keyFile),
    });
    const secure = keepAlive(createHttpsServer(await load(), handler));
    if (onClientError) secure.on('clientError', onClientError);
    servers.push(secure);
    front = createNetServer((socket) => dispatchByFirstByte(socket, plain, secure));
    // Mounted Secrets change by a symlink swap in the directory, so watch the directory.
    watcher = watch(dirname(tls.certFile), () => {
      load().then(
        (material) => secure.setSecureContext(material),
        (error: unknown) => options.onTlsError?.(error),
      );
    });
  }
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(options.port, options.host, () => resolve());
  });
  const address = front.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    host: options.host,
    close: async () => {
      watcher?.close();
      for (const server of servers) {
        server.close();
        server.closeAllConnections();
      }
      await new Promise<void>((resolve) => {
        if (!front.listening) resolve();
        else front.close(() => resolve());
      });
    },
  };
};
