// Mounts the route table on Fastify: authentication and privilege before any other work, JSON
// body parsing, HEAD and 405 + Allow derived from the table, OData-Version and query options,
// the preamble on every response (ETag, If-None-Match), the one error handler, and request
// metrics.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator, Principal, Privilege } from '../auth/types.ts';
import type { Metrics } from '../observability/metrics.ts';
import { defaultRetryAfterSeconds } from './backend-failure.ts';
import {
  allowedMethods,
  matchRoute,
  routesFor,
  type HandlerReply,
  type RedfishBody,
  type RedfishDependencies,
  type Route,
  type RouteTable,
} from './handler.ts';
import {
  RedfishError,
  accessUnauthorized,
  contentTypeMissing,
  errorBody,
  generalError,
  insufficientPrivilege,
  internalError,
  invalidUri,
  isRedfishError,
  malformedJson,
  malformedUri,
  odataVersionUnsupported,
  operationNotAllowed,
  payloadTooLarge,
  serviceTemporarilyUnavailable,
  tlsRequired,
  unrecognizedRequestBody,
  unsupportedMediaType,
} from './messages.ts';
import {
  authRealm,
  commonHeaders,
  createEtagCache,
  jsonContentType,
  matchesIfNoneMatch,
  parseIfMatch,
} from './preamble.ts';
import { callBackend, type BackendFailureContext } from './backend-failure.ts';
import { applyQuery, parseQuery, type ResourceReader } from './query.ts';
import { createRenderer, type Renderer } from './representation.ts';
import { createCachedReads, type CachedReads } from './cached-reads.ts';
import type { Logger } from '../observability/logger.ts';
import { isEncrypted, originOf } from './client-origin.ts';

export interface RedfishServerOptions {
  readonly deps: RedfishDependencies;
  readonly authenticator: Authenticator;
  readonly metrics: Metrics;
  /** The full table; families whose optional dependency is absent are left out (routesFor). */
  readonly routes: RouteTable;
  /** TLS is on: a plain-HTTP request that carries or needs credentials is refused (DSP0266),
   *  while the public documents stay readable over HTTP (redfishtool's default mode). */
  readonly credentialsOnlyOverTls?: boolean;
  /** The app's logger, for the requests the cached-read path answers. */
  readonly logger: Logger;
}

/** Fastify's answer to a request its router cannot even look up (a bad percent-encoding, an
 *  overlong path parameter): the Fastify constructor's `frameworkErrors` option. */
export type FrameworkErrorHandler = (
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
) => void;

/** Every method Fastify routes; the ones a URL does not serve answer 405. Other methods Node
 *  parses (PROPFIND, LINK...) reach the not-found handler, which answers them alike. */
const knownMethods = [
  'GET',
  'HEAD',
  'POST',
  'PATCH',
  'PUT',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'QUERY',
] as const;

const singleHeader = (value: string | string[] | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** How long a write may take before it stops retrying (the API server's conflicts, waiting for
 *  the cache to show it); Ironic's own request timeout is of this order. */
export const writeDeadlineMs = 120_000;

/** Never aborts: a read does no work that outlives it. */
const readSignal = new AbortController().signal;

/** `signal` aborts when the client goes away before its answer is sent, or at the write
 *  deadline; `deadline` only at the deadline. */
const writeSignals = (reply: FastifyReply): { signal: AbortSignal; deadline: AbortSignal } => {
  const hangUp = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) hangUp.abort(new Error('client closed the connection'));
  });
  const deadline = AbortSignal.timeout(writeDeadlineMs);
  return { signal: AbortSignal.any([hangUp.signal, deadline]), deadline };
};

const pathOf = (url: string): string => url.split('?')[0] ?? url;

const rawQueryOf = (url: string): string => url.split('?').slice(1).join('?');

const sendError = (reply: FastifyReply, error: RedfishError): FastifyReply =>
  reply
    .code(error.status)
    .headers(commonHeaders)
    .headers(error.headers)
    .header('Content-Type', jsonContentType)
    .send(JSON.stringify(errorBody(error)));

