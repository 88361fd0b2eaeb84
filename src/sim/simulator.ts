// Composition of the simulator: store, seeded scenario, simulated KubeVirt/CDI controllers and the
// Kubernetes API server on loopback. `npm run sim`, `npm start` (demo), tests and benchmarks all
// start it through startSimulator().
import { seededRandom, systemClock, type Clock } from '../util/clock.ts';
import { startApiServer, type ApiServer } from './api-server/server.ts';
import {
  resolveClusterConfig,
  type ClusterConfig,
  type ClusterOverrides,
} from './cluster-config.ts';
import { resolveDelays, type DelaysOption } from './controllers/delays.ts';
import type { ImportRule } from './controllers/import-source.ts';
import { startControllers, type Controllers } from './controllers/start-controllers.ts';
import { createFaults, type Faults } from './faults.ts';
import { seedScenario } from './scenarios.ts';
import { seedCdi, seedOperatorResources } from './operator-resources.ts';
import { seedStorage, seedStorageProfiles, type StorageScenario } from './storage-classes.ts';
import { servedTypes } from './resource-types.ts';
import { createStore, type AdmissionRecord } from './store.ts';
import type { ObjectStore, SubresourceRegistry } from './types.ts';

export interface SimulatorOptions {
  readonly clock?: Clock;
  /** Seed of the scenario and of every random choice (uids, UUIDs); default 1. */
  readonly seed?: number;
  /** Generated VMs on top of the demo set; default 0. */
  readonly vms?: number;
  /** Seed the demo namespaces (default true); false starts an empty cluster. */
  readonly scenario?: boolean;
  /** HTTPS with a generated CA (default true). */
  readonly tls?: boolean;
  /** Default 0 (ephemeral). */
  readonly port?: number;
  readonly delays?: DelaysOption;
  /** The release profile (KubeVirt version, gates, CDI); default KubeVirt v1.9 with CDI. */
  readonly cluster?: ClusterOverrides;
  /** Outcome of imports from non-loopback URLs; default: all succeed. */
  readonly importRule?: ImportRule;
  /** The StorageClasses (and CDI StorageProfiles) the cluster has; default 'standard'. */
  readonly storage?: StorageScenario;
  /** Virtual size in bytes of every image from a non-loopback URL (loopback images have their
   *  Content-Length); default: small enough for any claim. */
  readonly imageSizeBytes?: number;
  /** Where controller failures are reported; default: standard error. */
  readonly onError?: (error: unknown, key: string) => void;
}

export interface Simulator {
  readonly url: string;
  readonly caPem?: string;
  readonly token: string;
  kubeconfig(): string;
  writeKubeconfig(path: string): Promise<void>;
  readonly store: ObjectStore;
  readonly clock: Clock;
  readonly faults: Faults;
  /** The release profile; `cdi` follows setCdi(). */
  readonly cluster: ClusterConfig;
  /** Installs or removes CDI while the cluster runs: its API group starts or stops being
   *  served (removing it deletes its custom resources, as deleting its CRDs does), its CR
   *  and StorageProfiles appear or go, and its importer starts or stops. */
  setCdi(installed: boolean): void;
  /** Writes the cluster pruned or denied, oldest first (tests assert none were attempted). */
  readonly admissions: readonly AdmissionRecord[];
  /** Test hooks acting from inside a guest (reboot, ACPI power-off, crash). */
  readonly controllers: Omit<Controllers, 'close' | 'setCdi'>;
  readonly apiServer: ApiServer;
  /** Stops controllers and their timers, then watches and the server. */
  close(): Promise<void>;
}

const reportToStderr = (error: unknown, key: string): void => {
  process.stderr.write(
    `simulator: reconcile of ${key} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
};

export const startSimulator = async (options: SimulatorOptions = {}): Promise<Simulator> => {
  const clock = options.clock ?? systemClock;
  const seed = options.seed ?? 1;
  const cluster = resolveClusterConfig(options.cluster);
  const admissions: AdmissionRecord[] = [];
  const store = createStore({
    clock,
    random: seededRandom(seed),
    emptyCdrom: cluster.declarativeHotplug,
    rebootPolicyField: cluster.rebootPolicyField,
    rebootPolicyGate: cluster.rebootPolicy,
    onAdmission: (record) => admissions.push(record),
  });
  seedOperatorResources(store, cluster);
  seedStorage(store, options.storage ?? 'standard', cluster.cdi);
  if (options.scenario ?? true)
    seedScenario(store, { vms: options.vms ?? 0, seed, emptyCdrom: cluster.declarativeHotplug });
  const registry: SubresourceRegistry = new Map();
  const controllers = startControllers({
    store,
    clock,
    cluster,
    delays: resolveDelays(options.delays),
    registry,
    onError: options.onError ?? reportToStderr,
    ...(options.importRule ? { importRule: options.importRule } : {}),
    ...(options.imageSizeBytes !== undefined ? { imageSizeBytes: options.imageSizeBytes } : {}),
  });
  const faults = createFaults({ clock });
  let apiServer: ApiServer;
  try {
    apiServer = await startApiServer({
      store,
      subresources: registry,
      faults,
      clock,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(cluster.cdi ? {} : { absentGroups: ['cdi.kubevirt.io'] }),
    });
  } catch (error) {
    controllers.close();
    throw error;
  }
  let cdi = cluster.cdi;
  const cdiGroup = 'cdi.kubevirt.io';
  const setCdi = (installed: boolean): void => {
    if (installed === cdi) return;
    cdi = installed;
    if (!installed) {
      apiServer.setAbsentGroups([cdiGroup]);
      controllers.setCdi(false);
      for (const type of servedTypes.filter((t) => t.group === cdiGroup))
        for (const object of store.list(type.key).items)
          store.delete(type.key, object.metadata.namespace, object.metadata.name ?? '');
      return;
    }
    seedCdi(store, cluster);
    seedStorageProfiles(store);
    controllers.setCdi(true);
    apiServer.setAbsentGroups([]);
  };
  return {
    url: apiServer.url,
    ...(apiServer.caPem ? { caPem: apiServer.caPem } : {}),
    token: apiServer.token,
    kubeconfig: () => apiServer.kubeconfig(),
    writeKubeconfig: (path) => apiServer.writeKubeconfig(path),
    store,
    clock,
    faults,
    get cluster() {
      return { ...cluster, cdi };
    },
    setCdi,
    admissions,
    controllers: {
      guestReboot: (namespace, name) => controllers.guestReboot(namespace, name),
      guestShutdown: (namespace, name) => controllers.guestShutdown(namespace, name),
      crash: (namespace, name) => controllers.crash(namespace, name),
    },
    apiServer,
    close: async () => {
      controllers.close();
      await apiServer.close();
    },
  };
};
