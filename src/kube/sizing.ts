// CPU, memory and architecture of a VM as the cluster states them: the VM's own topology, its
// instancetype, its resources, or what the running instance reports. Never a guess.
import type { CpuTopology, SizingSource } from '../backend/port.ts';
import { parseQuantity } from './quantity.ts';
import type { Instancetype, VirtualMachine, VirtualMachineInstance } from './types.ts';

/** Finds an instancetype by kind and name (namespaced ones in the VM's namespace). */
export type InstancetypeLookup = (kind: InstancetypeKind, name: string) => Instancetype | undefined;
export type InstancetypeKind = 'VirtualMachineInstancetype' | 'VirtualMachineClusterInstancetype';

/** The instancetype a VM references; KubeVirt's InstancetypeMatcher defaults the kind to the
 *  cluster-wide one. */
export const instancetypeOf = (
  vm: VirtualMachine,
  lookup: InstancetypeLookup | undefined,
): Instancetype | undefined => {
  const ref = vm.spec.instancetype;
  if (!ref || !lookup) return undefined;
  const kind =
    ref.kind?.toLowerCase() === 'virtualmachineinstancetype'
      ? 'VirtualMachineInstancetype'
      : 'VirtualMachineClusterInstancetype';
  return lookup(kind, ref.name);
};

export interface Sized<T> {
  readonly value: T;
  readonly source: SizingSource;
}

const topology = (t: { sockets?: number; cores?: number; threads?: number }): CpuTopology => ({
  sockets: t.sockets ?? 1,
  cores: t.cores ?? 1,
  threads: t.threads ?? 1,
});

export const cpuOf = (
  vm: VirtualMachine,
  vmi: VirtualMachineInstance | undefined,
  instancetype: Instancetype | undefined,
): Sized<CpuTopology> | undefined => {
  const domain = vm.spec.template?.spec?.domain;
  const spec = domain?.cpu;
  if (spec && (spec.sockets ?? spec.cores ?? spec.threads) !== undefined)
    return { value: topology(spec), source: 'topology' };
  const running = vmi?.status?.currentCPUTopology;
  if (running) return { value: topology(running), source: 'running' };
  // Without a preference KubeVirt spreads an instancetype's vCPUs over sockets (preferSockets).
  const guest = instancetype?.spec?.cpu?.guest;
  if (guest !== undefined && guest > 0)
    return { value: { sockets: guest, cores: 1, threads: 1 }, source: 'instancetype' };
  // KubeVirt puts the CPU limit (else request), rounded up, into sockets (fidelity doc §3).
  const cpu = parseQuantity(domain?.resources?.limits?.cpu ?? domain?.resources?.requests?.cpu);
  if (cpu !== undefined && cpu > 0)
    return { value: { sockets: Math.ceil(cpu), cores: 1, threads: 1 }, source: 'resources' };
  return undefined;
};

export const memoryOf = (
  vm: VirtualMachine,
  vmi: VirtualMachineInstance | undefined,
  instancetype: Instancetype | undefined,
): Sized<number> | undefined => {
  const domain = vm.spec.template?.spec?.domain;
  const candidates: [string | undefined, SizingSource][] = [
    [domain?.memory?.guest, 'topology'],
    [instancetype?.spec?.memory?.guest, 'instancetype'],
    [domain?.resources?.requests?.memory, 'resources'],
    [domain?.resources?.limits?.memory, 'resources'],
    [vmi?.status?.memory?.guestCurrent, 'running'],
  ];
  for (const [quantity, source] of candidates) {
    const value = parseQuantity(quantity);
    if (value !== undefined) return { value, source };
  }
  return undefined;
};

/** The guest architecture: the VM's (KubeVirt's webhook fills in the cluster default), else the
 *  running instance's, else what the guest agent saw (x86_64, aarch64) in platform words. */
export const architectureOf = (
  vm: VirtualMachine,
  vmi: VirtualMachineInstance | undefined,
): string | undefined => {
  const declared = vm.spec.template?.spec?.architecture ?? vmi?.spec?.architecture;
  if (declared) return declared;
  const guest = vmi?.status?.guestOSInfo?.machine;
  return guest === 'x86_64' ? 'amd64' : guest === 'aarch64' ? 'arm64' : undefined;
};
