// Boot override (BEHAVIOUR.md "Boot override"): bootOrder on the real devices, firmware mode, and
// one-time boots that survive a guest reboot (rebootPolicy Terminate, order restored once the next
// VMI has started). Every write is a merge patch with a resourceVersion precondition.
import { BackendError } from '../backend/errors.ts';
import type { BackendCapabilities, BootChange, BootTarget, VmRef } from '../backend/port.ts';
import {
  currentOrder,
  planOrder,
  readBootRecord,
  type BootRecord,
  type DeviceOrder,
} from './boot-record.ts';
import type { KubeClients } from './client.ts';
import { vmDisks, vmInterfaces } from './devices.ts';
import { patchVm } from './vm-patch.ts';
import {
  Annotations,
  VirtualMediaDisk,
  type Disk,
  type Interface,
  type VirtualMachine,
  type VirtualMachineInstance,
} from './types.ts';

export interface BootInput {
  readonly clients: KubeClients;
  readonly ref: VmRef;
  readonly vm: VirtualMachine | undefined;
  /** The current VMI, read when the patch is built (a one-time boot waits for a newer one). */
  readonly vmi: () => VirtualMachineInstance | undefined;
  readonly capabilities: BackendCapabilities;
  readonly signal?: AbortSignal;
  /** The change is pinned to the cached VM's version (If-Match): a conflict answers 412. */
  readonly pinned?: boolean;
}

/** The empty SATA CD-ROM that virtual media fills (SATA: the only hotplug-capable CD-ROM bus). */
const emptyCdrom: Disk = { name: VirtualMediaDisk, cdrom: { bus: 'sata' } };

const withOrder = <T extends { name: string; bootOrder?: number }>(
  items: readonly T[],
  order: Readonly<Record<string, number>>,
): T[] =>
  items.map((item) => {
    const copy = { ...item };
    delete copy.bootOrder;
    const next = order[item.name];
    return next === undefined ? copy : { ...copy, bootOrder: next };
  });

/** Merge-patch fragments for the parts of the VM a boot change touches. */
interface BootPatch {
  disks: Disk[];
  interfaces: Interface[];
  record: BootRecord | undefined;
  rebootPolicy?: string | null;
  runStrategy?: string;
  bootloader?: Record<string, unknown>;
}

const toMergePatch = (
  vm: VirtualMachine,
  patch: BootPatch,
): Record<string, unknown> | undefined => {
  const domain: Record<string, unknown> = {};
  const devices = vm.spec.template?.spec?.domain?.devices;
  if (JSON.stringify(patch.disks) !== JSON.stringify(devices?.disks ?? [])) {
    domain.devices = { disks: patch.disks };
  }
  if (JSON.stringify(patch.interfaces) !== JSON.stringify(devices?.interfaces ?? [])) {
    domain.devices = { ...(domain.devices as object | undefined), interfaces: patch.interfaces };
  }
  if (
    patch.rebootPolicy !== undefined &&
    patch.rebootPolicy !== (vm.spec.template?.spec?.domain?.rebootPolicy ?? null)
  ) {
    domain.rebootPolicy = patch.rebootPolicy;
  }
  if (patch.bootloader) domain.firmware = { bootloader: patch.bootloader };
  const strategy =
    patch.runStrategy !== undefined && patch.runStrategy !== vm.spec.runStrategy
      ? { runStrategy: patch.runStrategy, running: null }
      : undefined;
  // "No override" is no annotation, unless the end of a one-time boot is still being tracked.
  const keep = patch.record && (patch.record.enabled !== 'Disabled' || patch.record.afterOnce);
  const raw = keep ? JSON.stringify(patch.record) : null;
  const annotationChanged = raw !== (vm.metadata.annotations?.[Annotations.boot] ?? null);
  const hasDomain = Object.keys(domain).length > 0;
  if (!hasDomain && !annotationChanged && !strategy) return undefined;
  return {
    ...(annotationChanged ? { metadata: { annotations: { [Annotations.boot]: raw } } } : {}),
    ...(hasDomain || strategy
      ? { spec: { ...strategy, ...(hasDomain ? { template: { spec: { domain } } } : {}) } }
      : {}),
  };
};

