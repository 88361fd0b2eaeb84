// The VmBackend over KubeVirt: reads from per-namespace informer caches, writes through
// subresources and conflict-safe patches, and finishes one-time boots when the next VMI starts.
import type { KubeConfig } from '@kubernetes/client-node';
import { BackendError } from '../backend/errors.ts';
import type {
  Actor,
  BackendCapabilities,
  BootChange,
  PowerAction,
  VmBackend,
  VmRef,
  VmSnapshot,
  WriteOptions,
} from '../backend/port.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { buildOnceRestorePatch, restoreAfterOnce, setBoot } from './boot.ts';
import { NamespaceCaches, clusterInstancetypes, resources, type CachedKind } from './caches.ts';
import { Informer } from './informers.ts';
import type { Instancetype, Meta } from './types.ts';
import { CacheWaiters } from './cache-waiters.ts';
import { createMediaService } from './media.ts';
import type { MediaStorageConfig } from './media-manifests.ts';
import { createKubeClients, SharedAgentKubeConfig } from './client.ts';
import { performPowerAction } from './power.ts';
import { setIndicatorLed, setSecureBoot } from './vm-settings.ts';

export interface KubeBackend extends VmBackend {
  /** Starts the informers of every namespace. */
  start(): Promise<void>;
  /** Stops the informers and closes pooled connections. */
  stop(): Promise<void>;
  /** Resolves once every cache has listed and is watching. */
  waitForSync(signal?: AbortSignal): Promise<void>;
  /** Adds caches for new namespaces and drops those no longer configured (config reload). */
  setNamespaces(namespaces: readonly string[]): void;
}

export interface KubeBackendOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespaces: readonly string[];
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Where inserted images are imported; without it virtual media is unsupported. */
  readonly datavolume?: MediaStorageConfig;
  /** What the cluster can do; defaults suit KubeVirt v1.9 (declarative CD-ROM hotplug, rebootPolicy). */
  readonly capabilities?: Partial<BackendCapabilities>;
}

const defaultCapabilities: BackendCapabilities = {
  nmi: false,
  cdromHotplug: true,
  rebootPolicyTerminate: true,
};

