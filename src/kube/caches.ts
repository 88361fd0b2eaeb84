// The informer caches of one namespace (VMs, VMIs, DataVolumes, PVCs) and the memoised snapshots
// built from them, invalidated by watch events so a read costs a map lookup.
import type { VmSnapshot } from '../backend/port.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Clock } from '../util/clock.ts';
import type { KubeClients } from './client.ts';
import { Informer, type InformerEventType } from './informers.ts';
import { toVmSnapshot } from './mapping.ts';
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
  readonly emptyCdrom: boolean;
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

const plural = (resource: string) => resource.split('.')[0] ?? resource;

export class NamespaceCaches {
  readonly vms: Informer<VirtualMachine>;
  readonly vmis: Informer<VirtualMachineInstance>;
  readonly dvs: Informer<DataVolume>;
  readonly pvcs: Informer<PersistentVolumeClaim>;
  readonly instancetypes: Informer<Instancetype>;
  readonly #o: NamespaceCachesOptions;
  readonly #snapshots = new Map<string, VmSnapshot>();
  #sorted: readonly VmSnapshot[] | undefined;

  constructor(options: NamespaceCachesOptions) {
    this.#o = options;
    const make = <T extends { metadata: Meta }>(kind: CachedKind) =>
      new Informer<T>({
        clients: options.clients,
        resource: resources[kind].resource,
        path: `${resources[kind].prefix}/namespaces/${encodeURIComponent(options.namespace)}/${plural(resources[kind].resource)}`,
        clock: options.clock,
        random: options.random,
        logger: options.logger,
        metrics: options.metrics,
        onEvent: (type, object) => {
          this.#invalidate(kind, object);
          options.onChange(kind, type, object);
        },
        onStateChange: options.onStateChange,
      });
    this.vms = make<VirtualMachine>('vm');
    this.vmis = make<VirtualMachineInstance>('vmi');
    this.dvs = make<DataVolume>('dv');
    this.pvcs = make<PersistentVolumeClaim>('pvc');
    this.instancetypes = make<Instancetype>('instancetype');
  }

  informers(): readonly Informer<{ metadata: Meta }>[] {
    return [this.vms, this.vmis, this.dvs, this.pvcs, this.instancetypes] as unknown as Informer<{
      metadata: Meta;
    }>[];
  }

  snapshot(name: string): VmSnapshot | undefined {
    const memo = this.#snapshots.get(name);
    if (memo) return memo;
    const vm = this.vms.get(name);
    if (!vm) return undefined;
    const snapshot = toVmSnapshot({
      vm,
      // A VMI belongs to the VM of the same name (virt-controller names it so).
      vmi: this.vmis.get(name),
      dataVolume: (n) => this.dvs.get(n),
      pvc: (n) => this.pvcs.get(n),
      emptyCdrom: this.#o.emptyCdrom,
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

  /** Drops every memoised snapshot (a cluster-wide instancetype changed). */
  invalidateAll(): void {
    this.#sorted = undefined;
    this.#snapshots.clear();
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
    // A DataVolume or claim changes the snapshots of the VMs whose volumes use it.
    for (const vm of this.vms.list()) {
      const uses = (vm.spec.template?.spec?.volumes ?? []).some(
        (v) => v.dataVolume?.name === name || v.persistentVolumeClaim?.claimName === name,
      );
      if (uses) this.#snapshots.delete(vm.metadata.name);
    }
  }
}