const ordered = (vm: VirtualMachine, disks: readonly Disk[], order: DeviceOrder) => ({
  disks: withOrder(disks, order.disks),
  interfaces: withOrder(vmInterfaces(vm), order.interfaces),
});

/** The firmware change for a mode, or undefined when the VM already boots that way. */
const bootloaderFor = (vm: VirtualMachine, mode: BootChange['mode']) => {
  if (!mode) return undefined;
  const efi = vm.spec.template?.spec?.domain?.firmware?.bootloader?.efi !== undefined;
  if (mode === 'UEFI' && !efi) {
    // Plain UEFI: KubeVirt's default secureBoot: true would also require SMM (fidelity doc §3).
    return { bios: null, efi: { secureBoot: false } };
  }
  if (mode === 'Legacy' && efi) return { efi: null, bios: {} };
  return undefined;
};

const isLive = (vmi: VirtualMachineInstance | undefined): boolean =>
  vmi !== undefined &&
  !vmi.metadata.deletionTimestamp &&
  !['Succeeded', 'Failed'].includes(vmi.status?.phase ?? '');

type PlanTarget = Exclude<BootTarget, 'None' | 'UefiHttp'>;

const planFor = (
  vm: VirtualMachine,
  target: PlanTarget,
  base: DeviceOrder,
  capabilities: BackendCapabilities,
) => {
  let disks = vmDisks(vm);
  if (target === 'Cd' && !disks.some((d) => d.name === VirtualMediaDisk)) {
    // Without declarative hotplug an empty CD-ROM is invalid, and nothing else can hold media.
    if (!capabilities.cdromHotplug)
      throw new BackendError('unsupported', 'this cluster cannot add an empty CD-ROM');
    disks = [...disks, emptyCdrom];
  }
  const probe: VirtualMachine = {
    ...vm,
    spec: {
      ...vm.spec,
      template: {
        spec: {
          domain: { devices: { disks: [...disks], interfaces: [...vmInterfaces(vm)] } },
          volumes: vm.spec.template?.spec?.volumes ?? [],
        },
      },
    },
  };
  const order = planOrder(probe, target, base);
  if (!order)
    throw new BackendError(
      'unsupported',
      `${vm.metadata.name} has no device to boot ${target} from`,
    );
  return { disks, order };
};

