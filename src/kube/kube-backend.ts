// The VmBackend over KubeVirt: reads from per-namespace informer caches, writes through
// subresources and conflict-safe patches, and finishes one-time boots when the next VMI starts.
import type { KubeConfig } from '@kubernetes/client-node';
import { BackendError } from '../backend/errors.ts';
import type { SystemEventLog } from '../backend/event-log.ts';
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
import {
  createClusterCapabilities,
  type ClusterFacts,
  type ClusterOverride,
} from './capabilities.ts';
import { NamespaceCaches, clusterInstancetypes, resources, type CachedKind } from './caches.ts';
import { Informer } from './informers.ts';
import type { DataVolume, Instancetype, Meta } from './types.ts';
import { mediaTaskId } from './media-naming.ts';
import { CacheWaiters } from './cache-waiters.ts';
import { createKubeEventLog } from './event-log.ts';
import { createMediaService } from './media.ts';
import { mediaVolumeOf, type MediaStorageConfig } from './media-manifests.ts';
import { MediaLabels } from './media-naming.ts';
import {
  createImageUrlPolicy,
  defaultImageUrlPolicy,
  type ImageUrlPolicyConfig,
} from '../media-url-policy/image-url-policy.ts';
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
  /** Adds caches for new namespaces and drops those no longer configured (config reload); a
   *  namespace whose VM label selector changed gets new caches. */
  setNamespaces(namespaces: readonly string[], vmLabelSelectors?: VmLabelSelectors): void;
  /** What was discovered about the cluster (KubeVirt and CDI releases, gates); after start(). */
  clusterFacts(): ClusterFacts;
  /** The VMs' Kubernetes Events, and this service's audit records written as Events. */
  readonly events: SystemEventLog;
}

/** Per namespace, the label selector every VM any chassis there shows must match (the VM
 *  informer lists and watches only those); a namespace without one caches every VM. */
export type VmLabelSelectors = Readonly<Record<string, string | undefined>>;

export interface KubeBackendOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespaces: readonly string[];
  readonly vmLabelSelectors?: VmLabelSelectors;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Where inserted images are imported; without it virtual media is unsupported. */
  readonly datavolume?: MediaStorageConfig;
  /** Image hosts InsertMedia accepts; absent = the default policy (no loopback, link-local,
   *  API server or cluster-internal names). */
  readonly imageUrlPolicy?: ImageUrlPolicyConfig;
  /** Describes the cluster instead of reading the KubeVirt and CDI CRs (config `cluster`). */
  readonly cluster?: ClusterOverride;
  /** This replica's name, recorded on the audit Events it writes. */
  readonly instance?: string;
  /** How often to ask whether CDI was installed or removed; default one minute. */
  readonly cdiDiscoveryIntervalMs?: number;
}

