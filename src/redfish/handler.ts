// The shapes every route shares: what a handler is given, what it returns, and what a route-table
// entry holds. Handlers never touch Fastify; the server module adapts them.
import type { FastifyBaseLogger } from 'fastify';
import type { Privilege, Principal, Scope } from '../auth/types.ts';
import type { VmBackend } from '../backend/port.ts';
import type { Clock } from '../util/clock.ts';

/** Who this service says it is (ServiceRoot UUID/Product, Manager FirmwareVersion). */
export interface ServiceIdentity {
  readonly uuid: string;
  readonly product: string;
  readonly firmwareVersion: string;
}

/** What handlers may use. Later issues add optional members (sessions, tasks). */
export interface RedfishDependencies {
  readonly backend: VmBackend;
  readonly scope: Scope;
  readonly clock: Clock;
  readonly service: ServiceIdentity;
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** A Redfish resource or action result as JSON. */
export type RedfishBody = Readonly<Record<string, unknown>>;

export interface HandlerReply {
  readonly status: number;
  readonly body?: RedfishBody;
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
  /** The request's logger (carries the request id). */
  readonly log: FastifyBaseLogger;
  /** The table being served, so resources advertise only links that resolve. */
  readonly routes: RouteTable;
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

/** One line of the route table (bmcweb's BMCWEB_ROUTE): method, literal URL, the privilege the
 *  DMTF privilege registry requires for it, handler. */
export type Route =
  | {
      readonly method: HttpMethod;
      readonly url: string;
      readonly privilege: 'NoAuth';
      readonly handler: PublicHandler;
    }
  | {
      readonly method: HttpMethod;
      readonly url: string;
      readonly privilege: Privilege;
      readonly handler: AuthenticatedHandler;
    };

export type RouteTable = readonly Route[];

/** Methods served at `url`, with HEAD wherever GET is, in the order Allow lists them. */
export const allowedMethods = (routes: RouteTable, url: string): readonly string[] => {
  const methods = new Set(routes.filter((r) => r.url === url).map((r) => r.method));
  const order = ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'] as const;
  return order.filter((m) => (m === 'HEAD' ? methods.has('GET') : methods.has(m)));
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
