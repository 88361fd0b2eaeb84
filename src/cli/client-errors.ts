// Answers bytes Node's HTTP parser refuses (a method nobody recognises, a malformed request line or
// header, headers too large, a request too slow) without breaking the answers to the requests
// parsed before them on the same connection. Node's own handler writes its 400 over an answer
// still being prepared, or destroys the connection under one already sent with
// `Connection: keep-alive`; a client then reuses that connection for its next request, which gets
// no answer at all (the fuzz suite's "socket hang up", docs/fuzzing.md).
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { UnparsedAnswer, UnparsedProblem } from '../redfish/unparsed-requests.ts';

const problemOf = (code: string | undefined): UnparsedProblem => {
  switch (code ?? '') {
    case 'HPE_INVALID_METHOD':
      return 'unknownMethod';
    case 'HPE_HEADER_OVERFLOW':
      return 'headersTooLarge';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'timeout';
    default:
      return 'malformed';
  }
};

export interface ClientErrors {
  /** To be told of every request, before its handler runs (the last one per connection counts). */
  readonly track: (request: IncomingMessage, response: ServerResponse) => void;
  /** The servers' `clientError` listener. */
  readonly onClientError: (error: NodeJS.ErrnoException, socket: Duplex) => void;
}

/** Answers with `answer`, and always as the last response on the connection. */
export const clientErrors = (
  answer: (problem: UnparsedProblem) => UnparsedAnswer,
): ClientErrors => {
  /** The response to the latest request parsed on each connection (its `req` is the request),
   *  kept on the socket under a private key: this runs on every request, and a property write
   *  costs less than an object and a WeakMap entry each time (issue 12). */
  const latest = Symbol('latest response');
  type Tracked = Duplex & { [latest]?: ServerResponse };
  /** Connections already being closed: the parser reports every later chunk as an error too. */
  const closing = new WeakSet<Duplex>();

  const refuse = (error: NodeJS.ErrnoException, socket: Duplex): void => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const { status, headers, body } = answer(problemOf(error.code));
    const head = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
    ];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  };

  const onClientError = (error: NodeJS.ErrnoException, socket: Duplex): void => {
    if (closing.has(socket)) return;
    closing.add(socket);
    // Nobody to answer on a reset peer.
    if (error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const response = (socket as Tracked)[latest];
    if (response === undefined || response.writableFinished) {
      refuse(error, socket);
      return;
    }
    const request = response.req;
    if (!request.complete) {
      // The error lies in that request itself (its body's framing): the error is its answer,
      // unless one is already under way, which must not be corrupted by a second.
      if (!response.headersSent) refuse(error, socket);
      else response.once('finish', () => socket.destroy());
      return;
    }
    // The bytes after a whole request. Its answer comes first, in order (RFC 9112 §9.3.2), and
    // whatever is sent last says `Connection: close`, so that no client reuses the connection.
    if (!response.headersSent) {
      // Node closes the connection after an answer that says so; the refused bytes get no
      // answer of their own (RFC 9112 §9.6: nothing is processed after `close`), and a client
      // that pipelined them sends them again on a new connection.
      response.setHeader('Connection', 'close');
      return;
    }
    // The answer already went out as keep-alive: the refusal follows it.
    response.once('finish', () => refuse(error, socket));
  };

  return {
    track: (request, response) => {
      (request.socket as Tracked)[latest] = response;
    },
    onClientError,
  };
};
