// The informer caches of one namespace (VMs, VMIs, DataVolumes, PVCs) and the memoised snapshots
// built from them, invalidated by watch events so a read costs a map lookup.
import type { VmSnapshot } from '../backend/port.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { CancelTimer, Clock } from '../util/clock.ts';
import type { KubeClients } from './client.ts';
import { Informer, type InformerEventType } from './informers.ts';
import { toVmSnapshot } from './mapping.ts';
import { trimClaim, trimDataVolume, trimObject } from './trim.ts';
import { MediaLabels } from './media-naming.ts';
import { mediaDueAt, type ImportDeadline } from './media-snapshot.ts';
import type { InstancetypeKind } from './sizing.ts';
import type {
  DataVolume,
  Instancetype,
  Meta,
  PersistentVolumeClaim,
  VirtualMachine,
  VirtualMachineInstance,
} from './types.ts';

export type CachedKind = 'vm' | 'vmi' | 'dv' | 'pvc' | 'instancetype';

export interface NamespaceCachesOptions {
  readonly namespace: string;
  readonly clients: KubeClients;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Label selector of the VMs any chassis of this namespace can show; absent = every VM. */
  readonly vmLabelSelector?: string;
  /** Whether an empty CD-ROM drive is possible (declarative hotplug); may change at run time. */
  readonly emptyCdrom: () => boolean;
  /** CDI is installed: DataVolumes are cached (without it their API does not exist). */
  readonly dataVolumes: boolean;
  /** datavolume.iso_download_timeout; absent: imports may take for ever. */
  readonly importTimeoutMs?: number;
  /** datavolume.vm_update_timeout: how long a running VM may take to attach imported media. */
  readonly attachTimeoutMs?: number;
  /** Called when a DataVolume's deadline passes (the backend ends that insertion). */
  readonly onDeadline?: (dv: DataVolume) => void;
  /** Cluster-wide instancetypes, from the backend's one cluster-scoped cache. */
  readonly clusterInstancetype: (name: string) => Instancetype | undefined;
  /** Called after any cached object changed (for one-time-boot bookkeeping). */
  readonly onChange: (
    kind: CachedKind,
    type: InformerEventType,
    object: { metadata: Meta },
  ) => void;
  readonly onStateChange: () => void;
}

export const resources: Record<CachedKind, { resource: string; prefix: string }> = {
  vm: { resource: 'virtualmachines.kubevirt.io', prefix: '/apis/kubevirt.io/v1' },
  vmi: { resource: 'virtualmachineinstances.kubevirt.io', prefix: '/apis/kubevirt.io/v1' },
  dv: { resource: 'datavolumes.cdi.kubevirt.io', prefix: '/apis/cdi.kubevirt.io/v1beta1' },
  pvc: { resource: 'persistentvolumeclaims', prefix: '/api/v1' },
  instancetype: {
    resource: 'virtualmachineinstancetypes.instancetype.kubevirt.io',
    prefix: '/apis/instancetype.kubevirt.io/v1beta1',
  },
};

/** The cluster-scoped VirtualMachineClusterInstancetype collection (one cache per backend). */
export const clusterInstancetypes = {
  resource: 'virtualmachineclusterinstancetypes.instancetype.kubevirt.io',
  path: '/apis/instancetype.kubevirt.io/v1beta1/virtualmachineclusterinstancetypes',
} as const;

/** What each cache keeps of an object (trim.ts). */
const transforms: Record<CachedKind, (object: never) => unknown> = {
  vm: trimObject,
  vmi: trimObject,
  dv: trimDataVolume,
  pvc: trimClaim,
  instancetype: trimObject,
};

const plural = (resource: string) => resource.split('.')[0] ?? resource;

