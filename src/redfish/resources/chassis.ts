// Chassis resources: one per configured chassis the caller may see (a namespace and a VM
// selector), linking the systems it holds and their managers.
import type { ChassisView, VisibleSystem } from '../../auth/types.ts';
import type { ChassisType, Health } from '../enums.ts';
import { link, toCollection, odataTypes, uris } from '../odata.ts';
import {
  pathParam,
  type AuthenticatedContext,
  type HandlerReply,
  type RedfishBody,
} from '../handler.ts';
import { visibleChassis, visibleChassisList, visibleSystemsOfChassis } from '../visibility.ts';

/** DMTF has no "virtual" chassis; Zone is "a logical division … that contains multiple devices
 *  or systems", which is what a namespace-and-selector grouping of VMs is. */
const chassisType: ChassisType = 'Zone';

const healthOrder: readonly Health[] = ['OK', 'Warning', 'Critical'];

/** The worst health of the chassis' systems; the chassis itself has nothing to fail. */
const rollup = (systems: readonly VisibleSystem[]): Health =>
  systems.reduce<Health>(
    (worst, s) =>
      healthOrder.indexOf(s.snapshot.health) > healthOrder.indexOf(worst)
        ? s.snapshot.health
        : worst,
    'OK',
  );

export const toChassis = (
  chassis: ChassisView,
  systems: readonly VisibleSystem[],
): RedfishBody => ({
  '@odata.id': uris.chassis(chassis.name),
  '@odata.type': odataTypes.Chassis,
  Id: chassis.name,
  Name: chassis.name,
  Description: chassis.description ?? `KubeVirt VirtualMachines in namespace ${chassis.namespace}`,
  ChassisType: chassisType,
  Status: { State: 'Enabled', Health: 'OK', HealthRollup: rollup(systems) },
  Links: {
    ComputerSystems: systems.map((s) => link(uris.system(s.id))),
    ManagedBy: systems.map((s) => link(uris.manager(s.id))),
  },
});

export const toChassisCollection = (chassis: readonly ChassisView[]): RedfishBody =>
  toCollection(
    uris.chassisCollection,
    odataTypes.ChassisCollection,
    'Chassis Collection',
    chassis.map((c) => uris.chassis(c.name)),
  );

export const handleChassisCollectionGet = (ctx: AuthenticatedContext): HandlerReply => ({
  status: 200,
  body: toChassisCollection(visibleChassisList(ctx)),
});

export const handleChassisGet = (ctx: AuthenticatedContext): HandlerReply => {
  const chassis = visibleChassis(ctx, pathParam(ctx, 'chassisId'));
  return {
    status: 200,
    body: toChassis(chassis, visibleSystemsOfChassis(ctx, chassis.name)),
  };
};