export const createKubeBackend = (options: KubeBackendOptions): KubeBackend => {
  const { kubeConfig, logger, metrics } = options;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const clients = createKubeClients({ kubeConfig, metrics });
  const cluster = createClusterCapabilities({
    clients,
    clock,
    random,
    logger,
    metrics,
    ...(options.cluster ? { override: options.cluster } : {}),
    ...(options.cdiDiscoveryIntervalMs !== undefined
      ? { cdiDiscoveryIntervalMs: options.cdiDiscoveryIntervalMs }
      : {}),
  });
  const capabilities = (): BackendCapabilities => cluster.capabilities();
  const media = options.datavolume
    ? createMediaService({
        clients,
        capabilities,
        storage: options.datavolume,
        clock,
        logger,
        // The API server as this process reaches it is one the importer pod can reach too.
        imageUrlPolicy: createImageUrlPolicy(
          options.imageUrlPolicy ?? defaultImageUrlPolicy,
          kubeConfig.getCurrentCluster()?.server,
        ),
      })
    : undefined;
  /** Whether DataVolumes are cached: CDI's API is served (followed at run time). */
  let dataVolumes = false;
  const caches = new Map<string, NamespaceCaches>();
  const waiters = new CacheWaiters(clock);
  /** The cached VM is at least the version a write stored (exact match: versions are opaque). */
  const cachedVmIs = (ref: VmRef, resourceVersion: string | undefined) => () =>
    caches.get(ref.namespace)?.vms.get(ref.name)?.metadata.resourceVersion === resourceVersion;
  const restoring = new Set<string>();
  let running = false;

  const updateSyncedGauge = (): void => {
    for (const kind of Object.keys(resources) as CachedKind[]) {
      const all = [...caches.values()].map((c) => c.informer(kind));
      const ok = all.every((i) => i === undefined || (i.isSynced() && i.isConnected()));
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
      capabilities: capabilities(),
    })
      .then(() =>
        logger.info({ vm: key, vmi: vmi.metadata.uid }, 'one-time boot done; boot order restored'),
      )
      .catch((error: unknown) =>
        logger.warn({ vm: key, err: String(error) }, 'restoring boot order failed'),
      )
      .finally(() => restoring.delete(key));
  };

  /** A DataVolume's deadline passed: if its VM's slot now reads Failed for this insertion, the
   *  insertion ends for good (media.expire), with the message the slot showed. */
  const expireInsertion = (namespace: string, dv: DataVolume): void => {
    const owner = (dv.metadata as { ownerReferences?: { kind: string; name: string }[] })
      .ownerReferences;
    const name = owner?.find((o) => o.kind === 'VirtualMachine')?.name;
    const slot = name === undefined ? undefined : caches.get(namespace)?.snapshot(name)?.media;
    if (!media || name === undefined || slot?.state !== 'Failed') return;
    if (slot.taskId !== mediaTaskId(dv.metadata.uid ?? '')) return;
    media
      .expire({ namespace, name }, dv, {
        message: slot.message ?? 'the image import failed',
        finishedAt: slot.finishedAt ?? new Date(clock.now()).toISOString(),
      })
      .catch((error: unknown) =>
        logger.warn(
          { vm: `${namespace}/${name}`, err: String(error) },
          'cleaning up a timed-out insertion failed',
        ),
      );
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

  const addNamespace = (namespace: string, vmLabelSelector: string | undefined): void => {
    if (caches.has(namespace)) return;
    const cache = new NamespaceCaches({
      namespace,
      ...(vmLabelSelector === undefined ? {} : { vmLabelSelector }),
      clients,
      clock,
      random,
      logger,
      metrics,
      emptyCdrom: () => capabilities().cdromHotplug,
      dataVolumes,
      ...(options.datavolume?.importTimeoutMs !== undefined
        ? { importTimeoutMs: options.datavolume.importTimeoutMs }
        : {}),
      ...(options.datavolume?.attachTimeoutMs !== undefined
        ? { attachTimeoutMs: options.datavolume.attachTimeoutMs }
        : {}),
      onDeadline: (dv) => expireInsertion(namespace, dv),
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

  const isReady = (): boolean => {
    if (!running) return false;
    for (const cache of caches.values()) if (!cache.isCurrent()) return false;
    return true;
  };

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

  let namespaces = options.namespaces;
  let vmLabelSelectors: VmLabelSelectors = options.vmLabelSelectors ?? {};

  cluster.onChange((facts) => {
    for (const cache of caches.values()) cache.invalidateAll();
    waiters.changed();
    if (facts.cdi !== dataVolumes) {
      dataVolumes = facts.cdi;
      for (const cache of caches.values()) cache.setDataVolumes(dataVolumes, running);
      updateSyncedGauge();
    }
  });

  const settingsInput = (ref: VmRef, write: WriteOptions | undefined) => ({
    clients,
    ref,
    vm: caches.get(ref.namespace)?.vms.get(ref.name),
    pinned: write?.expectedVersion !== undefined,
    ...(write?.signal ? { signal: write.signal } : {}),
  });

  const events = createKubeEventLog({
    clients,
    clock,
    logger,
    ...(options.instance === undefined ? {} : { instance: options.instance }),
    lookup: (ref) => {
      const cache = caches.get(ref.namespace);
      const vm = cache?.vms.get(ref.name);
      const uid = vm?.metadata.uid;
      // The attached image, and any import of this VM not attached yet (or being replaced).
      const attached = vm ? mediaVolumeOf(vm)?.dataVolume?.name : undefined;
      const importing = (cache?.dvs?.list() ?? [])
        .filter((dv) => uid !== undefined && dv.metadata.labels?.[MediaLabels.vmUid] === uid)
        .map((dv) => dv.metadata.name);
      return {
        vm,
        mediaDataVolumes: [...new Set([...(attached ? [attached] : []), ...importing])].sort(),
      };
    },
  });

  /** The VM a media write is pinned to (If-Match): the cached one the client's ETag shows. */
  const mediaOptions = (ref: VmRef, write: WriteOptions | undefined) => {
    const pinnedTo =
      write?.expectedVersion === undefined
        ? undefined
        : caches.get(ref.namespace)?.vms.get(ref.name);
    return {
      ...(write?.signal ? { signal: write.signal } : {}),
      ...(pinnedTo ? { pinnedTo } : {}),
    };
  };

  return {
    events,
    get capabilities() {
      return capabilities();
    },
    clusterFacts: () => cluster.facts(),
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
      // The Redfish layer records the action once (audit); this is the mechanism's detail.
      logger.debug(
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
          rebootPolicyTerminate: capabilities().rebootPolicyTerminate,
          pinned: write?.expectedVersion !== undefined,
          ...(write?.signal ? { signal: write.signal } : {}),
        },
        action,
      );
    },

    async setBoot(ref: VmRef, change: BootChange, actor: Actor, write?: WriteOptions) {
      const snapshot = snapshotFor(ref);
      checkVersion(snapshot, write);
      logger.debug(
        { user: actor.user, vm: `${ref.namespace}/${ref.name}`, action: 'setBoot', change },
        'boot change',
      );
      const stored = await setBoot(
        {
          clients,
          ref,
          vm: caches.get(ref.namespace)?.vms.get(ref.name),
          vmi: () => caches.get(ref.namespace)?.vmis.get(ref.name),
          capabilities: capabilities(),
          pinned: write?.expectedVersion !== undefined,
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
      if (!dataVolumes)
        throw new BackendError('unsupported', 'CDI is not installed: images cannot be imported');
      const outcome = await media.insert(ref, request, actor, mediaOptions(ref, write));
      metrics.mediaImports.inc({ result: outcome.kind });
      // The 202 names a task monitor the client may poll at once: it must resolve.
      if (outcome.kind === 'started')
        await waiters.until(() => snapshotFor(ref).media.taskId === outcome.taskId);
      return outcome;
    },

    async ejectMedia(ref, actor, write) {
      const snapshot = snapshotFor(ref);
      checkVersion(snapshot, write);
      // Without CDI (removed while media was attached) an eject still detaches the CD-ROM.
      if (!media || (!dataVolumes && snapshot.media.state === 'Empty')) {
        if (snapshot.media.state === 'Empty') return;
        throw new BackendError('unsupported', 'virtual media needs datavolume storage configured');
      }
      await media.eject(ref, actor, mediaOptions(ref, write));
      await waiters.until(() => snapshotFor(ref).media.state === 'Empty');
    },

    async setIndicatorLed(ref, led, actor, write) {
      checkVersion(snapshotFor(ref), write);
      logger.debug({ user: actor.user, vm: `${ref.namespace}/${ref.name}`, led }, 'indicator LED');
      const stored = await setIndicatorLed(settingsInput(ref, write), led);
      await waiters.until(cachedVmIs(ref, stored.metadata.resourceVersion));
    },

    async setSecureBoot(ref, enabled, actor, write) {
      checkVersion(snapshotFor(ref), write);
      logger.debug(
        { user: actor.user, vm: `${ref.namespace}/${ref.name}`, enabled },
        'secure boot',
      );
      const stored = await setSecureBoot(settingsInput(ref, write), enabled);
      await waiters.until(cachedVmIs(ref, stored.metadata.resourceVersion));
    },

    async start() {
      await cluster.start();
      dataVolumes = cluster.facts().cdi;
      running = true;
      for (const namespace of namespaces) addNamespace(namespace, vmLabelSelectors[namespace]);
      for (const informer of informers()) informer.start();
      logger.info({ namespaces: [...caches.keys()] }, 'kube backend started');
    },

    stop() {
      running = false;
      cluster.stop();
      waiters.releaseAll();
      for (const informer of informers()) informer.stop();
      for (const cache of caches.values()) cache.stopTimers();
      if (kubeConfig instanceof SharedAgentKubeConfig) kubeConfig.destroyAgents();
      return Promise.resolve();
    },

    async waitForSync(signal?: AbortSignal) {
      await Promise.all(required().map((i) => i.waitForSync(signal)));
    },

    setNamespaces(next: readonly string[], selectors: VmLabelSelectors = {}) {
      namespaces = next;
      vmLabelSelectors = selectors;
      for (const [namespace, cache] of caches) {
        const kept = next.includes(namespace);
        if (kept && cache.vmLabelSelector === selectors[namespace]) continue;
        for (const informer of cache.informers()) informer.stop();
        cache.stopTimers();
        caches.delete(namespace);
      }
      if (running) for (const namespace of next) addNamespace(namespace, selectors[namespace]);
      updateSyncedGauge();
      logger.info({ namespaces: next }, 'kube backend namespaces updated');
    },
  };
};
