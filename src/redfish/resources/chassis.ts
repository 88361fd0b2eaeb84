// Chassis resources: one per configured chassis the caller may see (a namespace and a VM
// selector), linking the systems it holds and their managers.
import type { ChassisView, VisibleSystem } from '../../auth/types.ts';
import { uuidV5 } from '../../util/uuid.ts';
import type { ChassisType, Health, IndicatorLED, PowerState } from '../enums.ts';
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

/** A zone has no power supply of its own: it is On while any of its systems is (or is coming)
 *  on, as an enclosure is, and Off when all of them are off. */
const powerOf = (systems: readonly VisibleSystem[]): PowerState =>
  systems.some((s) => s.snapshot.powerState !== 'Off') ? 'On' : 'Off';

const ledOrder: readonly IndicatorLED[] = ['Off', 'Lit', 'Blinking'];

/** The enclosure's identify lamp shows its members' (Blinking over Lit over Off): it has none of
 *  its own to set, so the chassis' IndicatorLED is read-only. */
const ledOf = (systems: readonly VisibleSystem[]): IndicatorLED =>
  systems.reduce<IndicatorLED>(
    (led, s) =>
      ledOrder.indexOf(s.snapshot.indicatorLed) > ledOrder.indexOf(led)
        ? s.snapshot.indicatorLed
        : led,
    'Off',
  );

export const toChassis = (
  chassis: ChassisView,
  systems: readonly VisibleSystem[],
  serviceUuid: string,
): RedfishBody => ({
  '@odata.id': uris.chassis(chassis.name),
  '@odata.type': odataTypes.Chassis,
  Id: chassis.name,
  Name: chassis.name,
  Description: chassis.description ?? `KubeVirt VirtualMachines in namespace ${chassis.namespace}`,
  ChassisType: chassisType,
  // Derived from the service's UUID and the chassis name: the same on every replica.
  UUID: uuidV5(serviceUuid, `chassis/${chassis.name}`),
  PowerState: powerOf(systems),
  IndicatorLED: ledOf(systems),
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
    body: toChassis(chassis, visibleSystemsOfChassis(ctx, chassis.name), ctx.deps.service.uuid),
  };
};
