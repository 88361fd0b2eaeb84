// The boot override as kept on the VM: an annotation recording what Redfish asked for and the
// user's own boot order to restore, plus the pure planning of device bootOrder values.
import {
  BootOverrideEnabledValues,
  BootTargets,
  type BootOverrideEnabled,
  type BootTarget,
} from '../backend/port.ts';
import { classifyDisks, rootDisk, virtualMediaDisk, vmDisks, vmInterfaces } from './devices.ts';
import { Annotations, type VirtualMachine } from './types.ts';

/** bootOrder per device name; devices absent from a map carry no bootOrder. */
export interface DeviceOrder {
  readonly disks: Readonly<Record<string, number>>;
  readonly interfaces: Readonly<Record<string, number>>;
}

export interface BootRecord {
  readonly target: BootTarget;
  readonly enabled: BootOverrideEnabled;
  /** The user's order before this service first changed it; restored by None/Disabled. */
  readonly original?: DeviceOrder;
  /** Set while a one-time boot is pending: the VMI that existed when it was asked for ('' if
   *  none) and the rebootPolicy to put back once a newer VMI has started. */
  readonly once?: { readonly vmiUid: string; readonly rebootPolicy: string | null };
  /** After a one-time boot under Always: the VMI that booted the target. Its own spec still says
   *  Terminate, so its reboot must be rebuilt (from the restored order) under Always; once a
   *  newer VMI exists the VM returns to Manual. Reads as no override. */
  readonly afterOnce?: { readonly vmiUid: string };
}

const noOverride: BootRecord = { target: 'None', enabled: 'Disabled' };

const isOrderMap = (value: unknown): value is Record<string, number> =>
  typeof value === 'object' &&
  value !== null &&
  Object.values(value).every((v) => typeof v === 'number' && Number.isInteger(v) && v > 0);

/** Reads the record; a missing or malformed annotation reads as "no override". */
export const readBootRecord = (vm: VirtualMachine): BootRecord => {
  const raw = vm.metadata.annotations?.[Annotations.boot];
  if (!raw) return noOverride;
  let parsed: Partial<Record<keyof BootRecord, unknown>>;
  try {
    parsed = JSON.parse(raw) as typeof parsed;
  } catch {
    return noOverride;
  }
  const target = BootTargets.find((t) => t === parsed.target);
  const enabled = BootOverrideEnabledValues.find((e) => e === parsed.enabled);
  if (!target || !enabled) return noOverride;
  const original = parsed.original as { disks?: unknown; interfaces?: unknown } | undefined;
  const once = parsed.once as { vmiUid?: unknown; rebootPolicy?: unknown } | undefined;
  const afterOnce = parsed.afterOnce as { vmiUid?: unknown } | undefined;
  return {
    target,
    enabled,
    ...(original && isOrderMap(original.disks) && isOrderMap(original.interfaces)
      ? { original: { disks: original.disks, interfaces: original.interfaces } }
      : {}),
    ...(once && typeof once.vmiUid === 'string'
      ? {
          once: {
            vmiUid: once.vmiUid,
            rebootPolicy: typeof once.rebootPolicy === 'string' ? once.rebootPolicy : null,
          },
        }
      : {}),
    ...(afterOnce && typeof afterOnce.vmiUid === 'string'
      ? { afterOnce: { vmiUid: afterOnce.vmiUid } }
      : {}),
  };
};

export const currentOrder = (vm: VirtualMachine): DeviceOrder => {
  const pick = (items: readonly { name: string; bootOrder?: number }[]) =>
    Object.fromEntries(
      items.filter((i) => i.bootOrder !== undefined).map((i) => [i.name, i.bootOrder as number]),
    );
  return { disks: pick(vmDisks(vm)), interfaces: pick(vmInterfaces(vm)) };
};

type DeviceKey = { readonly kind: 'disks' | 'interfaces'; readonly name: string };

/**
 * The order that boots `target` first. The user's own order (`base`) follows, so a failed PXE or
 * an empty CD-ROM falls through to what the VM booted before; if `base` is empty the root disk
 * follows, because once any device has a bootOrder KubeVirt tries no other (fidelity doc §3).
 * Returns undefined when the VM has no device for the target.
 */
export const planOrder = (
  vm: VirtualMachine,
  target: Exclude<BootTarget, 'None' | 'UefiHttp'>,
  base: DeviceOrder,
): DeviceOrder | undefined => {
  const disks = classifyDisks(vm);
  const first: DeviceKey | undefined =
    target === 'Pxe'
      ? vmInterfaces(vm)[0] && { kind: 'interfaces', name: vmInterfaces(vm)[0]?.name ?? '' }
      : target === 'Cd'
        ? virtualMediaDisk(disks) && {
            kind: 'disks',
            name: virtualMediaDisk(disks)?.disk.name ?? '',
          }
        : rootDisk(disks, (n) => base.disks[n]) && {
            kind: 'disks',
            name: rootDisk(disks, (n) => base.disks[n])?.disk.name ?? '',
          };
  if (!first) return undefined;
  const existingDisks = new Set(disks.map((d) => d.disk.name));
  const existingNics = new Set(vmInterfaces(vm).map((i) => i.name));
  const rest: (DeviceKey & { order: number })[] = [
    ...Object.entries(base.disks)
      .filter(([name]) => existingDisks.has(name))
      .map(([name, order]) => ({ kind: 'disks' as const, name, order })),
    ...Object.entries(base.interfaces)
      .filter(([name]) => existingNics.has(name))
      .map(([name, order]) => ({ kind: 'interfaces' as const, name, order })),
  ].sort((a, b) => a.order - b.order);
  const sequence: DeviceKey[] = [first, ...rest];
  const root = rootDisk(disks);
  if (rest.length === 0 && root) sequence.push({ kind: 'disks', name: root.disk.name });
  const result = { disks: {} as Record<string, number>, interfaces: {} as Record<string, number> };
  let next = 1;
  for (const device of sequence) {
    if (result[device.kind][device.name] !== undefined) continue;
    result[device.kind][device.name] = next++;
  }
  return result;
};

export const sameOrder = (a: DeviceOrder, b: DeviceOrder): boolean => {
  const same = (x: Readonly<Record<string, number>>, y: Readonly<Record<string, number>>) =>
    Object.keys(x).length === Object.keys(y).length &&
    Object.entries(x).every(([k, v]) => y[k] === v);
  return same(a.disks, b.disks) && same(a.interfaces, b.interfaces);
};
