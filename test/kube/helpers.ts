// Shared fixtures for the kube adapter suites: a simulator plus a started, synced KubeBackend.
import {
  createKubeBackend,
  type KubeBackend,
  type KubeBackendOptions,
} from '../../src/kube/kube-backend.ts';
import { loadKubeConfig } from '../../src/kube/client.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics, type Metrics } from '../../src/observability/metrics.ts';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/sim/simulator.ts';
import type { VmRef, VmSnapshot } from '../../src/backend/port.ts';
import { toVmSnapshot } from '../../src/kube/mapping.ts';
import type {
  DataVolume,
  PersistentVolumeClaim,
  VirtualMachine,
  VirtualMachineInstance,
} from '../../src/kube/types.ts';

export interface Rig {
  readonly sim: Simulator;
  readonly backend: KubeBackend;
  readonly metrics: Metrics;
  close(): Promise<void>;
}

export const startRig = async (
  simOptions: SimulatorOptions = {},
  backendOptions: Partial<KubeBackendOptions> = {},
): Promise<Rig> => {
  const sim = await startSimulator({ delays: 'instant', ...simOptions });
  const metrics = createMetrics();
  const backend = createKubeBackend({
    kubeConfig: loadKubeConfig({ kind: 'yaml', yaml: sim.kubeconfig() }),
    namespaces: ['demo-a', 'demo-b'],
    logger: createLogger({ level: 'silent' }),
    metrics,
    ...backendOptions,
  });
  await backend.start();
  await backend.waitForSync(AbortSignal.timeout(20_000));
  return {
    sim,
    backend,
    metrics,
    close: async () => {
      await backend.stop();
      await sim.close();
    },
  };
};

/** The snapshot version the cluster's current objects map to: equal to the cached snapshot's
 *  version once the informers have caught up with the store. */
const clusterVersion = (sim: Simulator, ref: VmRef): string | undefined => {
  const get = (key: string, name: string) => sim.store.get(key, ref.namespace, name) as unknown;
  const vm = get('virtualmachines.kubevirt.io', ref.name) as VirtualMachine | undefined;
  if (!vm) return undefined;
  return toVmSnapshot({
    vm,
    vmi: get('virtualmachineinstances.kubevirt.io', ref.name) as VirtualMachineInstance | undefined,
    dataVolume: (n) => get('datavolumes.cdi.kubevirt.io', n) as DataVolume | undefined,
    pvc: (n) => get('persistentvolumeclaims', n) as PersistentVolumeClaim | undefined,
    emptyCdrom: true,
  }).version;
};

/** Resolves once the cache has caught up with the cluster and the cached snapshot satisfies
 *  `predicate` (the informers are event driven: this waits for watch events, not for time). */
export const waitForVm = (
  rig: Pick<Rig, 'backend' | 'sim'>,
  ref: VmRef,
  predicate: (vm: VmSnapshot) => boolean,
  what = 'condition',
): Promise<VmSnapshot> =>
  new Promise((resolve, reject) => {
    const deadline = AbortSignal.timeout(20_000);
    const poll = (): void => {
      const vm = rig.backend.getVm(ref);
      if (vm && vm.version === clusterVersion(rig.sim, ref) && predicate(vm)) return resolve(vm);
      if (deadline.aborted) {
        return reject(
          new Error(
            `timed out waiting for ${what}; last: ${JSON.stringify(vm && { power: vm.powerState, status: vm.platformStatus, boot: vm.boot })}`,
          ),
        );
      }
      setTimeout(poll, 5);
    };
    poll();
  });
