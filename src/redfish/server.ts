// Mounts the route table on Fastify: authentication and privilege before any other work, JSON
// body parsing, HEAD and 405 + Allow derived from the table, OData-Version and query options,
// the preamble on every response (ETag, If-None-Match), the one error handler, and request
// metrics.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator, Principal, Privilege } from '../auth/types.ts';
import type { Metrics } from '../observability/metrics.ts';
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
  odataVersionUnsupported,
  operationNotAllowed,
  payloadTooLarge,
  unrecognizedRequestBody,
  unsupportedMediaType,
} from './messages.ts';
import {
  authRealm,
  bodyHeaders,
  commonHeaders,
  etagOfJson,
  jsonContentType,
  matchesIfNoneMatch,
  parseIfMatch,
} from './preamble.ts';
import { applyQuery, parseQuery, type ResourceReader } from './query.ts';

export interface RedfishServerOptions {
  readonly deps: RedfishDependencies;
  readonly authenticator: Authenticator;
  readonly metrics: Metrics;
  /** The full table; families whose optional dependency is absent are left out (routesFor). */
  readonly routes: RouteTable;
}

/** Every method a client might try; the ones a URL does not serve answer 405. */
const knownMethods = ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS'] as const;

const singleHeader = (value: string | string[] | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** How long a write may take before it stops retrying (the API server's conflicts, waiting for
 *  the cache to show it); Ironic's own request timeout is of this order. */
export const writeDeadlineMs = 120_000;

/** Never aborts: a read does no work that outlives it. */
const readSignal = new AbortController().signal;

/** Aborts when the client goes away before its answer is sent, or at the write deadline. */
const writeSignal = (reply: FastifyReply): AbortSignal => {
  const hangUp = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) hangUp.abort(new Error('client closed the connection'));
  });
  return AbortSignal.any([hangUp.signal, AbortSignal.timeout(writeDeadlineMs)]);
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
  allow: readonly string[],
): FastifyReply => {
  reply.code(result.status).headers(result.headers ?? {});
  const isRead = request.method === 'GET' || request.method === 'HEAD';
  // DSP0266: GET and HEAD responses carry Allow.
  if (isRead) reply.header('Allow', allow.join(', '));
  let content: string;
  if (result.raw !== undefined) {
    content = result.raw.content;
    reply.headers({ 'Content-Type': result.raw.contentType, ETag: etagOfJson(content) });
  } else if (result.body !== undefined) {
    content = JSON.stringify(result.body);
    reply.headers(bodyHeaders(result.body, content));
  } else {
    return reply.send();
  }
  // RFC 9110 §13.1.2: a representation the client already holds is not sent again.
  const etag = reply.getHeader('ETag');
  if (
    isRead &&
    result.status === 200 &&
    typeof etag === 'string' &&
    matchesIfNoneMatch(singleHeader(request.headers['if-none-match']), etag)
  ) {
    reply.removeHeader('Content-Type');
    return reply.code(304).send();
  }
  return reply.send(content);
};

/** Fastify's own failures (body limit, content type) as Base messages; anything unknown is a bug. */
const toRedfishError = (error: FastifyError, request: FastifyRequest): RedfishError => {
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

export const registerRedfish = (app: FastifyInstance, options: RedfishServerOptions): void => {
  const { deps, authenticator, metrics } = options;
  const routes = routesFor(options.routes, deps);
  const principals = new WeakMap<FastifyRequest, Principal>();

  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(commonHeaders);
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    // The route template, never the raw URL, keeps label cardinality bounded.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpRequestSeconds.observe({ method: request.method, route }, reply.elapsedTime / 1000);
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

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const redfish = toRedfishError(error, request);
    if (redfish.status === 500) request.log.error({ err: error }, 'request failed');
    else if (redfish.status >= 500) request.log.warn({ err: error }, 'request not served');
    return sendError(reply, redfish);
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new RedfishError(invalidUri(pathOf(request.url)))),
  );

  /** Authentication, then privilege, before the body is even parsed (onRequest). */
  const guard = (privilege: Privilege) => async (request: FastifyRequest) => {
    const authorization = singleHeader(request.headers.authorization);
    const authToken = singleHeader(request.headers['x-auth-token']);
    const result = await authenticator.authenticate({
      ...(authorization === undefined ? {} : { authorization }),
      ...(authToken === undefined ? {} : { authToken }),
      remoteAddress: request.socket.remoteAddress ?? '',
    });
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
    deps,
    params: request.params as Record<string, string | undefined>,
    body: request.body,
    ifMatch: parseIfMatch(singleHeader(request.headers['if-match'])),
    remoteAddress: request.socket.remoteAddress ?? '',
    log: request.log,
    routes,
    signal: readSignal,
  });

  const handle = async (
    route: Route,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<HandlerReply> => {
    const isRead = request.method === 'GET' || request.method === 'HEAD';
    const query = parseQuery(request.query as Record<string, unknown>, isRead);
    const base = { ...contextOf(request), ...(isRead ? {} : { signal: writeSignal(reply) }) };
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
    for (const route of served) {
      app.route({
        method: route.method,
        url,
        ...(route.privilege === 'NoAuth' ? {} : { onRequest: guard(route.privilege) }),
        handler: async (request, reply) =>
          send(request, reply, await handle(route, request, reply), allow),
      });
    }
    // A method the URL does not serve: 405 with Allow, behind the same authentication so an
    // anonymous caller learns nothing more from a protected URL than from a 401.
    const isPublic = served.some((r) => r.privilege === 'NoAuth');
    app.route({
      method: knownMethods.filter((m) => !allow.includes(m)),
      url,
      ...(isPublic ? {} : { onRequest: guard('Login') }),
      handler: () => {
        throw new RedfishError(operationNotAllowed(allow));
      },
    });
  }
};
