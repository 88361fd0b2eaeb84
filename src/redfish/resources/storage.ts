// Storage resources under a system: one Storage subsystem holding one Drive and one Volume per VM
// disk of known size (the virtual-media CD-ROM is VirtualMedia, not a drive), protocol from the
// disk bus. simple-storage.ts lists every disk the older way, sized or not.
import type { VisibleSystem } from '../../auth/types.ts';
import type { DiskSnapshot } from '../../backend/port.ts';
import type { Protocol } from '../enums.ts';
import { RedfishError, resourceNotFound } from '../messages.ts';
import { link, toCollection, odataTypes, uris } from '../odata.ts';
import {
  pathParam,
  type AuthenticatedContext,
  type HandlerReply,
  type RedfishBody,
} from '../handler.ts';
import { visibleSystem } from '../visibility.ts';

/** The one storage subsystem of a VM (SimpleStorage uses the same Id). */
export const storageId = 'Disks';

/** Redfish protocols for KubeVirt disk buses: virtio-blk is a PCI(e) device on q35; SCSI has no
 *  Redfish protocol of its own, so a scsi disk states none. */
const protocols: Readonly<Record<string, Protocol>> = {
  virtio: 'PCIe',
  sata: 'SATA',
  usb: 'USB',
};

export const protocolOf = (disk: DiskSnapshot): Protocol | undefined =>
  disk.bus === undefined ? undefined : protocols[disk.bus];

/** Every disk of the VM but the virtual-media CD-ROM: SimpleStorage's devices. */
export const disksOf = (system: VisibleSystem): readonly DiskSnapshot[] =>
  system.snapshot.disks.filter((d) => !d.virtualMedia);

type SizedDisk = DiskSnapshot & { readonly sizeBytes: number };

/**
 * The disks Storage presents as Drives and Volumes: those whose size the cluster states (the
 * claim, an emptyDisk's capacity, the ISO size the running instance measured).
 *
 * Why not every disk, with CapacityBytes left out where unknown: Ironic's inspection reads
 * sushy's StorageCollection.volumes_sizes_bytes and drives_sizes_bytes, which sort the
 * capacity_bytes of every Volume and Drive (sushy 4.3.3, Debian's); an absent or null
 * CapacityBytes is None there, sorted() raises a TypeError Ironic does not catch, and the whole
 * inspection fails. A number we do not have (0, an image's download size) would be a lie Ironic
 * sizes the root disk by. So a disk of unknown size (a containerDisk, whose image KubeVirt never
 * measures; a cloud-init disk while the VM is off, before its ISO exists) is no Drive here, as a
 * BMC lists no drive it has not inventoried. SimpleStorage still names it, without
 * CapacityBytes, which sushy's disks_sizes_bytes skips.
 */
export const drivesOf = (system: VisibleSystem): readonly SizedDisk[] =>
  disksOf(system).filter((d): d is SizedDisk => d.sizeBytes !== undefined);

const status = { State: 'Enabled', Health: 'OK' } as const;

const diskOf = (system: VisibleSystem, id: string, type: string): SizedDisk => {
  const disk = drivesOf(system).find((d) => d.name === id);
  if (disk === undefined) throw new RedfishError(resourceNotFound(type, id));
  return disk;
};

const requireStorage = (ctx: AuthenticatedContext, type = 'Storage'): void => {
  const id = pathParam(ctx, 'storageId');
  if (id !== storageId) throw new RedfishError(resourceNotFound(type, id));
};

export const toStorage = (system: VisibleSystem): RedfishBody => {
  const drives = drivesOf(system);
  return {
    '@odata.id': uris.storage(system.id, storageId),
    '@odata.type': odataTypes.Storage,
    Id: storageId,
    Name: 'Virtual disks',
    Description: 'The disks of the VirtualMachine',
    Drives: drives.map((d) => link(uris.drive(system.id, storageId, d.name))),
    'Drives@odata.count': drives.length,
    Volumes: link(uris.volumes(system.id, storageId)),
    Status: status,
  };
};

export const toDrive = (system: VisibleSystem, disk: SizedDisk): RedfishBody => {
  const protocol = protocolOf(disk);
  return {
    '@odata.id': uris.drive(system.id, storageId, disk.name),
    '@odata.type': odataTypes.Drive,
    Id: disk.name,
    Name: disk.name,
    CapacityBytes: disk.sizeBytes,
    ...(protocol === undefined ? {} : { Protocol: protocol }),
    Links: { Volumes: [link(uris.volume(system.id, storageId, disk.name))] },
    Status: status,
  };
};

export const toVolume = (system: VisibleSystem, disk: SizedDisk): RedfishBody => ({
  '@odata.id': uris.volume(system.id, storageId, disk.name),
  '@odata.type': odataTypes.Volume,
  Id: disk.name,
  Name: disk.name,
  CapacityBytes: disk.sizeBytes,
  // Each disk is its own volume on one drive: no RAID.
  RAIDType: 'None',
  Links: { Drives: [link(uris.drive(system.id, storageId, disk.name))] },
  Status: status,
});

export const handleStorageCollectionGet = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  return {
    status: 200,
    body: toCollection(
      uris.storageCollection(system.id),
      odataTypes.StorageCollection,
      'Storage Collection',
      [uris.storage(system.id, storageId)],
    ),
  };
};

export const handleStorageGet = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  requireStorage(ctx);
  return { status: 200, body: toStorage(system) };
};

export const handleDriveGet = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  requireStorage(ctx);
  return { status: 200, body: toDrive(system, diskOf(system, pathParam(ctx, 'driveId'), 'Drive')) };
};

export const handleVolumeCollectionGet = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  requireStorage(ctx);
  return {
    status: 200,
    body: toCollection(
      uris.volumes(system.id, storageId),
      odataTypes.VolumeCollection,
      'Volume Collection',
      drivesOf(system).map((d) => uris.volume(system.id, storageId, d.name)),
    ),
  };
};

export const handleVolumeGet = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  requireStorage(ctx);
  const disk = diskOf(system, pathParam(ctx, 'volumeId'), 'Volume');
  return { status: 200, body: toVolume(system, disk) };
};
