// ComputerSystem resources: the Systems collection and one system per visible VM, built by pure
// functions from backend snapshots (BEHAVIOUR.md "Identity", "Power", "Boot override").
import type { VisibleSystem } from '../../auth/types.ts';
import type {
  BackendCapabilities,
  PowerState as VmPowerState,
  VmSnapshot,
} from '../../backend/port.ts';
import {
  supportedBootModes,
  supportedBootOverrideEnabled,
  supportedResetTypes,
  type BootSource,
  type Health,
  type IndicatorLED,
  type PowerState,
  type ResetType,
  type State,
  type SystemType,
} from '../enums.ts';
import { condition, undeterminedFault } from '../messages.ts';
import { link, toCollection, odataTypes, uris } from '../odata.ts';
import {
  pathParam,
  type AuthenticatedContext,
  type HandlerReply,
  type RedfishBody,
} from '../handler.ts';
import { visibleSystem, visibleSystems } from '../visibility.ts';
import { memoised } from '../../util/memo.ts';
import { biosVersion } from './bios.ts';

const systemType: SystemType = 'Virtual';
/** Neutral on purpose: Ironic switches vendor quirks on names like Dell or Supermicro
 *  (clients-and-peers.md §0 item 12). */
export const manufacturer = 'KubeVirt';
const model = 'KubeVirt VirtualMachine';

/** Status.State for a power state, as bmcweb reports hosts: Off is Disabled, transitions to on
 *  are Starting, a paused guest only answers a restricted set of commands (Quiesced). */
const stateOf: Readonly<Record<VmPowerState, State>> = {
  On: 'Enabled',
  Off: 'Disabled',
  PoweringOn: 'Starting',
  PoweringOff: 'Enabled',
  Paused: 'Quiesced',
};

const GiB = 1024 ** 3;

const status = (vm: VmSnapshot): RedfishBody => {
  // The port's health words are the DMTF Health enum; the compiler holds them to it.
  const health: Health = vm.health;
  return {
    State: stateOf[vm.powerState],
    Health: health,
    // A VM has no separately reported subsystems, so the rollup is its own health.
    HealthRollup: health,
    ...(vm.health !== 'OK' && vm.healthMessage !== undefined
      ? {
          Conditions: [
            condition(undeterminedFault(`${vm.platformStatus}: ${vm.healthMessage}`), vm.health),
          ],
        }
      : {}),
  };
};

/** Counts from the CPU topology; absent when the platform does not say (never invented). */
const processorSummary = (vm: VmSnapshot): RedfishBody | undefined =>
  vm.cpu === undefined
    ? undefined
    : {
        Count: vm.cpu.sockets,
        CoreCount: vm.cpu.sockets * vm.cpu.cores,
        LogicalProcessorCount: vm.cpu.sockets * vm.cpu.cores * vm.cpu.threads,
      };

const memorySummary = (vm: VmSnapshot): RedfishBody | undefined =>
  vm.memoryBytes === undefined ? undefined : { TotalSystemMemoryGiB: vm.memoryBytes / GiB };

/** The boot override with the values this VM accepts; sushy refuses anything else locally. */
const boot = (vm: VmSnapshot): RedfishBody => {
  // Port boot targets are DMTF BootSource values; the compiler holds them to it.
  const allowable: readonly BootSource[] = vm.bootTargets;
  return {
    BootSourceOverrideTarget: vm.boot.target,
    'BootSourceOverrideTarget@Redfish.AllowableValues': [...allowable],
    BootSourceOverrideEnabled: vm.boot.enabled,
    'BootSourceOverrideEnabled@Redfish.AllowableValues': [...supportedBootOverrideEnabled],
    BootSourceOverrideMode: vm.boot.mode,
    'BootSourceOverrideMode@Redfish.AllowableValues': [...supportedBootModes],
  };
};

