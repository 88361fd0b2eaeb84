// The read path in front of Fastify (issue 12): a GET or HEAD of a resource, by a caller whose
// credentials are known from memory, is answered straight from node:http — the route matched,
// the same privilege check, the handler run (scope and all), its memoised representation written
// with one writeHead and one end — without Fastify's request, reply, hooks and header handling,
// which cost most of such a request. Anything it cannot answer exactly as the full path would
// goes to Fastify untouched: a query string, a precondition, an unusual URL or body, credentials
// not verified before, an error, anything but a plain 200.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Authenticator, ClientOrigin, Principal, Privilege } from '../auth/types.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { BoundedMap } from '../util/memo.ts';
import type { RequestTally } from '../observability/request-metrics.ts';
import { isEncrypted } from './client-origin.ts';
import {
  allowedMethods,
  type HandlerReply,
  type RedfishDependencies,
  type Route,
  type RouteTable,
} from './handler.ts';
import { readHeaders, type ReadHeaders } from './read-headers.ts';
import type { Renderer, Wire } from './representation.ts';

export interface CachedReadsOptions {
  /** The routes served (already narrowed by routesFor). */
  readonly routes: RouteTable;
  readonly deps: RedfishDependencies;
  readonly authenticator: Authenticator;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** The Fastify path's renderer, so both send the same bytes and headers. */
  readonly renderer: Renderer;
  /** Plain-HTTP requests are left to the full path, which refuses those carrying credentials. */
  readonly credentialsOnlyOverTls: boolean;
}

/** Answers the request and returns true, or returns false having written nothing. */
export type CachedReads = (
  request: IncomingMessage,
  response: ServerResponse,
) => boolean | Promise<boolean>;

type ReadMethod = 'GET' | 'HEAD';

interface Entry {
  readonly route: Route;
  /** The URL template split at `/`; `:name` segments are parameters. */
  readonly parts: readonly string[];
  readonly allow: string;
  /** Where each method's answers are counted and timed. */
  readonly tally: Record<ReadMethod, RequestTally>;
}

/** A decided answer, waiting to be written with the rest of the turn's (see `sendWaiting`). */
interface Waiting {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly method: ReadMethod;
  readonly entry: Entry;
  readonly wire: Wire;
  readonly started: number;
}

/** Paths the router resolves exactly as written: no percent-encoding (decoded by the router),
 *  no `;` (a query delimiter to it), no empty segment, no trailing slash (ignored by it). */
const plainPath = /^(?:\/[\w.~-]+)+$/;

/** Never aborts: a read does no work that outlives it. */
const readSignal = new AbortController().signal;

const noParams: Readonly<Record<string, string>> = Object.freeze({});