/** Builds the patch for a boot change against `vm` (pure apart from reading the VMI). */
export const buildBootPatch = (
  vm: VirtualMachine,
  vmi: VirtualMachineInstance | undefined,
  change: BootChange,
  capabilities: BackendCapabilities,
): Record<string, unknown> | undefined => {
  const record = readBootRecord(vm);
  const target = change.target ?? record.target;
  // A target alone on a VM without an override means "boot it next time" (Once), as on BMCs.
  const enabled =
    change.enabled ??
    (change.target && change.target !== 'None' && record.enabled === 'Disabled'
      ? 'Once'
      : record.enabled);
  if (target === 'UefiHttp')
    throw new BackendError('unsupported', 'UEFI HTTP boot is not supported');
  const base = record.original ?? currentOrder(vm);
  const bootloader = bootloaderFor(vm, change.mode);
  const currentPolicy = vm.spec.template?.spec?.domain?.rebootPolicy ?? null;
  const onceRestoredPolicy = record.once ? record.once.rebootPolicy : currentPolicy;

  if (target === 'None' || enabled === 'Disabled') {
    const restored = record.original
      ? ordered(vm, vmDisks(vm), record.original)
      : ordered(vm, vmDisks(vm), currentOrder(vm));
    return toMergePatch(vm, {
      ...restored,
      record: undefined,
      rebootPolicy: onceRestoredPolicy,
      ...(record.once || record.afterOnce ? { runStrategy: 'Manual' } : {}),
      ...(bootloader ? { bootloader } : {}),
    });
  }
  const { disks, order } = planFor(vm, target, base, capabilities);
  const once =
    enabled === 'Once'
      ? (record.once ?? { vmiUid: vmi?.metadata.uid ?? '', rebootPolicy: currentPolicy })
      : undefined;
  const next: BootRecord = { target, enabled, original: base, ...(once ? { once } : {}) };
  const terminate = once !== undefined && capabilities.rebootPolicyTerminate;
  return toMergePatch(vm, {
    ...ordered(vm, disks, order),
    record: next,
    // Terminate turns a reboot from inside the guest into the end of the VMI, and Always makes
    // KubeVirt build the next one from the one-time order: an installer that reboots itself
    // boots the target once (KubeVirt v1.8+). A stopped VM gets Always when it is started
    // (power.ts), so setting the override does not power it on.
    rebootPolicy: terminate ? 'Terminate' : onceRestoredPolicy,
    ...(terminate && isLive(vmi) ? { runStrategy: 'Always' } : {}),
    ...(!terminate && (record.once || record.afterOnce) ? { runStrategy: 'Manual' } : {}),
    ...(bootloader ? { bootloader } : {}),
  });
};

const isNewer = (
  vmi: VirtualMachineInstance | undefined,
  than: string,
): vmi is VirtualMachineInstance =>
  vmi?.metadata.uid !== undefined && vmi.metadata.uid !== than && !vmi.metadata.deletionTimestamp;

/**
 * Finishing a one-time boot, in two steps. (1) Once a VMI newer than the one recorded exists (it
 * was built from the one-time order), put back the user's order and rebootPolicy; the override
 * reads Disabled. If the VM runs under Always for the one-time boot, that VMI's own spec still
 * says Terminate, so the installer's reboot must be rebuilt (now from the disk order): Always
 * stays, noted in `afterOnce`. (2) Once a VMI newer than that one exists, return to Manual.
 */
export const buildOnceRestorePatch = (
  vm: VirtualMachine,
  vmi: VirtualMachineInstance | undefined,
): Record<string, unknown> | undefined => {
  const record = readBootRecord(vm);
  if (record.enabled === 'Once' && record.once) {
    if (!isNewer(vmi, record.once.vmiUid)) return undefined;
    const underAlways = vm.spec.runStrategy === 'Always';
    return toMergePatch(vm, {
      ...ordered(vm, vmDisks(vm), record.original ?? currentOrder(vm)),
      record: underAlways
        ? { target: 'None', enabled: 'Disabled', afterOnce: { vmiUid: vmi.metadata.uid ?? '' } }
        : undefined,
      rebootPolicy: record.once.rebootPolicy,
    });
  }
  if (record.afterOnce && isNewer(vmi, record.afterOnce.vmiUid)) {
    // Back to the strategy under which a guest shutdown stays off (see power.ts).
    return toMergePatch(vm, {
      ...ordered(vm, vmDisks(vm), currentOrder(vm)),
      record: undefined,
      runStrategy: 'Manual',
    });
  }
  return undefined;
};

/** Applies the change; returns the VM as stored (unchanged when nothing needed to change). */
export const setBoot = (input: BootInput, change: BootChange): Promise<VirtualMachine> =>
  patchVm(
    input.clients,
    input.ref,
    input.vm,
    (vm) => buildBootPatch(vm, input.vmi(), change, input.capabilities),
    input.signal,
    input.pinned,
  );

export const restoreAfterOnce = async (input: BootInput): Promise<void> => {
  await patchVm(
    input.clients,
    input.ref,
    input.vm,
    (vm) => buildOnceRestorePatch(vm, input.vmi()),
    input.signal,
  );
};
