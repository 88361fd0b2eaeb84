// EthernetInterface resources under a system: one per VM interface, Id = the interface name. The
// MAC comes from the VM spec, else from the running instance; link state and addresses only from
// the running instance (what Ironic's inspection turns into ports).
import type { VisibleSystem } from '../../auth/types.ts';
import type { NicSnapshot } from '../../backend/port.ts';
import type { LinkStatus } from '../enums.ts';
import { RedfishError, resourceNotFound } from '../messages.ts';
import { toCollection, odataTypes, uris } from '../odata.ts';
import {
  pathParam,
  type AuthenticatedContext,
  type HandlerReply,
  type RedfishBody,
} from '../handler.ts';
import { visibleSystem } from '../visibility.ts';

const linkStatus = (nic: NicSnapshot): LinkStatus | undefined =>
  nic.linkUp === undefined ? undefined : nic.linkUp ? 'LinkUp' : 'LinkDown';

export const toEthernetInterface = (system: VisibleSystem, nic: NicSnapshot): RedfishBody => {
  const addresses = nic.ipAddresses ?? [];
  const link = linkStatus(nic);
  return {
    '@odata.id': uris.ethernetInterface(system.id, nic.name),
    '@odata.type': odataTypes.EthernetInterface,
    Id: nic.name,
    Name: nic.name,
    Description: `Interface ${nic.name}${nic.model ? ` (${nic.model})` : ''}`,
    ...(nic.mac ? { MACAddress: nic.mac } : {}),
    ...(link ? { LinkStatus: link } : {}),
    InterfaceEnabled: true,
    // KubeVirt reports addresses without their origin or prefix, so only Address is stated.
    ...(nic.ipAddresses
      ? {
          IPv4Addresses: addresses.filter((a) => !a.includes(':')).map((a) => ({ Address: a })),
          IPv6Addresses: addresses.filter((a) => a.includes(':')).map((a) => ({ Address: a })),
        }
      : {}),
    // The interface is part of the VM's definition whether or not the guest runs.
    Status: { State: 'Enabled', Health: 'OK' },
  };
};

export const handleEthernetInterfaceCollectionGet = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  return {
    status: 200,
    body: toCollection(
      uris.ethernetInterfaces(system.id),
      odataTypes.EthernetInterfaceCollection,
      'Ethernet Interface Collection',
      system.snapshot.nics.map((nic) => uris.ethernetInterface(system.id, nic.name)),
    ),
  };
};

export const handleEthernetInterfaceGet = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  const id = pathParam(ctx, 'interfaceId');
  const nic = system.snapshot.nics.find((n) => n.name === id);
  if (nic === undefined) throw new RedfishError(resourceNotFound('EthernetInterface', id));
  return { status: 200, body: toEthernetInterface(system, nic) };
};
