// Classifies a VM's disks and interfaces by their real device and volume types (never by name),
// the basis of both the inventory snapshot and the boot-order override.
import type { Disk, Interface, VirtualMachine, Volume } from './types.ts';
import { VirtualMediaDisk } from './types.ts';

/** Volume sources that hold a bootable image; cloud-init, config maps, secrets etc. do not. */
const bootableSources = [
  'persistentVolumeClaim',
  'dataVolume',
  'containerDisk',
  'ephemeral',
  'emptyDisk',
  'hostDisk',
] as const;
export type BootableSource = (typeof bootableSources)[number];

export interface ClassifiedDisk {
  readonly disk: Disk;
  readonly kind: 'disk' | 'cdrom' | 'lun';
  readonly volume: Volume | undefined;
  /** The bootable source backing the disk, if any. */
  readonly source: BootableSource | undefined;
  /** The dedicated virtual-media CD-ROM this service manages. */
  readonly virtualMedia: boolean;
}

export const diskKind = (disk: Disk): 'disk' | 'cdrom' | 'lun' =>
  disk.cdrom ? 'cdrom' : disk.lun ? 'lun' : 'disk';

const sourceOf = (volume: Volume | undefined): BootableSource | undefined =>
  volume ? bootableSources.find((key) => volume[key] !== undefined) : undefined;

export const vmDisks = (vm: VirtualMachine): readonly Disk[] =>
  vm.spec.template?.spec?.domain?.devices?.disks ?? [];

export const vmInterfaces = (vm: VirtualMachine): readonly Interface[] =>
  vm.spec.template?.spec?.domain?.devices?.interfaces ?? [];

export const classifyDisks = (vm: VirtualMachine): readonly ClassifiedDisk[] => {
  const volumes = new Map((vm.spec.template?.spec?.volumes ?? []).map((v) => [v.name, v]));
  return vmDisks(vm).map((disk) => {
    const volume = volumes.get(disk.name);
    return {
      disk,
      kind: diskKind(disk),
      volume,
      source: sourceOf(volume),
      virtualMedia: disk.name === VirtualMediaDisk,
    };
  });
};

/**
 * The disk "Hdd" means: a non-CD-ROM disk with a bootable source; among several, the one the
 * user's own boot order put first (`order` gives that original order), else the first listed.
 */
export const rootDisk = (
  disks: readonly ClassifiedDisk[],
  order: (name: string) => number | undefined = () => undefined,
): ClassifiedDisk | undefined => {
  const candidates = disks.filter((d) => d.kind !== 'cdrom' && d.source !== undefined);
  const ordered = candidates
    .filter((d) => order(d.disk.name) !== undefined)
    .sort((a, b) => (order(a.disk.name) ?? 0) - (order(b.disk.name) ?? 0));
  return ordered[0] ?? candidates[0];
};

/** The virtual-media CD-ROM disk, when the VM has one. */
export const virtualMediaDisk = (disks: readonly ClassifiedDisk[]): ClassifiedDisk | undefined =>
  disks.find((d) => d.virtualMedia);
