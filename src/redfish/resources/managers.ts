// Manager resources: one Manager (a virtual BMC) per visible system, sharing the system's Id, so
// Ironic finds FirmwareVersion and, in issue 4, VirtualMedia where older sushy looks for it.
import type { VisibleSystem } from '../../auth/types.ts';
import { memoised } from '../../util/memo.ts';
import { uuidV5 } from '../../util/uuid.ts';
import type { ManagerType } from '../enums.ts';
import { link, odataTypes, redfishDateTime, toCollection, uris } from '../odata.ts';
import {
  pathParam,
  type AuthenticatedContext,
  type HandlerReply,
  type RedfishBody,
  type ServiceIdentity,
} from '../handler.ts';
import { visibleSystem, visibleSystems } from '../visibility.ts';

const managerType: ManagerType = 'BMC';

export const toManager = (
  system: VisibleSystem,
  service: ServiceIdentity,
  nowMs: number,
): RedfishBody => ({
  '@odata.id': uris.manager(system.id),
  '@odata.type': odataTypes.Manager,
  Id: system.id,
  Name: `Manager for ${system.snapshot.ref.name}`,
  Description: `Redfish service managing VirtualMachine ${system.ref.namespace}/${system.ref.name}`,
  ManagerType: managerType,
  // Derived from the service and the system: the same on every replica and across restarts.
  UUID: uuidV5(service.uuid, `manager/${system.id}`),
  FirmwareVersion: service.firmwareVersion,
  ServiceEntryPointUUID: service.uuid,
  DateTime: redfishDateTime(nowMs),
  DateTimeLocalOffset: '+00:00',
  // The manager is this service, which is answering: it is on and healthy.
  PowerState: 'On',
  Status: { State: 'Enabled', Health: 'OK' },
  // sushy 4.3.3 and older Ironic find virtual media only here (virtual-media.ts).
  VirtualMedia: link(uris.virtualMediaCollection('manager', system.id)),
  NetworkProtocol: link(uris.managerNetworkProtocol(system.id)),
  EthernetInterfaces: link(uris.managerEthernetInterfaces(system.id)),
  // The system's log, served under the Manager too (OCP baseline; log-services.ts).
  LogServices: link(uris.logServices('manager', system.id)),
  Links: {
    ManagerForServers: [link(uris.system(system.id))],
    ManagerForChassis: [link(uris.chassis(system.chassis))],
    ManagerInChassis: link(uris.chassis(system.chassis)),
  },
});

export const toManagerCollection = (systems: readonly VisibleSystem[]): RedfishBody =>
  toCollection(
    uris.managers,
    odataTypes.ManagerCollection,
    'Manager Collection',
    systems.map((s) => uris.manager(s.id)),
  );

/** Rendered once per visible-systems array, as the Systems collection (systems.ts). */
const collections = new WeakMap<readonly VisibleSystem[], RedfishBody>();

export const handleManagerCollectionGet = (ctx: AuthenticatedContext): HandlerReply => ({
  status: 200,
  body: memoised(collections, visibleSystems(ctx), toManagerCollection),
});

export const handleManagerGet = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'managerId'), 'Manager');
  return { status: 200, body: toManager(system, ctx.deps.service, ctx.deps.clock.now()) };
};
