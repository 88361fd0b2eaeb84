// A Manager's network view: the protocols this service actually serves (NetworkProtocol) and its
// own address as the Manager's EthernetInterface — the Manager is this service, not the VM.
import type { VisibleSystem } from '../../auth/types.ts';
import { RedfishError, resourceNotFound } from '../messages.ts';
import { toCollection, odataTypes, uris } from '../odata.ts';
import {
  pathParam,
  type AuthenticatedContext,
  type HandlerReply,
  type RedfishBody,
  type ServiceEndpoint,
} from '../handler.ts';
import { visibleSystem } from '../visibility.ts';

/** The service's one network identity (a pod has one interface that matters). */
const interfaceId = 'eth0';

const endpointOf = (ctx: AuthenticatedContext): ServiceEndpoint | undefined =>
  ctx.deps.service.endpoint?.();

export const toManagerNetworkProtocol = (
  system: VisibleSystem,
  endpoint: ServiceEndpoint | undefined,
): RedfishBody => ({
  '@odata.id': uris.managerNetworkProtocol(system.id),
  '@odata.type': odataTypes.ManagerNetworkProtocol,
  Id: 'NetworkProtocol',
  Name: 'Manager Network Protocol',
  // Plain HTTP is served on the same port even with TLS on (redfishtool reads the root over it).
  ...(endpoint
    ? {
        HTTP: { ProtocolEnabled: true, Port: endpoint.port },
        HTTPS: endpoint.tls
          ? { ProtocolEnabled: true, Port: endpoint.port }
          : { ProtocolEnabled: false },
      }
    : {}),
  // Nothing else a BMC may offer (IPMI, SSH, SNMP, KVM-IP, virtual media over NFS…) exists here.
  IPMI: { ProtocolEnabled: false },
  SSH: { ProtocolEnabled: false },
  SNMP: { ProtocolEnabled: false },
  KVMIP: { ProtocolEnabled: false },
  Status: { State: 'Enabled', Health: 'OK' },
});

const addresses = (endpoint: ServiceEndpoint | undefined): readonly string[] =>
  endpoint?.addresses ?? [];

export const toManagerEthernetInterface = (
  system: VisibleSystem,
  endpoint: ServiceEndpoint | undefined,
): RedfishBody => {
  const all = addresses(endpoint);
  return {
    '@odata.id': uris.managerEthernetInterface(system.id, interfaceId),
    '@odata.type': odataTypes.EthernetInterface,
    Id: interfaceId,
    Name: 'Redfish service interface',
    Description: 'The network address this Redfish service answers on',
    InterfaceEnabled: true,
    IPv4Addresses: all.filter((a) => !a.includes(':')).map((a) => ({ Address: a })),
    IPv6Addresses: all.filter((a) => a.includes(':')).map((a) => ({ Address: a })),
    Status: { State: 'Enabled', Health: 'OK' },
  };
};

export const handleManagerNetworkProtocolGet = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'managerId'), 'Manager');
  return { status: 200, body: toManagerNetworkProtocol(system, endpointOf(ctx)) };
};

/** The interface is listed only when the service knows its address. */
const interfaceIds = (ctx: AuthenticatedContext): readonly string[] =>
  addresses(endpointOf(ctx)).length > 0 ? [interfaceId] : [];

export const handleManagerEthernetInterfaceCollectionGet = (
  ctx: AuthenticatedContext,
): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'managerId'), 'Manager');
  return {
    status: 200,
    body: toCollection(
      uris.managerEthernetInterfaces(system.id),
      odataTypes.EthernetInterfaceCollection,
      'Manager Ethernet Interface Collection',
      interfaceIds(ctx).map((id) => uris.managerEthernetInterface(system.id, id)),
    ),
  };
};

export const handleManagerEthernetInterfaceGet = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'managerId'), 'Manager');
  const id = pathParam(ctx, 'interfaceId');
  if (!interfaceIds(ctx).includes(id))
    throw new RedfishError(resourceNotFound('EthernetInterface', id));
  return { status: 200, body: toManagerEthernetInterface(system, endpointOf(ctx)) };
};
