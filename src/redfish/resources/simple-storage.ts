// SimpleStorage under a system: every disk (storage.ts's Drives are the sized ones), as the flat
// device list Ironic's inspection reads first for disk sizes; a disk of unknown size has no
// CapacityBytes, and sushy's disks_sizes_bytes leaves such a device out.
import type { VisibleSystem } from '../../auth/types.ts';
import { RedfishError, resourceNotFound } from '../messages.ts';
import { toCollection, odataTypes, uris } from '../odata.ts';
import {
  pathParam,
  type AuthenticatedContext,
  type HandlerReply,
  type RedfishBody,
} from '../handler.ts';
import { visibleSystem } from '../visibility.ts';
import { disksOf, storageId } from './storage.ts';

export const toSimpleStorage = (system: VisibleSystem): RedfishBody => ({
  '@odata.id': uris.simpleStorage(system.id, storageId),
  '@odata.type': odataTypes.SimpleStorage,
  Id: storageId,
  Name: 'Virtual disks',
  Devices: disksOf(system).map((disk) => ({
    Name: disk.name,
    ...(disk.sizeBytes === undefined ? {} : { CapacityBytes: disk.sizeBytes }),
    Status: { State: 'Enabled', Health: 'OK' },
  })),
  Status: { State: 'Enabled', Health: 'OK' },
});

export const handleSimpleStorageCollectionGet = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  return {
    status: 200,
    body: toCollection(
      uris.simpleStorageCollection(system.id),
      odataTypes.SimpleStorageCollection,
      'Simple Storage Collection',
      [uris.simpleStorage(system.id, storageId)],
    ),
  };
};

export const handleSimpleStorageGet = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  const id = pathParam(ctx, 'storageId');
  if (id !== storageId) throw new RedfishError(resourceNotFound('SimpleStorage', id));
  return { status: 200, body: toSimpleStorage(system) };
};