export class NamespaceCaches {
  readonly vms: Informer<VirtualMachine>;
  readonly vmis: Informer<VirtualMachineInstance>;
  /** Undefined while CDI is not installed (setDataVolumes follows it). */
  dvs: Informer<DataVolume> | undefined;
  readonly pvcs: Informer<PersistentVolumeClaim>;
  readonly instancetypes: Informer<Instancetype>;
  readonly #o: NamespaceCachesOptions;
  readonly vmLabelSelector: string | undefined;
  readonly #snapshots = new Map<string, VmSnapshot>();
  readonly #deadlines = new Map<string, CancelTimer>();
  #sorted: readonly VmSnapshot[] | undefined;
  #informers: readonly Informer<{ metadata: Meta }>[] | undefined;

  constructor(options: NamespaceCachesOptions) {
    this.#o = options;
    this.vmLabelSelector = options.vmLabelSelector;
    this.vms = this.#make<VirtualMachine>('vm');
    this.vmis = this.#make<VirtualMachineInstance>('vmi');
    this.dvs = options.dataVolumes ? this.#make<DataVolume>('dv') : undefined;
    this.pvcs = this.#make<PersistentVolumeClaim>('pvc');
    this.instancetypes = this.#make<Instancetype>('instancetype');
  }

  /** Starts or stops caching DataVolumes (CDI installed or removed at run time); a new cache
   *  starts listing when `start` says the others run. */
  setDataVolumes(enabled: boolean, start: boolean): void {
    if (enabled === (this.dvs !== undefined)) return;
    if (enabled) {
      this.dvs = this.#make<DataVolume>('dv');
      if (start) this.dvs.start();
    } else {
      this.dvs?.stop();
      this.dvs = undefined;
      this.stopTimers();
    }
    this.#informers = undefined;
    this.invalidateAll();
  }

