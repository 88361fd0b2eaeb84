// The unauthenticated entry points: the /redfish version object and the service root, which
// sushy reads before it logs in (clients-and-peers.md §0 item 1).
import { link, odataTypes, serviceRootUri, uris } from '../odata.ts';
import {
  serves,
  type PublicContext,
  type HandlerReply,
  type RedfishBody,
  type RouteTable,
} from '../handler.ts';
import type { ServiceIdentity } from '../handler.ts';
import { protocolFeaturesSupported } from '../query.ts';
import { manufacturer } from './systems.ts';

/** The DSP0266 version this service implements. */
export const redfishVersion = '1.20.0';

/** Top-level services, each advertised only while the route table serves it. */
const services = [
  ['Systems', uris.systems],
  ['Chassis', uris.chassisCollection],
  ['Managers', uris.managers],
  ['SessionService', uris.sessionService],
  ['AccountService', uris.accountService],
  ['Tasks', uris.taskService],
  ['Registries', uris.registries],
  ['JsonSchemas', uris.jsonSchemas],
] as const;

export const toServiceRoot = (service: ServiceIdentity, routes: RouteTable): RedfishBody => ({
  '@odata.id': serviceRootUri,
  '@odata.type': odataTypes.ServiceRoot,
  Id: 'RootService',
  Name: 'Root Service',
  RedfishVersion: redfishVersion,
  UUID: service.uuid,
  Vendor: manufacturer,
  Product: service.product,
  ProtocolFeaturesSupported: protocolFeaturesSupported,
  ...Object.fromEntries(
    services.filter(([, uri]) => serves(routes, uri)).map(([name, uri]) => [name, link(uri)]),
  ),
  // The schema requires Links.Sessions, but a link that 404s breaks sushy harder than a missing
  // one (it falls back to Basic), so it appears only while the SessionService is served.
  ...(serves(routes, uris.sessions) ? { Links: { Sessions: link(uris.sessions) } } : {}),
});

export const handleVersionGet = (): HandlerReply => ({
  status: 200,
  body: { v1: `${serviceRootUri}/` },
});

export const handleServiceRootGet = (ctx: PublicContext): HandlerReply => ({
  status: 200,
  body: toServiceRoot(ctx.deps.service, ctx.routes),
});