export const createKubeBackend = (options: KubeBackendOptions): KubeBackend => {
  const { kubeConfig, logger, metrics } = options;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const capabilities: BackendCapabilities = { ...defaultCapabilities, ...options.capabilities };
  const clients = createKubeClients({ kubeConfig, metrics });
  const media = options.datavolume
    ? createMediaService({
        clients,
        capabilities,
        storage: options.datavolume,
        clock,
        logger,
      })
    : undefined;
  const caches = new Map<string, NamespaceCaches>();
  const waiters = new CacheWaiters(clock);
  /** The cached VM is at least the version a write stored (exact match: versions are opaque). */
  const cachedVmIs = (ref: VmRef, resourceVersion: string | undefined) => () =>
    caches.get(ref.namespace)?.vms.get(ref.name)?.metadata.resourceVersion === resourceVersion;
  const restoring = new Set<string>();
  let running = false;

  const updateSyncedGauge = (): void => {
    for (const kind of Object.keys(resources) as CachedKind[]) {
      const all = [...caches.values()].map(
        (c) => c.informers()[['vm', 'vmi', 'dv', 'pvc', 'instancetype'].indexOf(kind)],
      );
      const ok = all.every((i) => i?.isSynced() && i.isConnected());
      metrics.informerSynced.set({ resource: resources[kind].resource }, ok ? 1 : 0);
    }
  };

  /** Finishes a one-time boot when its VM's newer VMI shows up (on any replica; the
   *  resourceVersion precondition lets exactly one of them win). */
  const maybeRestore = (namespace: string, name: string): void => {
    const cache = caches.get(namespace);
    const vm = cache?.vms.get(name);
    const vmi = cache?.vmis.get(name);
    if (!cache || !vm || !vmi) return;
    if (!buildOnceRestorePatch(vm, vmi)) return;
    const key = `${namespace}/${name}`;
    if (restoring.has(key)) return;
    restoring.add(key);
    restoreAfterOnce({
      clients,
      ref: { namespace, name },
      vm,
      vmi: () => caches.get(namespace)?.vmis.get(name),
      capabilities,
    })
      .then(() =>
        logger.info({ vm: key, vmi: vmi.metadata.uid }, 'one-time boot done; boot order restored'),
      )
      .catch((error: unknown) =>
        logger.warn({ vm: key, err: String(error) }, 'restoring boot order failed'),
      )
      .finally(() => restoring.delete(key));
  };

  // Cluster-wide instancetypes: one cache for every namespace's VMs.
  const clusterTypes: Informer<Instancetype> = new Informer<Instancetype>({
    clients,
    resource: clusterInstancetypes.resource,
    path: clusterInstancetypes.path,
    clock,
    random,
    logger,
    metrics,
    onEvent: () => {
      for (const cache of caches.values()) cache.invalidateAll();
      waiters.changed();
    },
    onStateChange: updateSyncedGauge,
  });

  const addNamespace = (namespace: string): void => {
    if (caches.has(namespace)) return;
    const cache = new NamespaceCaches({
      namespace,
      clients,
      clock,
      random,
      logger,
      metrics,
      emptyCdrom: capabilities.cdromHotplug,
      clusterInstancetype: (name) => clusterTypes.get(name),
      onChange: (kind, type, object) => {
        if ((kind === 'vm' || kind === 'vmi') && type !== 'delete')
          maybeRestore(namespace, object.metadata.name);
        waiters.changed();
      },
      onStateChange: updateSyncedGauge,
    });
    caches.set(namespace, cache);
    if (running) for (const informer of cache.informers()) informer.start();
  };

  const informers = (): readonly Informer<{ metadata: Meta }>[] => [
    clusterTypes,
    ...[...caches.values()].flatMap((c) => c.informers()),
  ];

  /** The caches readiness waits for. Cluster instancetypes are not among them: a namespaced
   *  install (RoleBindings only) may not list cluster-scoped objects, and without them only the
   *  sizes of VMs using one are unknown (left out) until the cache fills. */
  const required = (): readonly Informer<{ metadata: Meta }>[] =>
    [...caches.values()].flatMap((c) => c.informers());

  const isReady = (): boolean => required().every((i) => i.isSynced() && i.isConnected());

  const snapshotFor = (ref: VmRef): VmSnapshot => {
    const snapshot = caches.get(ref.namespace)?.snapshot(ref.name);
    if (snapshot) return snapshot;
    if (!isReady()) {
      throw new BackendError('unavailable', 'the VM caches are not synced', {
        retryAfterSeconds: 5,
      });
    }
    throw new BackendError('notFound', `VirtualMachine ${ref.namespace}/${ref.name} not found`);
  };

  /** If-Match: the caller must have seen the current snapshot. */
  const checkVersion = (snapshot: VmSnapshot, write: WriteOptions | undefined): void => {
    if (write?.expectedVersion !== undefined && write.expectedVersion !== snapshot.version) {
      throw new BackendError(
        'preconditionFailed',
        `${snapshot.ref.namespace}/${snapshot.ref.name} has changed`,
      );
    }
  };

  const settingsInput = (ref: VmRef, write: WriteOptions | undefined) => ({
    clients,
    ref,
    vm: caches.get(ref.namespace)?.vms.get(ref.name),
    ...(write?.signal ? { signal: write.signal } : {}),
  });

  for (const namespace of options.namespaces) addNamespace(namespace);

  return {
    capabilities,
    isReady,
    listVms: (namespace) => caches.get(namespace)?.list() ?? [],
    getVm: (ref) => caches.get(ref.namespace)?.snapshot(ref.name),

    async reset(ref: VmRef, action: PowerAction, actor: Actor, write?: WriteOptions) {
      const snapshot = snapshotFor(ref);
      checkVersion(snapshot, write);
      const cache = caches.get(ref.namespace);
      const vm = cache?.vms.get(ref.name);
      if (!cache || !vm)
        throw new BackendError('notFound', `VirtualMachine ${ref.namespace}/${ref.name} not found`);
      logger.info(
        { user: actor.user, vm: `${ref.namespace}/${ref.name}`, action, from: snapshot.powerState },
        'power action',
      );
      await performPowerAction(
        {
          clients,
          ref,
          vm,
          vmi: cache.vmis.get(ref.name),
          powerState: snapshot.powerState,
          rebootPolicyTerminate: capabilities.rebootPolicyTerminate,
          ...(write?.signal ? { signal: write.signal } : {}),
        },
        action,
      );
    },

    async setBoot(ref: VmRef, change: BootChange, actor: Actor, write?: WriteOptions) {
      const snapshot = snapshotFor(ref);
      checkVersion(snapshot, write);
      logger.info(
        { user: actor.user, vm: `${ref.namespace}/${ref.name}`, action: 'setBoot', change },
        'boot change',
      );
      const stored = await setBoot(
        {
          clients,
          ref,
          vm: caches.get(ref.namespace)?.vms.get(ref.name),
          vmi: () => caches.get(ref.namespace)?.vmis.get(ref.name),
          capabilities,
          ...(write?.signal ? { signal: write.signal } : {}),
        },
        change,
      );
      await waiters.until(cachedVmIs(ref, stored.metadata.resourceVersion));
    },

    async insertMedia(ref, request, actor, write) {
      checkVersion(snapshotFor(ref), write);
      if (!media)
        throw new BackendError('unsupported', 'virtual media needs datavolume storage configured');
      const outcome = await media.insert(ref, request, actor, write);
      metrics.mediaImports.inc({ result: outcome.kind });
      // The 202 names a task monitor the client may poll at once: it must resolve.
      if (outcome.kind === 'started')
        await waiters.until(() => snapshotFor(ref).media.taskId === outcome.taskId);
      return outcome;
    },

    async ejectMedia(ref, actor, write) {
      const snapshot = snapshotFor(ref);
      checkVersion(snapshot, write);
      if (!media) {
        if (snapshot.media.state === 'Empty') return;
        throw new BackendError('unsupported', 'virtual media needs datavolume storage configured');
      }
      await media.eject(ref, actor, write);
      await waiters.until(() => snapshotFor(ref).media.state === 'Empty');
    },

    async setIndicatorLed(ref, led, actor, write) {
      checkVersion(snapshotFor(ref), write);
      logger.info({ user: actor.user, vm: `${ref.namespace}/${ref.name}`, led }, 'indicator LED');
      const stored = await setIndicatorLed(settingsInput(ref, write), led);
      await waiters.until(cachedVmIs(ref, stored.metadata.resourceVersion));
    },

    async setSecureBoot(ref, enabled, actor, write) {
      checkVersion(snapshotFor(ref), write);
      logger.info({ user: actor.user, vm: `${ref.namespace}/${ref.name}`, enabled }, 'secure boot');
      const stored = await setSecureBoot(settingsInput(ref, write), enabled);
      await waiters.until(cachedVmIs(ref, stored.metadata.resourceVersion));
    },

    start() {
      running = true;
      for (const informer of informers()) informer.start();
      logger.info({ namespaces: [...caches.keys()] }, 'kube backend started');
      return Promise.resolve();
    },

    stop() {
      running = false;
      waiters.releaseAll();
      for (const informer of informers()) informer.stop();
      if (kubeConfig instanceof SharedAgentKubeConfig) kubeConfig.destroyAgents();
      return Promise.resolve();
    },

    async waitForSync(signal?: AbortSignal) {
      await Promise.all(required().map((i) => i.waitForSync(signal)));
    },

    setNamespaces(namespaces: readonly string[]) {
      for (const namespace of namespaces) addNamespace(namespace);
      for (const [namespace, cache] of caches) {
        if (namespaces.includes(namespace)) continue;
        for (const informer of cache.informers()) informer.stop();
        caches.delete(namespace);
      }
      updateSyncedGauge();
      logger.info({ namespaces }, 'kube backend namespaces updated');
    },
  };
};