export const toComputerSystem = (
  system: VisibleSystem,
  resetTypes: readonly ResetType[],
): RedfishBody => {
  const vm = system.snapshot;
  const powerState: PowerState = vm.powerState;
  const processors = processorSummary(vm);
  const indicatorLed: IndicatorLED = vm.indicatorLed;
  const memory = memorySummary(vm);
  return {
    '@odata.id': uris.system(system.id),
    '@odata.type': odataTypes.ComputerSystem,
    Id: system.id,
    Name: vm.ref.name,
    UUID: vm.uuid,
    SystemType: systemType,
    Manufacturer: manufacturer,
    Model: model,
    ...(vm.serialNumber === undefined ? {} : { SerialNumber: vm.serialNumber }),
    PowerState: powerState,
    Status: status(vm),
    Boot: boot(vm),
    ...(processors === undefined ? {} : { ProcessorSummary: processors }),
    ...(memory === undefined ? {} : { MemorySummary: memory }),
    // Ironic ≥ 24.1 takes virtual media from here when the link exists (virtual-media.ts).
    VirtualMedia: link(uris.virtualMediaCollection('system', system.id)),
    // What Ironic's inspection reads (issue 13): processors.ts, memory.ts, ethernet-interfaces.ts,
    // simple-storage.ts, storage.ts.
    Processors: link(uris.processors(system.id)),
    Memory: link(uris.memory(system.id)),
    EthernetInterfaces: link(uris.ethernetInterfaces(system.id)),
    SimpleStorage: link(uris.simpleStorageCollection(system.id)),
    Storage: link(uris.storageCollection(system.id)),
    IndicatorLED: indicatorLed,
    BiosVersion: biosVersion(system),
    Bios: link(uris.bios(system.id)),
    SecureBoot: link(uris.secureBoot(system.id)),
    // Kubernetes Events and this service's audit records (log-services.ts).
    LogServices: link(uris.logServices('system', system.id)),
    Actions: {
      '#ComputerSystem.Reset': {
        target: uris.systemReset(system.id),
        'ResetType@Redfish.AllowableValues': [...resetTypes],
      },
    },
    Links: {
      // One Manager per system, sharing its Id (managers.ts).
      ManagedBy: [link(uris.manager(system.id))],
      Chassis: [link(uris.chassis(system.chassis))],
    },
  };
};

export const toSystemCollection = (systems: readonly VisibleSystem[]): RedfishBody =>
  toCollection(
    uris.systems,
    odataTypes.ComputerSystemCollection,
    'Computer System Collection',
    systems.map((s) => uris.system(s.id)),
  );

/** Each snapshot's last rendering and what else went into it. A snapshot is replaced whenever
 *  anything behind it changes (the backend's caches), so while it lives the same system renders
 *  the same object, and representation.ts serialises and digests that object once (issue 12). */
const rendered = new WeakMap<
  VmSnapshot,
  {
    readonly id: string;
    readonly chassis: string;
    readonly resetTypes: readonly ResetType[];
    readonly body: RedfishBody;
  }
>();
/** The capabilities object is replaced when they change; its reset types are asked per read. */
const resetTypesOf = new WeakMap<BackendCapabilities, readonly ResetType[]>();

/** The system as the caller would read it now; the basis of its ETag and of If-Match. */
export const currentSystem = (ctx: AuthenticatedContext, system: VisibleSystem): RedfishBody => {
  const { capabilities } = ctx.deps.backend;
  const resetTypes = memoised(resetTypesOf, capabilities, supportedResetTypes);
  const known = rendered.get(system.snapshot);
  if (
    known?.id === system.id &&
    known.chassis === system.chassis &&
    known.resetTypes === resetTypes
  )
    return known.body;
  const body = toComputerSystem(system, resetTypes);
  rendered.set(system.snapshot, { id: system.id, chassis: system.chassis, resetTypes, body });
  return body;
};

/** The collection of each visible-systems array (scope.ts returns the same one while nothing
 *  in it changed), so it is rendered once per change (issue 12). */
const collections = new WeakMap<readonly VisibleSystem[], RedfishBody>();

export const handleSystemCollectionGet = (ctx: AuthenticatedContext): HandlerReply => ({
  status: 200,
  body: memoised(collections, visibleSystems(ctx), toSystemCollection),
});

export const handleSystemGet = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  return { status: 200, body: currentSystem(ctx, system) };
};
