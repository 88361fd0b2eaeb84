// Pure mapping of KubeVirt/CDI objects (VM + VMI + DataVolumes + PVCs) to the port's VmSnapshot.
// Nothing here calls the API or mutates its inputs; values we cannot know are left out.
import { createHash } from 'node:crypto';
import {
  IndicatorLeds,
  type BootSettings,
  type BootTarget,
  type DiskSnapshot,
  type Health,
  type IndicatorLed,
  type NicSnapshot,
  type PowerState,
  type VmSnapshot,
} from '../backend/port.ts';
import { readBootRecord } from './boot-record.ts';
import { classifyDisks, rootDisk, vmInterfaces, virtualMediaDisk } from './devices.ts';
import { diskSizeOf } from './disk-sizes.ts';
import { mediaVolumeOf } from './media-manifests.ts';
import {
  toMediaSnapshot,
  withMediaHealth,
  withoutCdi,
  type ImportDeadline,
} from './media-snapshot.ts';
import {
  architectureOf,
  cpuOf,
  instancetypeOf,
  memoryOf,
  type InstancetypeLookup,
} from './sizing.ts';
import { uuidV5 } from '../util/uuid.ts';
import { redactUrlsIn } from '../observability/logger.ts';
import {
  Annotations,
  type Condition,
  type DataVolume,
  type PersistentVolumeClaim,
  type VirtualMachine,
  type VirtualMachineInstance,
} from './types.ts';

export interface MappingInput {
  readonly vm: VirtualMachine;
  readonly vmi: VirtualMachineInstance | undefined;
  readonly dataVolume: (name: string) => DataVolume | undefined;
  /** CDI's API is served (default true); without it no DataVolume can exist. */
  readonly dataVolumesServed?: boolean;
  readonly pvc: (name: string) => PersistentVolumeClaim | undefined;
  /** The cluster can add an empty CD-ROM to a VM (declarative hotplug), so Cd is always bootable. */
  readonly emptyCdrom: boolean;
  /** Imports still running at insertion + datavolume.iso_download_timeout count as failed. */
  readonly importDeadline?: ImportDeadline;
  /** Instancetypes from cache; without it a VM's instancetype sizing is unknown. */
  readonly instancetype?: InstancetypeLookup;
}

/** KubeVirt's namespace for legacy name-derived firmware UUIDs (kubevirt-facts.json "firmware"). */
const legacyUuidNamespace = '6a1a24a1-4061-4607-8bf4-a3963d0c5895';

/** UUIDv5 (RFC 9562 §5.5) of the VM name, as virt-controller computes it for VMs without
 *  firmware.uuid (created before v1.6). */
export const legacyFirmwareUuid = (name: string): string => uuidV5(legacyUuidNamespace, name);

const finalPhases = new Set(['Succeeded', 'Failed']);

/** Whether the VM is meant to be running: its strategy runs it, a live VMI exists, or a Start
 *  request is queued. Decides whether an error state reads as a failed power-on or as Off. */
const wantsToRun = (vm: VirtualMachine, vmi: VirtualMachineInstance | undefined): boolean => {
  const strategy = vm.spec.runStrategy ?? (vm.spec.running ? 'Always' : 'Halted');
  if (strategy === 'Always' || strategy === 'RerunOnFailure' || strategy === 'Once') return true;
  if (vmi && !finalPhases.has(vmi.status?.phase ?? '')) return true;
  const requests = (vm.status as { stateChangeRequests?: { action?: string }[] } | undefined)
    ?.stateChangeRequests;
  return requests?.[0]?.action === 'Start';
};

const errorStatuses = new Set([
  'ErrorPvcNotFound',
  'DataVolumeError',
  'ErrorUnschedulable',
  'ErrImagePull',
  'ImagePullBackOff',
  'CrashLoopBackOff',
]);

const findCondition = (conditions: readonly Condition[] | undefined, type: string) =>
  conditions?.find((c) => c.type === type);

