// The one place deciding which chassis and systems a caller can see, and how system Ids map to
// VMs (config-reference.md: system_id_convention). Outside the caller's chassis is "not found".
import type { VmBackend, VmRef, VmSnapshot } from '../backend/port.ts';
import type { ChassisConfig, Config, SystemIdConvention } from '../config/schema.ts';
import { BoundedMap, memoised } from '../util/memo.ts';
import type { ChassisView, Principal, Scope, SystemLookup, VisibleSystem } from './types.ts';

export interface ScopeOptions {
  /** Read on every call, so chassis and users reload without a restart. */
  readonly getConfig: () => Config;
  readonly backend: VmBackend;
}

export const isMember = (chassis: ChassisConfig, vm: VmSnapshot): boolean => {
  const { labels, names } = chassis.vmSelector;
  return (
    vm.ref.namespace === chassis.namespace &&
    Object.entries(labels).every(([key, value]) => vm.labels[key] === value) &&
    (names === undefined || names.includes(vm.ref.name))
  );
};

/** `<namespace>.<vm-name>`: namespaces never contain a dot, so the first dot splits it. */
export const enhancedId = (ref: VmRef): string => `${ref.namespace}.${ref.name}`;

/** A visible VM and the chassis it is listed under (the first of the caller's, by name). */
interface Placed {
  readonly vm: VmSnapshot;
  readonly chassis: ChassisConfig;
}

/** A lookup's answer, and what it stands on (see `lookups` in createScope). */
interface RememberedLookup {
  readonly config: Config;
  readonly vm: VmSnapshot;
  readonly answer: SystemLookup;
}

const byName = (a: { name: string }, b: { name: string }) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

