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
import type { RequestTally } from '../observability/request-metrics.ts';
import { isEncrypted, originOf } from './client-origin.ts';
import {
  allowedMethods,
  type HandlerReply,
  type RedfishDependencies,
  type Route,
  type RouteTable,
} from './handler.ts';
import type { Renderer } from './representation.ts';

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

/** Paths the router resolves exactly as written: no percent-encoding (decoded by the router),
 *  no `;` (a query delimiter to it), no empty segment, no trailing slash (ignored by it). */
const plainPath = /^(?:\/[\w.~-]+)+$/;

/** Never aborts: a read does no work that outlives it. */
const readSignal = new AbortController().signal;

const noParams: Readonly<Record<string, string>> = Object.freeze({});

const single = (value: string | string[] | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined;

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
  const matches = new Map<string, ReturnType<typeof matchOnce>>();
  const match = (path: string): ReturnType<typeof matchOnce> => {
    const known = matches.get(path);
    if (known !== undefined || path.length > 256) return known ?? matchOnce(path);
    const found = matchOnce(path);
    if (found === undefined) return undefined;
    if (matches.size >= 4096) matches.clear();
    matches.set(path, found);
    return found;
  };

  /** What the full path's onRequest guard would settle on, when memory alone can tell. */
  const principalFor = (
    request: IncomingMessage,
    origin: ClientOrigin,
    privilege: Privilege,
  ): Principal | undefined => {
    const authorization = single(request.headers.authorization);
    const authToken = single(request.headers['x-auth-token']);
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

  /** Requests whose every header the full path would read the same way as this one does. */
  const eligible = (request: IncomingMessage): boolean => {
    const { headers } = request;
    // DSP0266: any OData-Version but 4.0 answers 412.
    const version = headers['odata-version'];
    return (
      (version === undefined || (typeof version === 'string' && version.trim() === '4.0')) &&
      headers['if-none-match'] === undefined &&
      headers['if-match'] === undefined &&
      headers['transfer-encoding'] === undefined &&
      (headers['content-length'] === undefined || headers['content-length'] === '0') &&
      !(options.credentialsOnlyOverTls && !isEncrypted(request))
    );
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
    response.writeHead(200, wire.head as string[]);
    response.end(method === 'HEAD' ? undefined : wire.content);
    const ms = performance.now() - started;
    entry.tally[method].record(ms / 1000);
    // As the full path's onResponse hook logs it.
    if (logger.isLevelEnabled('debug'))
      logger.debug({ method, url: request.url, status: 200, ms }, 'request');
    return true;
  };

  return (request, response) => {
    const started = performance.now();
    const method = request.method;
    const url = request.url ?? '';
    if ((method !== 'GET' && method !== 'HEAD') || !plainPath.test(url)) return false;
    const found = match(url);
    if (found === undefined || !eligible(request)) return false;
    const { entry, params } = found;
    const { route } = entry;
    const origin = originOf(request);
    let result: HandlerReply | Promise<HandlerReply>;
    try {
      if (route.privilege === 'NoAuth')
        result = route.handler(contextOf(origin, params, undefined));
      else {
        const principal = principalFor(request, origin, route.privilege);
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
