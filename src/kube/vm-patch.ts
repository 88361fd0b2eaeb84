// Conflict-safe VM writes: a JSON merge patch carrying metadata.resourceVersion (so the API server
// answers 409 if the VM changed since we read it), rebuilt from a fresh read and retried on 409.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { BackendError } from '../backend/errors.ts';
import type { VmRef } from '../backend/port.ts';
import type { KubeClients } from './client.ts';
import { statusCode, toBackendError } from './errors.ts';
import type { VirtualMachine } from './types.ts';

/** Attempts before a write gives up on a VM that keeps changing under it. */
const maxAttempts = 5;

export const vmPath = { group: 'kubevirt.io', version: 'v1', plural: 'virtualmachines' } as const;

export const getVmFresh = async (clients: KubeClients, ref: VmRef): Promise<VirtualMachine> => {
  try {
    return (await clients.custom.getNamespacedCustomObject({
      ...vmPath,
      ...ref,
    })) as VirtualMachine;
  } catch (error) {
    throw toBackendError(error, `VirtualMachine ${ref.namespace}/${ref.name}`);
  }
};

const changedSinceRead = (ref: VmRef, cause?: unknown): BackendError =>
  new BackendError(
    'preconditionFailed',
    `VirtualMachine ${ref.namespace}/${ref.name} changed since the client read it`,
    cause === undefined ? undefined : { cause },
  );

/** If-Match on a write that carries no resourceVersion of its own (a lifecycle subresource, the
 *  objects virtual media creates before it patches the VM): the VM on the API server must still
 *  be the one the client's ETag was computed from. Returns it. */
export const requireUnchanged = async (
  clients: KubeClients,
  ref: VmRef,
  cached: VirtualMachine,
): Promise<VirtualMachine> => {
  const fresh = await getVmFresh(clients, ref);
  if (fresh.metadata.resourceVersion !== cached.metadata.resourceVersion)
    throw changedSinceRead(ref);
  return fresh;
};

/**
 * Applies `build(vm)` (a merge-patch body, or undefined when nothing needs to change) to the VM.
 * The first attempt builds from `cached`; after a 409 it rebuilds from a fresh GET, unless the
 * write is `pinned` to the version the client saw (If-Match): then the 409 is the lost update
 * If-Match exists to prevent, and answers preconditionFailed.
 * Returns the VM as the server stored it, or the VM read when nothing changed.
 */
export const patchVm = async (
  clients: KubeClients,
  ref: VmRef,
  cached: VirtualMachine | undefined,
  build: (vm: VirtualMachine) => Record<string, unknown> | undefined,
  signal?: AbortSignal,
  pinned = false,
): Promise<VirtualMachine> => {
  let vm = cached ?? (await getVmFresh(clients, ref));
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    const body = build(vm);
    if (!body) return vm;
    const metadata = { ...(body.metadata as Record<string, unknown> | undefined) };
    metadata.resourceVersion = vm.metadata.resourceVersion;
    try {
      return (await clients.custom.patchNamespacedCustomObject(
        { ...vmPath, ...ref, body: { ...body, metadata } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )) as VirtualMachine;
    } catch (error) {
      if (statusCode(error) !== 409)
        throw toBackendError(error, `VirtualMachine ${ref.namespace}/${ref.name}`);
      if (pinned) throw changedSinceRead(ref, error);
      // A client that hung up (or the deadline) gets no further read or attempt.
      signal?.throwIfAborted();
      if (attempt >= maxAttempts) {
        throw new BackendError(
          'conflict',
          `VirtualMachine ${ref.namespace}/${ref.name} keeps changing; try again`,
          {
            cause: error,
          },
        );
      }
      vm = await getVmFresh(clients, ref);
    }
  }
};