export const createCachedReads = (options: CachedReadsOptions): CachedReads => {
  const { routes, deps, authenticator, metrics, logger, renderer } = options;
  const entryOf = (route: Route): Entry => ({
    route,
    parts: route.url.split('/'),
    allow: allowedMethods(routes, route.url).join(', '),
    tally: {
      GET: metrics.httpRequests.tally('GET', route.url, '200'),
      HEAD: metrics.httpRequests.tally('HEAD', route.url, '200'),
    },
  });
  const reads = routes.filter((r) => r.method === 'GET').map(entryOf);
  const literal = new Map(
    reads.filter((e) => !e.route.url.includes(':')).map((e) => [e.route.url, e]),
  );
  const templated = reads.filter((e) => e.route.url.includes(':'));

  /** The route the router would pick: a literal URL wins; a path two templates fit is left to
   *  the router's own precedence. */
  const matchOnce = (
    path: string,
  ): { readonly entry: Entry; readonly params: Record<string, string> } | undefined => {
    const exact = literal.get(path);
    if (exact !== undefined) return { entry: exact, params: noParams };
    const segments = path.split('/');
    let found: { entry: Entry; params: Record<string, string> } | undefined;
    for (const entry of templated) {
      if (entry.parts.length !== segments.length) continue;
      const params: Record<string, string> = {};
      const fits = entry.parts.every((part, i) => {
        const segment = segments[i] ?? '';
        if (part.startsWith(':')) params[part.slice(1)] = segment;
        else if (part !== segment) return false;
        return true;
      });
      if (!fits) continue;
      if (found !== undefined) return undefined;
      found = { entry, params };
    }
    return found;
  };
  // Clients read the same few URLs over and over: one lookup instead of a walk of the table.
  // Anyone can send paths, so the memo is bounded in entries and length (≤ 1 MiB of keys) and
  // cleared when full: rebuilding it costs no more than walking the table did.
  const matches = new BoundedMap<string, ReturnType<typeof matchOnce>>(4096);
  const match = (path: string): ReturnType<typeof matchOnce> => {
    const known = matches.get(path);
    if (known !== undefined || path.length > 256) return known ?? matchOnce(path);
    const found = matchOnce(path);
    if (found === undefined) return undefined;
    matches.set(path, found);
    return found;
  };

  /** What the full path's onRequest guard would settle on, when memory alone can tell. */
  const principalFor = (
    headers: ReadHeaders,
    origin: ClientOrigin,
    privilege: Privilege,
  ): Principal | undefined => {
    const { authorization, authToken } = headers;
    if (authorization === undefined && authToken === undefined) return undefined;
    // Built field by field, not spread: see contextOf.
    const principal = authenticator.cached?.({
      remoteAddress: origin.remoteAddress,
      forwardedFor: origin.forwardedFor,
      forwarded: origin.forwarded,
      authorization,
      authToken,
    });
    return principal?.privileges.has(privilege) === true ? principal : undefined;
  };

  /** A handler's context. One object literal per request: spreading a shared base into it cost
   *  more than the rest of the request, and the copies outlived young-space collections, growing
   *  the old generation by ~600 bytes a request (issue 12; found with the heap sampler keeping
   *  what survived scavenges). */
  const contextOf = <P extends Principal | undefined>(
    origin: ClientOrigin,
    params: Readonly<Record<string, string>>,
    principal: P,
  ) => ({
    origin,
    deps,
    params,
    body: undefined,
    ifMatch: undefined,
    log: logger,
    routes,
    signal: readSignal,
    deadline: readSignal,
    principal,
  });

  // Answers are written together, once the event loop has read every request that arrived in
  // this turn. Written one by one between reads, each answer woke a client waiting for it on its
  // own (on a virtual machine an inter-processor interrupt apiece, the costliest part of a cached
  // read's kernel time); written together, one wake-up covers the rest. GET System went from
  // ~21 to ~17 µs of CPU under load on this 2-CPU VM (issue 12). The wait is the rest of the
  // turn: nothing when one request arrives alone.
  let waiting: Waiting[] = [];
  const sendWaiting = (): void => {
    const batch = waiting;
    waiting = [];
    for (const answer of batch) send(answer);
  };
  const send = ({ request, response, method, entry, wire, started }: Waiting): void => {
    // A client gone (or a server closing) in the meantime: nobody to answer.
    if (response.destroyed) return;
    try {
      response.writeHead(200, wire.head as string[]);
      response.end(method === 'HEAD' ? undefined : wire.content);
    } catch (error) {
      // Answered already as far as the listener knows: a bug here ends this connection only.
      logger.error({ err: error, url: request.url }, 'cached read failed');
      response.destroy();
      return;
    }
    const ms = performance.now() - started;
    entry.tally[method].record(ms / 1000);
    // As the full path's onResponse hook logs it.
    if (logger.isLevelEnabled('debug'))
      logger.debug({ method, url: request.url, status: 200, ms }, 'request');
  };

  const write = (
    request: IncomingMessage,
    response: ServerResponse,
    method: ReadMethod,
    entry: Entry,
    result: HandlerReply,
    started: number,
  ): boolean => {
    const wire = renderer.wire(result, entry.allow);
    if (wire === undefined) return false;
    if (waiting.length === 0) setImmediate(sendWaiting);
    waiting.push({ request, response, method, entry, wire, started });
    return true;
  };

  return (request, response) => {
    const started = performance.now();
    const method = request.method;
    const url = request.url ?? '';
    if ((method !== 'GET' && method !== 'HEAD') || !plainPath.test(url)) return false;
    const found = match(url);
    if (found === undefined) return false;
    const headers = readHeaders(request.rawHeaders);
    if (headers === undefined || (options.credentialsOnlyOverTls && !isEncrypted(request)))
      return false;
    const { entry, params } = found;
    const { route } = entry;
    // As originOf reads it for the full path.
    const origin: ClientOrigin = {
      remoteAddress: request.socket.remoteAddress ?? '',
      forwardedFor: headers.forwardedFor,
      forwarded: headers.forwarded,
    };
    let result: HandlerReply | Promise<HandlerReply>;
    try {
      if (route.privilege === 'NoAuth')
        result = route.handler(contextOf(origin, params, undefined));
      else {
        const principal = principalFor(headers, origin, route.privilege);
        if (principal === undefined) return false;
        result = route.handler(contextOf(origin, params, principal));
      }
    } catch {
      // The full path renders the error (and logs it at its level).
      return false;
    }
    if (!(result instanceof Promise))
      return write(request, response, method, entry, result, started);
    return result.then(
      (answer) => write(request, response, method, entry, answer, started),
      () => false,
    );
  };
};