const send = (
  request: FastifyRequest,
  reply: FastifyReply,
  result: HandlerReply,
  allow: string,
  renderer: Renderer,
): FastifyReply => {
  const isRead = request.method === 'GET' || request.method === 'HEAD';
  const { status, headers, content } = renderer.render(result, isRead, allow);
  // One headers call: each one walks its argument and normalises every name again.
  reply.code(status).headers(headers);
  if (content === undefined) return reply.send();
  // RFC 9110 §13.1.2: a representation the client already holds is not sent again.
  const ifNoneMatch = singleHeader(request.headers['if-none-match']);
  if (
    ifNoneMatch !== undefined &&
    isRead &&
    status === 200 &&
    headers.ETag !== undefined &&
    matchesIfNoneMatch(ifNoneMatch, headers.ETag)
  ) {
    reply.removeHeader('Content-Type');
    return reply.code(304).send();
  }
  return reply.send(content);
};

/** Fastify's own failures (body limit, content type) as Base messages; anything unknown is a bug. */
const toRedfishError = (
  error: FastifyError | RedfishError,
  request: FastifyRequest,
): RedfishError => {
  if (isRedfishError(error)) return error;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RedfishError(payloadTooLarge());
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const contentType = request.headers['content-type'];
      return new RedfishError(
        contentType === undefined ? contentTypeMissing() : unsupportedMediaType(contentType),
      );
    }
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new RedfishError(unrecognizedRequestBody());
    default:
      if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
        return new RedfishError(generalError(error.statusCode, error.message));
      return new RedfishError(internalError());
  }
};

/** How a failed session lookup answers: only `unavailable` can happen; the rest would be bugs. */
const sessionLookupFailure: BackendFailureContext = {
  resource: { type: 'Session', id: '' },
  conflict: internalError(),
  unsupported: internalError(),
  invalid: internalError(),
};

const carriesCredentials = (request: FastifyRequest): boolean =>
  request.headers.authorization !== undefined || request.headers['x-auth-token'] !== undefined;

/** Mounts the table; returns the handler the Fastify constructor needs as `frameworkErrors`, and
 *  the cached-read path to put in front of Fastify's router. */
