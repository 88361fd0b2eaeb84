// The shapes every route shares: what a handler is given, what it returns, and what a route-table
// entry holds. Handlers never touch Fastify; the server module adapts them.
import type { FastifyBaseLogger } from 'fastify';
import type { SessionManager } from '../auth/sessions.ts';
import type {
  Authenticator,
  ClientOrigin,
  Lockout,
  Privilege,
  Principal,
  RoleId,
  Scope,
} from '../auth/types.ts';
import type { SystemEventLog } from '../backend/event-log.ts';
import type { VmBackend, WriteOptions } from '../backend/port.ts';
import type { Clock } from '../util/clock.ts';
import type { AuditHook } from './write.ts';

/** Where this service listens: the Manager's NetworkProtocol and EthernetInterfaces. */
export interface ServiceEndpoint {
  readonly port: number;
  /** HTTPS is served (plain HTTP is then served on the same port too: listener.ts). */
  readonly tls: boolean;
  /** The service's own addresses (the pod IP); empty when it does not know them. */
  readonly addresses: readonly string[];
}

/** Who this service says it is (ServiceRoot UUID/Product, Manager FirmwareVersion). */
export interface ServiceIdentity {
  readonly uuid: string;
  readonly product: string;
  readonly firmwareVersion: string;
  /** Known once the listener is bound; undefined before. */
  readonly endpoint?: () => ServiceEndpoint | undefined;
}

/** SessionService.SessionTimeout: the value in force and how a client changes it (held where
 *  every replica reads it). */
export interface SessionTimeoutSetting {
  /** Seconds, 30–86400. */
  current(): number;
  /** Persists a new timeout; every replica applies it once its cache has it. */
  set(seconds: number, options?: Pick<WriteOptions, 'signal'>): Promise<void>;
}

/** What the SessionService needs: the sessions, the login check and the timeout. */
export interface SessionDependencies {
  readonly manager: SessionManager;
  readonly verifyPassword: Authenticator['verifyPassword'];
  readonly timeout: SessionTimeoutSetting;
}

/** A configured user as the AccountService shows it (never its password). */
export interface AccountView {
  readonly userName: string;
  readonly role: RoleId;
}

/** What handlers may use. Optional members switch route families on (Route.requires). */
export interface RedfishDependencies {
  readonly backend: VmBackend;
  /** The systems' event logs (LogServices) and where audit records are kept. */
  readonly events: SystemEventLog;
  readonly scope: Scope;
  readonly clock: Clock;
  readonly service: ServiceIdentity;
  readonly sessions?: SessionDependencies;
  /** The configured users, read per request so a config reload shows at once. */
  readonly accounts?: () => readonly AccountView[];
  /** The failed-login lockout AccountService reports and lifts (with `accounts`). */
  readonly lockout?: Lockout;
  /** Where each write's one audit record goes; default: the request's log (write.ts). */
  readonly audit?: AuditHook;
}

/** Route families that exist only when their dependency is given. */
export type OptionalFeature = 'sessions' | 'accounts';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** A Redfish resource or action result as JSON. */
export type RedfishBody = Readonly<Record<string, unknown>>;

/** A document that is not a Redfish JSON resource ($metadata XML, a bundled DMTF file). */
export interface RawDocument {
  readonly contentType: string;
  readonly content: string;
}

export interface HandlerReply {
  readonly status: number;
  readonly body?: RedfishBody;
  readonly raw?: RawDocument;
  readonly headers?: Readonly<Record<string, string>>;
}

interface BaseContext {
  readonly deps: RedfishDependencies;
  /** Path parameters of the matched route (`:systemId` → `params.systemId`). */
  readonly params: Readonly<Record<string, string | undefined>>;
  /** The parsed JSON body; undefined when the request had none. */
  readonly body: unknown;
  /** Entity tags from If-Match (`*` kept as is); undefined when the header is absent. */
  readonly ifMatch: readonly string[] | undefined;
  /** The socket peer and its forwarding headers: the login lockout keys on the client they name
   *  when the peer is a trusted proxy (auth/client-address.ts). */
  readonly origin: ClientOrigin;
  /** The request's logger (carries the request id). */
  readonly log: FastifyBaseLogger;
  /** The table being served, so resources advertise only links that resolve. */
  readonly routes: RouteTable;
  /** Aborted when the client hangs up before its answer is sent or the write deadline passes:
   *  a write stops retrying then (never aborts for reads). */
  readonly signal: AbortSignal;
  /** Aborted only at the write deadline: for the rest of a request whose first write landed
   *  (write.ts, WriteTarget.completes). */
  readonly deadline: AbortSignal;
}

export interface PublicContext extends BaseContext {
  readonly principal: undefined;
}

export interface AuthenticatedContext extends BaseContext {
  readonly principal: Principal;
}

export type PublicHandler = (ctx: PublicContext) => HandlerReply | Promise<HandlerReply>;
export type AuthenticatedHandler = (
  ctx: AuthenticatedContext,
) => HandlerReply | Promise<HandlerReply>;

interface RouteCommon {
  readonly method: HttpMethod;
  readonly url: string;
  /** Served only when this optional dependency is given. */
  readonly requires?: OptionalFeature;
  /** Why the privilege departs from the DMTF privilege registry (its PrivilegeOverride
   *  mechanism): the route-table test accepts a departure only with a stated reason. */
  readonly privilegeOverride?: string;
}

/** One line of the route table (bmcweb's BMCWEB_ROUTE): method, literal URL, the privilege the
 *  DMTF privilege registry requires for it, handler. */
export type Route =
  | (RouteCommon & { readonly privilege: 'NoAuth'; readonly handler: PublicHandler })
  | (RouteCommon & { readonly privilege: Privilege; readonly handler: AuthenticatedHandler });

export type RouteTable = readonly Route[];

/** The routes served with these dependencies: a family whose dependency is absent is left out,
 *  so the service root never advertises it. */
export const routesFor = (routes: RouteTable, deps: RedfishDependencies): RouteTable =>
  routes.filter((r) => r.requires === undefined || deps[r.requires] !== undefined);

/** Methods served at `url`, with HEAD wherever GET is, in the order Allow lists them. */
export const allowedMethods = (routes: RouteTable, url: string): readonly string[] => {
  const methods = new Set(routes.filter((r) => r.url === url).map((r) => r.method));
  const order = ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'] as const;
  return order.filter((m) => (m === 'HEAD' ? methods.has('GET') : methods.has(m)));
};

/** The route of `method` whose URL template matches `path` (`:name` matches one segment), with
 *  its parameters: how `$expand` and `only` read the resources a body links to. */
export const matchRoute = (
  routes: RouteTable,
  method: HttpMethod,
  path: string,
): { readonly route: Route; readonly params: Record<string, string> } | undefined => {
  const segments = path.replace(/\/+$/, '').split('/');
  for (const route of routes) {
    if (route.method !== method) continue;
    const template = route.url.split('/');
    if (template.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = template.every((part, i) => {
      const segment = segments[i] ?? '';
      if (!part.startsWith(':')) return part === segment;
      params[part.slice(1)] = segment;
      return segment.length > 0;
    });
    if (matches) return { route, params };
  }
  return undefined;
};

/** True when the table serves GET at `url`: a link may be advertised only then. */
export const serves = (routes: RouteTable, url: string): boolean =>
  routes.some((r) => r.method === 'GET' && r.url === url);

/** A path parameter the route's URL declares; its absence is a wiring bug. */
export const pathParam = (ctx: BaseContext, name: string): string => {
  const value = ctx.params[name];
  if (value === undefined) throw new Error(`route has no :${name} parameter`);
  return value;
};