export const createScope = ({ getConfig, backend }: ScopeOptions): Scope => {
  /** The principal's chassis that still exist in the current config, in name order. */
  // Asked on every request; a user's chassis list is one array per config (the principal's),
  // so the answer is remembered per list and config.
  const chassisMemo = new WeakMap<
    readonly string[],
    { readonly config: Config; readonly chassis: readonly ChassisConfig[] }
  >();
  const systemsMemo = new WeakMap<
    readonly string[],
    {
      readonly config: Config;
      readonly lists: readonly (readonly VmSnapshot[])[];
      readonly systems: readonly VisibleSystem[];
    }
  >();
  /** Answers of `lookup` per chassis list and Id, for Ids in the enhanced form under the enhanced
   *  convention: the answer then depends only on the config, the caller's chassis and that one
   *  VM's snapshot (its namespace and labels), which the backend replaces whenever it changes.
   *  Legacy answers also depend on every other VM of the same name, so they are not kept.
   *  Bounded: anyone can ask for Ids, though only visible VMs' answers are kept. */
  const lookups = new WeakMap<readonly string[], Map<string, RememberedLookup>>();
  const remember = (principal: Principal, id: string, entry: RememberedLookup): void => {
    memoised(lookups, principal.chassis, () => new BoundedMap(4096)).set(id, entry);
  };

  const chassisOf = (principal: Principal): readonly ChassisConfig[] => {
    const config = getConfig();
    const known = chassisMemo.get(principal.chassis);
    if (known?.config === config) return known.chassis;
    const allowed = new Set(principal.chassis);
    const chassis = config.chassis.filter((c) => allowed.has(c.name)).sort(byName);
    chassisMemo.set(principal.chassis, { config, chassis });
    return chassis;
  };

  /** The first of `chassis` (name order) that the VM belongs to. */
  const owner = (chassis: readonly ChassisConfig[], vm: VmSnapshot) =>
    chassis.find((c) => isMember(c, vm));

  /** Every visible VM of the principal with the given name, across their namespaces. */
  const visibleByName = (chassis: readonly ChassisConfig[], name: string) => {
    const matches: Placed[] = [];
    for (const namespace of new Set(chassis.map((c) => c.namespace))) {
      const vm = backend.getVm({ namespace, name });
      const home = vm && owner(chassis, vm);
      if (vm && home) matches.push({ vm, chassis: home });
    }
    return matches;
  };

  /** Legacy Ids are bare VM names; where two visible VMs share one, each keeps the enhanced
   *  form, so every Id this caller is shown stays unique and resolvable. */
  const canonicalId = (
    convention: SystemIdConvention,
    vm: VmSnapshot,
    nameShared: boolean,
  ): string => (convention === 'legacy' && !nameShared ? vm.ref.name : enhancedId(vm.ref));

  const visible = (vm: VmSnapshot, chassis: ChassisConfig, id: string): VisibleSystem => ({
    id,
    ref: vm.ref,
    chassis: chassis.name,
    snapshot: vm,
  });

  const found = (entry: Placed, id: string): SystemLookup => ({
    found: true,
    system: visible(entry.vm, entry.chassis, id),
  });

  /** Every system visible to the principal or, with `only`, those that are members of that
   *  chassis (still placed under their first chassis, so Ids and links agree everywhere). */
  const list = (principal: Principal, only?: ChassisConfig): VisibleSystem[] => {
    const chassis = chassisOf(principal);
    const convention = getConfig().systemIdConvention;
    const perNamespace = new Map<string, readonly VmSnapshot[]>();
    const seen = new Map<string, Placed>();
    for (const c of chassis) {
      let vms = perNamespace.get(c.namespace);
      if (!vms) {
        vms = backend.listVms(c.namespace);
        perNamespace.set(c.namespace, vms);
      }
      for (const vm of vms) {
        const key = enhancedId(vm.ref);
        if (!seen.has(key) && isMember(c, vm)) seen.set(key, { vm, chassis: c });
      }
    }
    const nameCount = new Map<string, number>();
    for (const { vm } of seen.values())
      nameCount.set(vm.ref.name, (nameCount.get(vm.ref.name) ?? 0) + 1);
    return [...seen.values()]
      .filter((entry) => only === undefined || isMember(only, entry.vm))
      .map(({ vm, chassis: c }) =>
        visible(vm, c, canonicalId(convention, vm, (nameCount.get(vm.ref.name) ?? 0) > 1)),
      )
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  };

  const coversAll = (principal: Principal): boolean => {
    const mine = new Set(principal.chassis);
    return getConfig().chassis.every((c) => mine.has(c.name));
  };

  return {
    coversAll,

    coversUser(principal, user) {
      if (user === principal.user) return true;
      const other = getConfig().authentication.users.find((u) => u.username === user);
      if (other === undefined) return coversAll(principal);
      const mine = new Set(principal.chassis);
      return other.chassis.every((c) => mine.has(c));
    },

    chassis: (principal) =>
      chassisOf(principal).map((c): ChassisView => ({
        name: c.name,
        namespace: c.namespace,
        ...(c.description !== undefined && { description: c.description }),
      })),

    systems: (principal) => {
      // The collections are read as often as a System. The backend returns a namespace's same
      // list array until something in it changes, so while those arrays, the config and the
      // principal's chassis list stay, so do the visible systems (issue 12).
      const config = getConfig();
      const lists = chassisOf(principal).map((c) => backend.listVms(c.namespace));
      const known = systemsMemo.get(principal.chassis);
      if (
        known?.config === config &&
        known.lists.length === lists.length &&
        known.lists.every((l, i) => l === lists[i])
      )
        return known.systems;
      const systems = list(principal);
      systemsMemo.set(principal.chassis, { config, lists, systems });
      return systems;
    },

    systemsOfChassis: (principal, name) => {
      const chassis = chassisOf(principal).find((c) => c.name === name);
      return chassis ? list(principal, chassis) : [];
    },

    lookup(principal, id): SystemLookup {
      // Clients read the same system over and over: its answer stands while the config and the
      // VM's snapshot do (see `lookups`).
      const config = getConfig();
      const known = lookups.get(principal.chassis)?.get(id);
      if (known?.config === config && backend.getVm(known.vm.ref) === known.vm) return known.answer;
      const chassis = chassisOf(principal);
      const convention = config.systemIdConvention;
      // The Id read as `<namespace>.<name>`...
      const dot = id.indexOf('.');
      let dotted: Placed | undefined;
      if (dot > 0) {
        const namespace = id.slice(0, dot);
        if (chassis.some((c) => c.namespace === namespace)) {
          const vm = backend.getVm({ namespace, name: id.slice(dot + 1) });
          const home = vm && owner(chassis, vm);
          if (vm && home) dotted = { vm, chassis: home };
        }
      }
      if (convention === 'enhanced' && dotted) {
        const answer = found(dotted, enhancedId(dotted.vm.ref));
        remember(principal, id, { config, vm: dotted.vm, answer });
        return answer;
      }
      // ...and as a bare VM name (which may itself contain dots).
      const named = visibleByName(chassis, id);
      const [first] = named;
      if (first && named.length === 1)
        return found(first, canonicalId(convention, first.vm, false));
      if (named.length > 1) return { found: false, ambiguous: true };
      if (dotted) {
        // Legacy mode, enhanced alias: canonical is the bare name unless another visible VM
        // shares it.
        const shared = visibleByName(chassis, dotted.vm.ref.name).length > 1;
        return found(dotted, canonicalId(convention, dotted.vm, shared));
      }
      return { found: false, ambiguous: false };
    },
  };
};