  #make<T extends { metadata: Meta }>(kind: CachedKind): Informer<T> {
    const options = this.#o;
    return new Informer<T>({
      clients: options.clients,
      resource: resources[kind].resource,
      path: `${resources[kind].prefix}/namespaces/${encodeURIComponent(options.namespace)}/${plural(resources[kind].resource)}`,
      // VMIs carry the template's labels, not the VM's, so only the VM list is narrowed.
      ...(kind === 'vm' && options.vmLabelSelector !== undefined
        ? { labelSelector: options.vmLabelSelector }
        : {}),
      transform: transforms[kind] as (object: T) => T,
      clock: options.clock,
      random: options.random,
      logger: options.logger,
      metrics: options.metrics,
      onEvent: (type, object) => {
        this.#invalidate(kind, object);
        if (kind === 'dv') this.#watchDeadline(object, type === 'delete');
        options.onChange(kind, type, object);
      },
      onStateChange: options.onStateChange,
    });
  }

  /** The informer of one kind; undefined for DataVolumes without CDI. */
  informer(kind: CachedKind): Informer<{ metadata: Meta }> | undefined {
    const all = {
      vm: this.vms,
      vmi: this.vmis,
      dv: this.dvs,
      pvc: this.pvcs,
      instancetype: this.instancetypes,
    };
    return all[kind] as unknown as Informer<{ metadata: Meta }> | undefined;
  }

  informers(): readonly Informer<{ metadata: Meta }>[] {
    this.#informers ??= (['vm', 'vmi', 'dv', 'pvc', 'instancetype'] as const)
      .map((kind) => this.informer(kind))
      .filter((i) => i !== undefined);
    return this.#informers;
  }

  /** Every cache of the namespace is current. Asked on every read (the handlers' readiness
   *  check), so it allocates nothing. */
  isCurrent(): boolean {
    for (const informer of this.informers()) if (!informer.isCurrent()) return false;
    return true;
  }

  /** Drops every memoised snapshot (the cluster's capabilities changed what they show). */
  invalidateAll(): void {
    this.#snapshots.clear();
    this.#sorted = undefined;
  }

  snapshot(name: string): VmSnapshot | undefined {
    const memo = this.#snapshots.get(name);
    if (memo) return memo;
    const vm = this.vms.get(name);
    if (!vm) return undefined;
    const importDeadline = this.#deadline();
    const snapshot = toVmSnapshot({
      vm,
      // A VMI belongs to the VM of the same name (virt-controller names it so).
      vmi: this.vmis.get(name),
      dataVolume: (n) => this.dvs?.get(n),
      dataVolumesServed: this.dvs !== undefined,
      pvc: (n) => this.pvcs.get(n),
      emptyCdrom: this.#o.emptyCdrom(),
      ...(importDeadline ? { importDeadline } : {}),
      instancetype: (kind: InstancetypeKind, n: string) =>
        kind === 'VirtualMachineInstancetype'
          ? this.instancetypes.get(n)
          : this.#o.clusterInstancetype(n),
    });
    this.#snapshots.set(name, snapshot);
    return snapshot;
  }

  list(): readonly VmSnapshot[] {
    if (!this.#sorted) {
      this.#sorted = this.vms
        .list()
        .map((vm) => vm.metadata.name)
        .sort()
        .map((name) => this.snapshot(name))
        .filter((s): s is VmSnapshot => s !== undefined);
    }
    return this.#sorted;
  }

  /** Snapshots are memoised, but an import's deadline passes without any watch event: a timer
   *  invalidates the VMs using the DataVolume then, so the failure shows in bounded time. */
  #watchDeadline(dv: DataVolume, deleted: boolean): void {
    const name = dv.metadata.name;
    this.#deadlines.get(name)?.();
    this.#deadlines.delete(name);
    const deadline = this.#deadline();
    // Only virtual-media imports have deadlines; timers for every VM's disk would cost a
    // snapshot rebuild each (issue 12).
    if (deleted || !deadline || dv.metadata.labels?.[MediaLabels.vmUid] === undefined) return;
    const due = mediaDueAt(dv, deadline);
    if (due === undefined) return;
    const cancel = this.#o.clock.setTimeout(
      () => {
        this.#deadlines.delete(name);
        this.#invalidate('dv', dv);
        this.#o.onChange('dv', 'update', dv);
        this.#o.onDeadline?.(dv);
      },
      Math.max(0, due - this.#o.clock.now()) + 1,
    );
    this.#deadlines.set(name, cancel);
  }

  /** The timeouts insertions are judged against now; undefined when none is configured. */
  #deadline(): ImportDeadline | undefined {
    const { importTimeoutMs, attachTimeoutMs } = this.#o;
    if (importTimeoutMs === undefined) return undefined;
    return {
      now: this.#o.clock.now(),
      timeoutMs: importTimeoutMs,
      ...(attachTimeoutMs !== undefined ? { attachTimeoutMs } : {}),
    };
  }

  /** Cancels the deadline timers (the caches are being dropped). */
  stopTimers(): void {
    for (const cancel of this.#deadlines.values()) cancel();
    this.#deadlines.clear();
  }

  #invalidate(kind: CachedKind, object: { metadata: Meta }): void {
    this.#sorted = undefined;
    const name = object.metadata.name;
    if (kind === 'vm' || kind === 'vmi') {
      this.#snapshots.delete(name);
      return;
    }
    if (kind === 'instancetype') {
      // Only namespaced ones live here; the VMs that name one are few, clearing all is simpler.
      this.#snapshots.clear();
      return;
    }
    // A DataVolume or claim changes the snapshots of the VMs whose volumes use it. Only built
    // snapshots can be stale: walking every VM instead made the initial list of N DataVolumes
    // cost N × VMs (13 s of CPU at 10,000 VMs, issue 12).
    for (const vmName of this.#snapshots.keys()) {
      const uses = (this.vms.get(vmName)?.spec.template?.spec?.volumes ?? []).some(
        (v) => v.dataVolume?.name === name || v.persistentVolumeClaim?.claimName === name,
      );
      if (uses) this.#snapshots.delete(vmName);
    }
  }
}
