// Memory resources under a system: the guest's memory as one module of the size KubeVirt gives it
// (Ironic's memory_mb), served only when that size is known (BEHAVIOUR.md "Inventory").
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
import { sizingSources } from './processors.ts';

const MiB = 1024 ** 2;
/** A VM's memory is one block of guest RAM; there are no DIMMs to count. */
const moduleId = 'Memory0';

const moduleIds = (system: VisibleSystem): readonly string[] =>
  system.snapshot.memoryBytes === undefined ? [] : [moduleId];

export const toMemory = (system: VisibleSystem, memoryBytes: number): RedfishBody => ({
  '@odata.id': uris.memoryModule(system.id, moduleId),
  '@odata.type': odataTypes.Memory,
  Id: moduleId,
  Name: 'Guest memory',
  ...(system.snapshot.memorySource === undefined
    ? {}
    : { Description: `Sized from ${sizingSources[system.snapshot.memorySource]}` }),
  MemoryType: 'DRAM',
  CapacityMiB: Math.floor(memoryBytes / MiB),
  Status: { State: 'Enabled', Health: 'OK' },
});

export const handleMemoryCollectionGet = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  return {
    status: 200,
    body: toCollection(
      uris.memory(system.id),
      odataTypes.MemoryCollection,
      'Memory Collection',
      moduleIds(system).map((id) => uris.memoryModule(system.id, id)),
    ),
  };
};

export const handleMemoryGet = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  const id = pathParam(ctx, 'memoryId');
  const bytes = system.snapshot.memoryBytes;
  if (id !== moduleId || bytes === undefined)
    throw new RedfishError(resourceNotFound('Memory', id));
  return { status: 200, body: toMemory(system, bytes) };
};
