// Shared fixtures for the kube adapter suites: a simulator plus a started, synced KubeBackend.
import { createKubeBackend, type KubeBackend, type KubeBackendOptions } from '../../src/kube/kube-backend.ts';
import { loadKubeConfig } from '../../src/kube/client.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics, type Metrics } from '../../src/observability/metrics.ts';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/sim/simulator.ts';
import type { VmRef, VmSnapshot } from '../../src/backend/port.ts';

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

/** Resolves once the cached snapshot satisfies `predicate` (the informers are event driven, so
 *  this waits for watch events, not for time). */
export const waitForVm = (
  backend: KubeBackend,
  ref: VmRef,
  predicate: (vm: VmSnapshot) => boolean,
  what = 'condition',
): Promise<VmSnapshot> =>
  new Promise((resolve, reject) => {
    const deadline = AbortSignal.timeout(20_000);
    const poll = (): void => {
      const vm = backend.getVm(ref);
      if (vm && predicate(vm)) return resolve(vm);
      if (deadline.aborted) {
        return reject(new Error(`timed out waiting for ${what}; last: ${JSON.stringify(vm && { power: vm.powerState, status: vm.platformStatus, boot: vm.boot })}`));
      }
      setTimeout(poll, 5);
    };
    poll();
  });