export const registerRedfish = (
  app: FastifyInstance,
  options: RedfishServerOptions,
): { readonly frameworkErrors: FrameworkErrorHandler; readonly cachedReads: CachedReads } => {
  const { deps, authenticator, metrics } = options;
  const routes = routesFor(options.routes, deps);
  const principals = new WeakMap<FastifyRequest, Principal>();
  /** The route template of each request a Redfish route served, for the metrics labels:
   *  `request.routeOptions` builds a fresh object of every route option on each read. */
  const templates = new WeakMap<FastifyRequest, string>();
  const renderer = createRenderer(createEtagCache());
  /** URLs every method of which is open to anyone (the service root, $metadata...). */
  const publicUrls = new Set(routes.filter((r) => r.privilege === 'NoAuth').map((r) => r.url));
  /** The route whose URL template `path` fills, by any method. */
  const routeAt = (path: string): Route | undefined =>
    routes.find((r) => matchRoute([r], r.method, path) !== undefined);

  /** A request that must not travel in clear: it carries credentials, or its route needs them
   *  (every protected URL, and a public write such as the login, whose body holds them). */
  const needsTls = (request: FastifyRequest, url: string | undefined): boolean => {
    if (carriesCredentials(request)) return true;
    if (url === undefined) return false;
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const route = routes.find((r) => r.url === url && r.method === method);
    if (route === undefined) return routes.some((r) => r.url === url) && !publicUrls.has(url);
    return route.privilege !== 'NoAuth' || route.method !== 'GET';
  };
  const refusedInClear = (request: FastifyRequest, url: string | undefined): boolean =>
    options.credentialsOnlyOverTls === true && !isEncrypted(request) && needsTls(request, url);
  if (options.credentialsOnlyOverTls)
    app.addHook('onRequest', (request, _reply, done) => {
      if (refusedInClear(request, request.routeOptions.url)) done(new RedfishError(tlsRequired()));
      else done();
    });

  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(commonHeaders);
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    // The route template, never the raw URL, keeps label cardinality bounded.
    const route = templates.get(request) ?? request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests
      .tally(request.method, route, String(reply.statusCode))
      .record(reply.elapsedTime / 1000);
    request.log.debug(
      { method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime },
      'request',
    );
    done();
  });

  // JSON only. An empty body with a JSON content type is "no parameters" (EjectMedia may come
  // either way); Fastify's parser still guards against prototype poisoning.
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text === '') {
      done(null, undefined);
      return;
    }
    // Fastify's JSON parser is callback-style: it answers through `done`, never a promise.
    void parseJson(request, text, (error: Error | null, value?: unknown) => {
      if (error) done(new RedfishError(malformedJson()), undefined);
      else done(null, value);
    });
  });

  // DSP0266: a request for an OData version other than 4.0 answers 412 (after authentication:
  // preHandler runs once the route's guard has passed).
  app.addHook('preHandler', (request, _reply, done) => {
    const version = singleHeader(request.headers['odata-version']);
    if (version !== undefined && version.trim() !== '4.0')
      done(new RedfishError(odataVersionUnsupported(version)));
    else done();
  });

  /** The one error handler: renders the Redfish error and logs it at its level. */
  const answerError = (
    error: FastifyError | RedfishError,
    request: FastifyRequest,
    reply: FastifyReply,
  ) => {
    const redfish = toRedfishError(error, request);
    // STYLE rule 15: only a bug (500) is an error with its stack; an outage (503) is a handled
    // anomaly and a client's mistake (4xx) is detail. Neither has a stack worth a line.
    const fields = { status: redfish.status, messageId: redfish.messages[0].key };
    if (redfish.status === 500) request.log.error({ err: error }, 'request failed');
    else if (redfish.status >= 500)
      request.log.warn({ ...fields, reason: error.message }, 'request not served');
    else request.log.debug(fields, 'request refused');
    return sendError(reply, redfish);
  };
  app.setErrorHandler(answerError);

  /** Authentication, then privilege, before the body is even parsed (onRequest). */
  const guard = (privilege: Privilege) => async (request: FastifyRequest) => {
    const authorization = singleHeader(request.headers.authorization);
    const authToken = singleHeader(request.headers['x-auth-token']);
    // A token not in the cache is looked up in the cluster; during an outage that is a 503 with
    // Retry-After like any other backend call, not a 500 (found by the fuzz suite).
    const result = await callBackend(
      () =>
        authenticator.authenticate({
          ...(authorization === undefined ? {} : { authorization }),
          ...(authToken === undefined ? {} : { authToken }),
          ...originOf(request),
        }),
      sessionLookupFailure,
    );
    if (!result.ok && result.reason === 'unavailable')
      throw new RedfishError(
        serviceTemporarilyUnavailable(result.retryAfterSeconds ?? defaultRetryAfterSeconds),
      );
    if (!result.ok) {
      const level = result.reason === 'missing' ? 'debug' : 'warn';
      request.log[level]({ reason: result.reason }, 'authentication failed');
      // Every reason answers alike (a locked-out client is told only when to retry), as a BMC
      // does: failure messages must not leak which part was wrong.
      throw new RedfishError(accessUnauthorized(authRealm, result.retryAfterSeconds));
    }
    if (!result.principal.privileges.has(privilege)) {
      request.log.warn({ user: result.principal.user, privilege }, 'insufficient privilege');
      throw new RedfishError(insufficientPrivilege());
    }
    principals.set(request, result.principal);
  };

  /** Authenticates as the URL's own routes would (not at all for a public URL or one no route
   *  serves), so a request the router cannot serve tells an anonymous caller no more than the
   *  URL's 401 would. */
  const guardAt = async (request: FastifyRequest, route: Route | undefined): Promise<void> => {
    if (route !== undefined && !publicUrls.has(route.url)) await guard('Login')(request);
  };

  app.setNotFoundHandler(async (request, reply) => {
    const path = pathOf(request.url);
    const route = routeAt(path);
    if (route === undefined) return sendError(reply, new RedfishError(invalidUri(path)));
    // Only a method Fastify does not route gets here for a URL the table serves.
    await guardAt(request, route);
    throw new RedfishError(operationNotAllowed(allowedMethods(routes, route.url)));
  });

  const frameworkErrors: FrameworkErrorHandler = (error, request, reply) => {
    const path = pathOf(request.url);
    const route = routeAt(path);
    // No hook has run: the plain-HTTP rule and the preamble's headers are applied here.
    const answer = error.code === 'FST_ERR_BAD_URL' ? malformedUri(path) : invalidUri(path);
    const checked = refusedInClear(request, route?.url)
      ? Promise.reject(new RedfishError(tlsRequired()))
      : guardAt(request, route);
    checked.then(
      () => answerError(new RedfishError(answer), request, reply),
      (failure: FastifyError) => answerError(failure, request, reply),
    );
  };

  const principalOf = (request: FastifyRequest): Principal => {
    const principal = principals.get(request);
    if (principal === undefined) throw new Error('authenticated route ran without a principal');
    return principal;
  };

  /** Reads a linked resource as the caller would by GET, for `$expand` and `only`: same route,
   *  same privilege check, same scope. Anything it may not see stays a plain reference. */
  const readerFor =
    (request: FastifyRequest, principal: Principal | undefined): ResourceReader =>
    async (uri) => {
      const match = matchRoute(routes, 'GET', pathOf(uri));
      if (match === undefined) return undefined;
      const { route, params } = match;
      const base = { ...contextOf(request), params, body: undefined, ifMatch: undefined };
      let result: HandlerReply;
      try {
        if (route.privilege === 'NoAuth')
          result = await route.handler({ ...base, principal: undefined });
        else if (principal?.privileges.has(route.privilege))
          result = await route.handler({ ...base, principal });
        else return undefined;
      } catch (error) {
        if (isRedfishError(error)) return undefined;
        throw error;
      }
      return result.status === 200 ? result.body : undefined;
    };

  const contextOf = (request: FastifyRequest) => ({
    origin: originOf(request),
    deps,
    params: request.params as Record<string, string | undefined>,
    body: request.body,
    ifMatch: parseIfMatch(singleHeader(request.headers['if-match'])),
    log: request.log,
    routes,
    signal: readSignal,
    deadline: readSignal,
  });

  const handle = async (
    route: Route,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<HandlerReply> => {
    const isRead = request.method === 'GET' || request.method === 'HEAD';
    const query = parseQuery(request.query as Record<string, unknown>, isRead);
    const base = { ...contextOf(request), ...(isRead ? {} : writeSignals(reply)) };
    const principal = route.privilege === 'NoAuth' ? undefined : principalOf(request);
    const result =
      route.privilege === 'NoAuth'
        ? await route.handler({ ...base, principal: undefined })
        : await route.handler({ ...base, principal: principalOf(request) });
    // Public documents expand only into other public documents.
    if (!isRead || result.body === undefined) return result;
    const body: RedfishBody = await applyQuery(result.body, query, {
      path: pathOf(request.url),
      rawQuery: rawQueryOf(request.url),
      read: readerFor(request, principal),
    });
    return { ...result, body };
  };

  for (const url of new Set(routes.map((r) => r.url))) {
    const served = routes.filter((r) => r.url === url);
    const allow = allowedMethods(routes, url);
    const allowHeader = allow.join(', ');
    for (const route of served) {
      app.route({
        method: route.method,
        url,
        ...(route.privilege === 'NoAuth' ? {} : { onRequest: guard(route.privilege) }),
        handler: async (request, reply) => {
          templates.set(request, url);
          return send(request, reply, await handle(route, request, reply), allowHeader, renderer);
        },
      });
    }
    // A method the URL does not serve: 405 with Allow, behind the same authentication so an
    // anonymous caller learns nothing more from a protected URL than from a 401. Answered
    // before the body is read: Fastify would otherwise judge the body first (QUERY without a
    // Content-Type is its 400, a text body a 415), and every method the URL does not serve
    // must answer alike.
    const isPublic = served.some((r) => r.privilege === 'NoAuth');
    const notAllowed = () => new RedfishError(operationNotAllowed(allow));
    const refuse = (_request: FastifyRequest, _reply: FastifyReply, done: (e: Error) => void) =>
      done(notAllowed());
    app.route({
      method: knownMethods.filter((m) => !allow.includes(m)),
      url,
      onRequest: isPublic ? [refuse] : [guard('Login'), refuse],
      // Never reached (the hook answers), but Fastify wants a handler.
      handler: () => {
        throw notAllowed();
      },
    });
  }
  const cachedReads = createCachedReads({
    routes,
    deps,
    authenticator,
    metrics,
    logger: options.logger,
    renderer,
    credentialsOnlyOverTls: options.credentialsOnlyOverTls === true,
  });
  return { frameworkErrors, cachedReads };
};
