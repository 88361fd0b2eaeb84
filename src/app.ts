// Composition root of the HTTP service: builds the Fastify app serving the Redfish route table
// from explicitly passed dependencies (no globals, so tests build as many apps as they like).
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { deferredChildLogger } from './observability/logger.ts';
import type { SessionManager } from './auth/sessions.ts';
import type { Authenticator, Scope } from './auth/types.ts';
import type { SystemEventLog } from './backend/event-log.ts';
import type { VmBackend } from './backend/port.ts';
import { registerOperationalRoutes } from './observability/health.ts';
import type { Metrics } from './observability/metrics.ts';
import type { AccountView, ServiceIdentity, SessionTimeoutSetting } from './redfish/handler.ts';
import { routeTable } from './redfish/routes.ts';
import { registerRedfish, type FrameworkErrorHandler } from './redfish/server.ts';
import { recordAudit } from './redfish/audit-events.ts';
import type { AuditHook } from './redfish/write.ts';
import type { Clock } from './util/clock.ts';

export type { AccountView, ServiceIdentity, SessionTimeoutSetting } from './redfish/handler.ts';

/** Everything the service needs. Without `sessions` there is no SessionService (X-Auth-Token is
 *  then never accepted); without `accounts` no AccountService. */
export interface AppDependencies {
  readonly backend: VmBackend;
  /** The systems' event logs; audit records are kept there too unless `audit` says otherwise. */
  readonly events: SystemEventLog;
  readonly authenticator: Authenticator;
  readonly scope: Scope;
  /** Already redacting credentials (observability/logger.ts). */
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly service: ServiceIdentity;
  /** Login sessions (the same manager the authenticator checks tokens with) and the
   *  SessionTimeout setting. */
  readonly sessions?: { readonly manager: SessionManager; readonly timeout: SessionTimeoutSetting };
  /** The configured users, read per request. */
  readonly accounts?: () => readonly AccountView[];
  /** Readiness for /readyz; default: the backend's caches are synced. */
  readonly isReady?: () => boolean;
  /** What /readyz?verbose adds: facts about the platform (releases, feature gates). */
  readonly readyDetail?: () => Record<string, unknown>;
  /** Why /readyz answers 503, one line each. */
  readonly notReadyReasons?: () => readonly string[];
  /** Largest accepted request body; larger ones answer 413. Default 1 MiB. */
  readonly bodyLimitBytes?: number;
  /** TLS is on: plain-HTTP requests that carry or need credentials are refused. */
  readonly credentialsOnlyOverTls?: boolean;
  /** Where each write's audit record goes; default: the request log and, for writes to a
   *  system, its event log (redfish/audit-events.ts). */
  readonly audit?: AuditHook;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** node:http's request listener for this app: the cached-read path (redfish/cached-reads.ts)
     *  answers what it can, Fastify's router the rest. */
    serveHttp(request: IncomingMessage, response: ServerResponse): void;
  }
}

export const defaultBodyLimitBytes = 1024 * 1024;

export const buildApp = async (deps: AppDependencies): Promise<FastifyInstance> => {
  const loggerInstance: FastifyBaseLogger = deps.logger;
  // Fastify answers a URL its router cannot look up before any route or hook runs; the Redfish
  // layer, mounted below, answers it instead.
  const redfish: { frameworkErrors?: FrameworkErrorHandler } = {};
  const app = Fastify({
    frameworkErrors: (error, request, reply) => redfish.frameworkErrors?.(error, request, reply),
    loggerInstance,
    // Per-request lines are debug detail (logged by the Redfish layer); info is for lifecycle
    // and actions (STYLE rule 15).
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger, bindings) => deferredChildLogger(logger as Logger, bindings),
    bodyLimit: deps.bodyLimitBytes ?? defaultBodyLimitBytes,
    // `/redfish/v1` and `/redfish/v1/` are the same resource, and so on everywhere (DSP0266).
    // An enhanced system Id is a namespace (63) and a VM name (up to 253) joined by a dot.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 320 },
  });
  const registered = registerRedfish(app, {
    deps: {
      backend: deps.backend,
      events: deps.events,
      scope: deps.scope,
      clock: deps.clock,
      service: deps.service,
      ...(deps.sessions && {
        sessions: {
          ...deps.sessions,
          verifyPassword: (user, password, origin) =>
            deps.authenticator.verifyPassword(user, password, origin),
        },
      }),
      ...(deps.accounts && { accounts: deps.accounts, lockout: deps.authenticator.lockout }),
      audit: deps.audit ?? recordAudit(deps.events),
    },
    authenticator: deps.authenticator,
    metrics: deps.metrics,
    routes: routeTable,
    ...(deps.credentialsOnlyOverTls === undefined
      ? {}
      : { credentialsOnlyOverTls: deps.credentialsOnlyOverTls }),
    logger: deps.logger,
  });
  redfish.frameworkErrors = registered.frameworkErrors;
  const { cachedReads } = registered;
  // What the cached-read path leaves (or fails on: a bug there must not take the process down
  // with an exception in node:http's listener) goes to Fastify, unless it already answered.
  const fallBack = (request: IncomingMessage, response: ServerResponse, error?: unknown) => {
    if (error !== undefined) deps.logger.error({ err: error }, 'cached read failed');
    if (!response.headersSent) app.routing(request, response);
    else response.destroy();
  };
  app.decorate('serveHttp', (request: IncomingMessage, response: ServerResponse) => {
    let answered: boolean | Promise<boolean>;
    try {
      answered = cachedReads(request, response);
    } catch (error) {
      fallBack(request, response, error);
      return;
    }
    if (answered === false) fallBack(request, response);
    else if (answered !== true)
      answered.then(
        (done) => {
          if (!done) fallBack(request, response);
        },
        (error: unknown) => fallBack(request, response, error),
      );
  });
  registerOperationalRoutes(app, {
    isReady: deps.isReady ?? (() => deps.backend.isReady()),
    ...(deps.readyDetail && { detail: deps.readyDetail }),
    ...(deps.notReadyReasons && { notReadyReasons: deps.notReadyReasons }),
  });
  await app.ready();
  return app;
};
