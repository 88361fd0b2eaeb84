// Removes what an interrupted InsertMedia leaves behind (issue 11 item 12). An insert writes the
// credentials Secret, then the DataVolume, then the VM patch; a kill between two steps leaves a
// Secret without its DataVolume, or a DataVolume the VM never referenced. Both are owned by the VM
// from creation (Kubernetes collects them with it), but while the VM lives nothing else would.
// Run by the leader only (leader-lease.ts), at start and periodically.
import type { V1Secret } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.ts';
import type { Clock } from '../util/clock.ts';
import type { KubeClients } from './client.ts';
import { statusMessage, toBackendError } from './errors.ts';
import { createMediaApi } from './media-api.ts';
import { mediaVolumeOf } from './media-manifests.ts';
import { MediaLabels, mediaSecretName } from './media-naming.ts';
import { managedByValue } from './ownership.ts';
import type { ObjectList, VirtualMachine } from './types.ts';

/** An object younger than this may belong to an insert still running on some replica. */
export const defaultLeftoverGraceMs = 10 * 60_000;
export const defaultLeftoverIntervalMs = 10 * 60_000;

/** Virtual-media objects only: session Secrets carry managed-by too, but no VM uid. */
const mediaSelector = `${MediaLabels.managedBy}=${managedByValue},${MediaLabels.vmUid}`;

/** The metadata both our Meta and client-node's V1ObjectMeta (which parses times) provide. */
interface Stamped {
  readonly creationTimestamp?: string | Date | undefined;
  readonly deletionTimestamp?: string | Date | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
}

export interface SweepOptions {
  readonly clients: KubeClients;
  readonly namespace: string;
  readonly now: number;
  readonly graceMs: number;
}

const listVms = async (clients: KubeClients, namespace: string): Promise<VirtualMachine[]> => {
  try {
    const list = (await clients.custom.listNamespacedCustomObject({
      group: 'kubevirt.io',
      version: 'v1',
      plural: 'virtualmachines',
      namespace,
    })) as ObjectList<VirtualMachine>;
    return list.items;
  } catch (error) {
    throw toBackendError(error, `VirtualMachines in ${namespace}`);
  }
};

const listMediaSecrets = async (clients: KubeClients, namespace: string): Promise<V1Secret[]> => {
  try {
    return (await clients.core.listNamespacedSecret({ namespace, labelSelector: mediaSelector }))
      .items;
  } catch (error) {
    throw toBackendError(error, `Secrets in ${namespace}`);
  }
};

/** Removes the leftovers of one namespace; answers how many objects it deleted. */
export const sweepLeftovers = async (options: SweepOptions): Promise<number> => {
  const { clients, namespace, now, graceMs } = options;
  const api = createMediaApi(clients);
  const settled = (meta: Stamped | undefined) =>
    !meta?.deletionTimestamp && now - new Date(meta?.creationTimestamp ?? '').getTime() >= graceMs;
  const vms = new Map((await listVms(clients, namespace)).map((vm) => [vm.metadata.uid, vm]));
  const vmOf = (meta: Stamped | undefined) => vms.get(meta?.labels?.[MediaLabels.vmUid] ?? '');

  let removed = 0;
  const dataVolumes = new Set<string>();
  for (const dv of await api.listDataVolumes(namespace, mediaSelector)) {
    dataVolumes.add(dv.metadata.name);
    const vm = vmOf(dv.metadata);
    if (!settled(dv.metadata) || (vm && mediaVolumeOf(vm)?.dataVolume?.name === dv.metadata.name))
      continue;
    await api.deleteDataVolume(namespace, dv.metadata.name);
    dataVolumes.delete(dv.metadata.name);
    removed += 1;
  }
  for (const secret of await listMediaSecrets(clients, namespace)) {
    const name = secret.metadata?.name ?? '';
    const used = [...dataVolumes].some((dv) => mediaSecretName(dv) === name);
    if (!settled(secret.metadata) || (vmOf(secret.metadata) && used)) continue;
    await api.deleteSecret(namespace, name);
    removed += 1;
  }
  return removed;
};

export interface LeftoverSweeper {
  /** Sweeps now (e.g. on becoming leader) unless a sweep is running. */
  sweepNow(): void;
  stop(): Promise<void>;
}

/** Sweeps every namespace every `intervalMs` and on sweepNow() (the caller's "became leader"),
 *  each time only while `isLeader()`; it does not call `isLeader` before the first of these. */
export const startLeftoverSweeper = (options: {
  readonly clients: KubeClients;
  readonly namespaces: () => readonly string[];
  readonly isLeader: () => boolean;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly intervalMs?: number;
  readonly graceMs?: number;
}): LeftoverSweeper => {
  const { clients, clock, logger } = options;
  const intervalMs = options.intervalMs ?? defaultLeftoverIntervalMs;
  const graceMs = options.graceMs ?? defaultLeftoverGraceMs;
  let running: Promise<void> | undefined;
  let stopped = false;
  let cancel: (() => void) | undefined;

  const sweepAll = async () => {
    for (const namespace of options.namespaces()) {
      if (stopped || !options.isLeader()) return;
      try {
        const removed = await sweepLeftovers({ clients, namespace, now: clock.now(), graceMs });
        if (removed > 0) logger.info({ namespace, removed }, 'leftover media objects removed');
      } catch (error) {
        logger.warn(
          { err: statusMessage(error), namespace },
          'sweeping leftover media objects failed',
        );
      }
    }
  };
  const sweepNow = () => {
    if (running || stopped) return;
    running = sweepAll().finally(() => {
      running = undefined;
    });
  };
  const schedule = () => {
    if (stopped) return;
    cancel = clock.setTimeout(() => {
      sweepNow();
      schedule();
    }, intervalMs);
  };
  schedule();
  return {
    sweepNow,
    async stop() {
      stopped = true;
      cancel?.();
      await running;
    },
  };
};