/** The most specific reason KubeVirt or CDI gives for an error status. */
const errorMessage = (input: MappingInput, status: string): string => {
  const { vm, vmi } = input;
  if (status === 'DataVolumeError') {
    for (const volume of vm.spec.template?.spec?.volumes ?? []) {
      if (!volume.dataVolume) continue;
      const running = findCondition(
        input.dataVolume(volume.dataVolume.name)?.status?.conditions,
        'Running',
      );
      if (running?.status === 'False' && running.message) return running.message;
    }
  }
  const condition =
    findCondition(vm.status?.conditions, 'Failure') ??
    findCondition(vmi?.status?.conditions, 'PodScheduled') ??
    findCondition(vmi?.status?.conditions, 'Synchronized');
  return condition?.message ?? status;
};

/** PowerState and health per BEHAVIOUR.md "Power", from printableStatus and the VMI phase. */
export const powerOf = (
  input: MappingInput,
): { powerState: PowerState; health: Health; healthMessage?: string } => {
  const { vm, vmi } = input;
  const status = vm.status?.printableStatus ?? 'Stopped';
  const phase = vmi?.status?.phase;
  switch (status) {
    case 'Running':
    case 'Migrating':
      // printableStatus may lag the VMI; only a running VMI is On.
      return {
        powerState: phase === undefined || phase === 'Running' ? 'On' : 'PoweringOn',
        health: 'OK',
      };
    case 'Paused':
      return { powerState: 'Paused', health: 'OK' };
    case 'Stopping':
    case 'Terminating':
      return { powerState: 'PoweringOff', health: 'OK' };
    case 'Starting':
      return { powerState: 'PoweringOn', health: 'OK' };
    case 'Provisioning':
    case 'WaitingForVolumeBinding':
      // A halted VM whose DataVolume imports also shows Provisioning: that is not a power-on.
      return { powerState: wantsToRun(vm, vmi) ? 'PoweringOn' : 'Off', health: 'OK' };
    case 'Stopped':
    case 'Halted':
    case 'WaitingForReceiver':
      return { powerState: 'Off', health: 'OK' };
    default:
      break;
  }
  if (errorStatuses.has(status)) {
    return {
      powerState: wantsToRun(vm, vmi) ? 'PoweringOn' : 'Off',
      health: 'Critical',
      healthMessage: `${status}: ${errorMessage(input, status)}`,
    };
  }
  // Unknown (or a status newer than this code): fall back to the VMI phase.
  const powerState: PowerState =
    phase === 'Running' ? 'On' : phase && !finalPhases.has(phase) ? 'PoweringOn' : 'Off';
  return { powerState, health: 'Warning', healthMessage: `KubeVirt reports status ${status}` };
};

export const bootSettingsOf = (vm: VirtualMachine): BootSettings => {
  const record = readBootRecord(vm);
  const efi = vm.spec.template?.spec?.domain?.firmware?.bootloader?.efi !== undefined;
  return { target: record.target, enabled: record.enabled, mode: efi ? 'UEFI' : 'Legacy' };
};

export const bootTargetsOf = (vm: VirtualMachine, emptyCdrom: boolean): readonly BootTarget[] => {
  const disks = classifyDisks(vm);
  const targets: BootTarget[] = ['None'];
  if (vmInterfaces(vm).length > 0) targets.push('Pxe');
  if (emptyCdrom || virtualMediaDisk(disks)) targets.push('Cd');
  if (rootDisk(disks)) targets.push('Hdd');
  return targets;
};

const nicsOf = (vm: VirtualMachine, vmi: VirtualMachineInstance | undefined): NicSnapshot[] =>
  vmInterfaces(vm).map((nic) => {
    const live = vmi?.status?.interfaces?.find((i) => i.name === nic.name);
    const mac = nic.macAddress ?? live?.mac;
    const addresses = live?.ipAddresses ?? (live?.ipAddress ? [live.ipAddress] : undefined);
    return {
      name: nic.name,
      ...(mac ? { mac: mac.toLowerCase().replaceAll('-', ':') } : {}),
      ...(nic.model ? { model: nic.model } : {}),
      bootable: true,
      ...(live?.linkState ? { linkUp: live.linkState === 'up' } : {}),
      ...(addresses ? { ipAddresses: addresses } : {}),
    };
  });

/** The firmware the running instance booted with (its spec is fixed for its lifetime). */
const currentBootOf = (vmi: VirtualMachineInstance | undefined): VmSnapshot['currentBoot'] => {
  if (vmi?.status?.phase !== 'Running') return undefined;
  const efi = vmi.spec?.domain?.firmware?.bootloader?.efi;
  return { mode: efi ? 'UEFI' : 'Legacy', secureBoot: efi ? (efi.secureBoot ?? true) : false };
};

