// What every command that reads the cluster shares with `serve`: the configuration (a file, or the
// demo), the Kubernetes connection (a kubeconfig, in-cluster, or the embedded simulator, loaded
// only when asked for so that production runs never load simulator code), and the backend's
// options derived from the configuration.
import type { KubeConfig } from '@kubernetes/client-node';
import { createDemoConfig, type DemoCredential } from '../config/demo.ts';
import { loadConfigFile, type LoadedConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { loadKubeConfig, type KubeConfigSource } from '../kube/client.ts';
import type { KubeBackendOptions } from '../kube/kube-backend.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Simulator, SimulatorOptions } from '../sim/simulator.ts';
import type { Clock } from '../util/clock.ts';

export interface ConnectionOptions {
  /** Config file; absent = the demo config (which implies the simulator). */
  readonly configPath?: string;
  /** Where the cluster is: a kubeconfig file, or in-cluster when absent and not simulating. */
  readonly kubeconfigPath?: string;
  /** Run against the embedded simulator. */
  readonly simulate: boolean;
  /** Extra simulated VMs beyond the demo scenario. */
  readonly vms?: number;
  /** Simulator settings beyond the seeded VM count (tests pass instant delays, cluster gates). */
  readonly simulatorOptions?: Omit<SimulatorOptions, 'vms'>;
  readonly logger: Logger;
}

export interface ClusterConnection {
  readonly config: Config;
  /** The file as loaded, when there is one (config hot reload starts from it). */
  readonly loaded?: LoadedConfig;
  /** Set when the demo config is in force: the users to print. */
  readonly demoCredentials?: readonly DemoCredential[];
  readonly simulator?: Simulator;
  readonly kubeConfig: KubeConfig;
}

/** Loads the configuration and connects; what needs closing is pushed onto `cleanups`. */
export const connectCluster = async (
  options: ConnectionOptions,
  cleanups: (() => Promise<void> | void)[],
): Promise<ClusterConnection> => {
  const { logger } = options;
  let loaded: LoadedConfig | undefined;
  let demoCredentials: readonly DemoCredential[] | undefined;
  let config: Config;
  if (options.configPath) {
    loaded = await loadConfigFile(options.configPath);
    for (const warning of loaded.warnings) logger.warn({ path: options.configPath }, warning);
    config = loaded.config;
  } else {
    const demo = createDemoConfig();
    config = demo.config;
    demoCredentials = demo.credentials;
  }
  let simulator: Simulator | undefined;
  let source: KubeConfigSource;
  if (options.simulate || !options.configPath) {
    // Loaded only here: against a cluster the simulator stays out of the module graph.
    const { startSimulator } = await import('../sim/simulator.ts');
    simulator = await startSimulator({
      onError: (error, key) => logger.error({ err: error, key }, 'simulator reconcile failed'),
      ...options.simulatorOptions,
      vms: options.vms ?? 0,
    });
    const sim = simulator;
    cleanups.push(() => sim.close());
    source = { kind: 'yaml', yaml: simulator.kubeconfig() };
    logger.info({ url: simulator.url }, 'embedded Kubernetes API simulator started');
  } else if (options.kubeconfigPath) {
    source = { kind: 'file', path: options.kubeconfigPath };
  } else {
    source = { kind: 'inCluster' };
  }
  return {
    config,
    ...(loaded ? { loaded } : {}),
    ...(demoCredentials ? { demoCredentials } : {}),
    ...(simulator ? { simulator } : {}),
    kubeConfig: loadKubeConfig(source),
  };
};

export const namespacesOf = (config: Config): string[] => [
  ...new Set(config.chassis.map((c) => c.namespace)),
];

/** Per namespace, the labels every one of its chassis requires: a VM without them is in no
 *  chassis, so the VM cache need not hold it. A chassis without labels selects nothing. */
export const vmLabelSelectorsOf = (config: Config): Record<string, string | undefined> => {
  const selectors: Record<string, string | undefined> = {};
  for (const namespace of namespacesOf(config)) {
    const required = config.chassis
      .filter((c) => c.namespace === namespace)
      .map((c) => Object.entries(c.vmSelector.labels))
      .reduce((common, labels) =>
        common.filter(([key, value]) => labels.some(([k, v]) => k === key && v === value)),
      );
    if (required.length > 0)
      selectors[namespace] = required
        .map(([key, value]) => `${key}=${value}`)
        .sort()
        .join(',');
  }
  return selectors;
};

/** The backend's options as the configuration sets them. */
export const kubeBackendOptionsOf = (
  config: Config,
  deps: {
    readonly kubeConfig: KubeConfig;
    readonly logger: Logger;
    readonly metrics: Metrics;
    readonly clock: Clock;
  },
): KubeBackendOptions => ({
  ...deps,
  namespaces: namespacesOf(config),
  vmLabelSelectors: vmLabelSelectorsOf(config),
  datavolume: {
    size: config.datavolume.storageSize,
    ...(config.datavolume.storageClass ? { storageClass: config.datavolume.storageClass } : {}),
    ...(config.datavolume.certConfigMap ? { certConfigMap: config.datavolume.certConfigMap } : {}),
    insecureSkipVerify: config.datavolume.allowInsecureTls,
    importTimeoutMs: config.datavolume.isoDownloadTimeoutMs,
    attachTimeoutMs: config.datavolume.vmUpdateTimeoutMs,
  },
  imageUrlPolicy: config.datavolume.imageUrlPolicy,
  ...(config.cluster ? { cluster: config.cluster } : {}),
});
