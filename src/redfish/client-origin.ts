// Where a request came from as the HTTP layer sees it, read the same way by the Fastify path and
// the cached-read path (node:http's IncomingMessage and Fastify's request both fit).
import type { IncomingHttpHeaders } from 'node:http';
import type { ClientOrigin } from '../auth/types.ts';

/** The socket peer and the forwarding headers; whether they count is auth's decision. */
export const originOf = (request: {
  readonly headers: IncomingHttpHeaders;
  readonly socket: { readonly remoteAddress?: string | undefined } | null;
}): ClientOrigin => {
  const forwardedFor = request.headers['x-forwarded-for'];
  // One shape for every request, no spreads: this runs on every request, and objects built by
  // spreading outlived young-space collections (issue 12).
  return {
    remoteAddress: request.socket?.remoteAddress ?? '',
    // Repeated headers are one list (RFC 9110 §5.3).
    forwardedFor: Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor,
    forwarded: request.headers.forwarded,
  };
};

/** Whether the request came over TLS (the listener serves HTTPS and plain HTTP on one port). */
export const isEncrypted = (request: { readonly socket: unknown }): boolean =>
  (request.socket as { encrypted?: boolean } | null)?.encrypted === true;