const indicatorLedOf = (vm: VirtualMachine): IndicatorLed =>
  IndicatorLeds.find((v) => v === vm.metadata.annotations?.[Annotations.indicatorLed]) ?? 'Off';

const disksOf = (input: MappingInput): DiskSnapshot[] =>
  classifyDisks(input.vm).map(({ disk, kind, volume, virtualMedia }) => {
    const size = diskSizeOf(input, volume);
    const bus = disk.disk?.bus ?? disk.cdrom?.bus ?? disk.lun?.bus;
    return {
      name: disk.name,
      kind,
      ...(bus ? { bus } : {}),
      ...(size !== undefined ? { sizeBytes: size } : {}),
      virtualMedia,
    };
  });

/** Every object the snapshot is built from, by resourceVersion: the snapshot's version. */
const versionOf = (input: MappingInput): string => {
  const parts = [
    input.vm.metadata.resourceVersion ?? '',
    input.vmi?.metadata.resourceVersion ?? '',
  ];
  for (const volume of input.vm.spec.template?.spec?.volumes ?? []) {
    const claim = volume.dataVolume?.name ?? volume.persistentVolumeClaim?.claimName;
    if (!claim) continue;
    parts.push(
      input.dataVolume(claim)?.metadata.resourceVersion ?? '',
      input.pvc(claim)?.metadata.resourceVersion ?? '',
    );
  }
  return createHash('sha1').update(parts.join('/')).digest('base64url').slice(0, 20);
};

export const toVmSnapshot = (input: MappingInput): VmSnapshot => {
  const { vm, vmi } = input;
  const firmware = vm.spec.template?.spec?.domain?.firmware;
  const efi = firmware?.bootloader?.efi;
  const instancetype = instancetypeOf(vm, input.instancetype);
  const cpu = cpuOf(vm, vmi, instancetype);
  const memory = memoryOf(vm, vmi, instancetype);
  const architecture = architectureOf(vm, vmi);
  const currentBoot = currentBootOf(vmi);
  const machineType = vmi?.status?.machine?.type ?? vm.spec.template?.spec?.domain?.machine?.type;
  // KubeVirt and CDI messages quote the image URL, whose query may be a pre-signed credential;
  // these messages reach every user who can see the system.
  const imported =
    input.dataVolumesServed === false
      ? withoutCdi(vm)
      : toMediaSnapshot(vm, vmi, input.dataVolume, input.importDeadline, input.pvc);
  const media =
    imported.message === undefined
      ? imported
      : { ...imported, message: redactUrlsIn(imported.message) };
  const power = powerOf(input);
  return {
    ref: { namespace: vm.metadata.namespace ?? '', name: vm.metadata.name },
    labels: vm.metadata.labels ?? {},
    uuid: firmware?.uuid ?? legacyFirmwareUuid(vm.metadata.name),
    ...(firmware?.serial ? { serialNumber: firmware.serial } : {}),
    ...withMediaHealth(
      power.healthMessage === undefined
        ? power
        : { ...power, healthMessage: redactUrlsIn(power.healthMessage) },
      // A failure already cleaned up (the drive is empty again) no longer stops a power-on.
      mediaVolumeOf(vm) === undefined ? { ...media, state: 'Empty' } : media,
    ),
    platformStatus: vm.status?.printableStatus ?? 'Stopped',
    boot: bootSettingsOf(vm),
    bootTargets: bootTargetsOf(vm, input.emptyCdrom),
    ...(cpu ? { cpu: cpu.value, cpuSource: cpu.source } : {}),
    ...(architecture ? { architecture } : {}),
    ...(memory ? { memoryBytes: memory.value, memorySource: memory.source } : {}),
    nics: nicsOf(vm, vmi),
    disks: disksOf(input),
    // KubeVirt defaults secureBoot to true whenever EFI is present; BIOS cannot secure-boot.
    secureBoot: efi ? (efi.secureBoot ?? true) : false,
    efiVarsPersistent: efi?.persistent ?? false,
    ...(currentBoot ? { currentBoot } : {}),
    ...(machineType ? { machineType } : {}),
    indicatorLed: indicatorLedOf(vm),
    media,
    version: versionOf(input),
    createdAt: vm.metadata.creationTimestamp ?? '',
  };
};
