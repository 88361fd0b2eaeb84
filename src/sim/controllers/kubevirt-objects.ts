// Typed views of the KubeVirt and CDI objects the simulated controllers read and write, and
// the small helpers (conditions, run strategy, timestamps) they share.
import type { KubeObject, TypeKey } from '../types.ts';

export const Keys = {
  vm: 'virtualmachines.kubevirt.io',
  vmi: 'virtualmachineinstances.kubevirt.io',
  dv: 'datavolumes.cdi.kubevirt.io',
  pvc: 'persistentvolumeclaims',
  secret: 'secrets',
  namespace: 'namespaces',
} as const satisfies Record<string, TypeKey>;

export const Finalizers = {
  vmController: 'kubevirt.io/virtualMachineControllerFinalize',
  vmiForeground: 'kubevirt.io/foregroundDeleteVirtualMachine',
} as const;

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
  lastHeartbeatTime?: string | null;
}

export interface HotpluggableSource {
  hotpluggable?: boolean;
}
export interface Volume {
  name: string;
  dataVolume?: { name: string } & HotpluggableSource;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean } & HotpluggableSource;
  [source: string]: unknown;
}
export interface Disk {
  name: string;
  disk?: { bus?: string };
  cdrom?: { bus?: string; readonly?: boolean; tray?: string };
  lun?: { bus?: string };
  bootOrder?: number;
  [field: string]: unknown;
}
export interface Interface {
  name: string;
  macAddress?: string;
  model?: string;
  bootOrder?: number;
  [field: string]: unknown;
}
export interface VmiSpec {
  domain: {
    cpu?: { sockets?: number; cores?: number; threads?: number; [field: string]: unknown };
    memory?: { guest?: string; [field: string]: unknown };
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    firmware?: { uuid?: string; serial?: string; [field: string]: unknown };
    devices: { disks?: Disk[]; interfaces?: Interface[]; [field: string]: unknown };
    features?: { acpi?: { enabled?: boolean }; [field: string]: unknown };
    rebootPolicy?: 'Reboot' | 'Terminate';
    [field: string]: unknown;
  };
  volumes?: Volume[];
  networks?: { name: string; [source: string]: unknown }[];
  terminationGracePeriodSeconds?: number;
  livenessProbe?: unknown;
  startStrategy?: string;
  [field: string]: unknown;
}
export interface DataVolumeTemplate {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}
export interface VmSpec {
  runStrategy?: string;
  running?: boolean;
  template?: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec: VmiSpec;
  };
  dataVolumeTemplates?: DataVolumeTemplate[];
  [field: string]: unknown;
}
export interface StateChangeRequest {
  action: 'Start' | 'Stop';
  data?: Record<string, string>;
  uid?: string;
}
export interface VmStatus {
  printableStatus?: string;
  ready?: boolean;
  created?: boolean;
  conditions?: Condition[];
  stateChangeRequests?: StateChangeRequest[];
  startFailure?: unknown;
  runStrategy?: string;
  observedGeneration?: number;
  desiredGeneration?: number;
  snapshotInProgress?: string;
  [field: string]: unknown;
}
export interface VolumeStatus {
  name: string;
  target: string;
  phase?: string;
  reason?: string;
  message?: string;
  hotplugVolume?: { attachPodName?: string; attachPodUID?: string };
  persistentVolumeClaimInfo?: Record<string, unknown>;
  /** Bytes of the ISO file virt-handler stats, for the volumes iso-volumes.ts lists. */
  size?: number;
  [field: string]: unknown;
}
export interface VmiStatus {
  phase?: string;
  conditions?: Condition[];
  volumeStatus?: VolumeStatus[];
  [field: string]: unknown;
}

export const RunStrategies = [
  'Always',
  'RerunOnFailure',
  'Manual',
  'Halted',
  'Once',
  'WaitAsReceiver',
] as const;
export type RunStrategy = (typeof RunStrategies)[number];

export const vmSpecOf = (vm: KubeObject): VmSpec => (vm.spec ?? {}) as VmSpec;
export const vmStatusOf = (vm: KubeObject): VmStatus => (vm.status ?? {}) as VmStatus;
export const vmiSpecOf = (vmi: KubeObject): VmiSpec =>
  (vmi.spec ?? { domain: { devices: {} } }) as VmiSpec;
export const vmiStatusOf = (vmi: KubeObject): VmiStatus => (vmi.status ?? {}) as VmiStatus;
/** The template spec of a VM (an empty one when the VM has no template). */
export const templateSpecOf = (vm: KubeObject): VmiSpec =>
  vmSpecOf(vm).template?.spec ?? { domain: { devices: {} } };

/** KubeVirt's VirtualMachine.RunStrategy(): spec.running maps to Always/Halted, neither set
 *  means Halted, both set is an error. */
export const runStrategyOf = (vm: KubeObject): RunStrategy => {
  const { running, runStrategy } = vmSpecOf(vm);
  if (running !== undefined && runStrategy !== undefined)
    throw new Error('running and runstrategy are mutually exclusive');
  if (running !== undefined) return running ? 'Always' : 'Halted';
  if (runStrategy === undefined) return 'Halted';
  if (!(RunStrategies as readonly string[]).includes(runStrategy))
    throw new Error(`unknown runstrategy: ${runStrategy}`);
  return runStrategy as RunStrategy;
};

export const isFinal = (vmi: KubeObject): boolean => {
  const phase = vmiStatusOf(vmi).phase;
  return phase === 'Succeeded' || phase === 'Failed';
};

export const findCondition = (
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined => conditions?.find((c) => c.type === type);

export const hasConditionStatus = (
  conditions: readonly Condition[] | undefined,
  type: string,
  status: ConditionStatus,
): boolean => findCondition(conditions, type)?.status === status;

/** Sets a condition, keeping lastTransitionTime when the status did not change (as the
 *  Kubernetes condition helpers do). */
export const upsertCondition = (
  conditions: readonly Condition[] | undefined,
  next: Condition,
  now: string,
): Condition[] => {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === next.type);
  const previous = index >= 0 ? list[index] : undefined;
  const transition =
    previous && previous.status === next.status ? (previous.lastTransitionTime ?? now) : now;
  const merged: Condition = { ...next, lastTransitionTime: transition };
  if (index >= 0) list[index] = merged;
  else list.push(merged);
  return list;
};

export const removeCondition = (
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition[] => (conditions ?? []).filter((c) => c.type !== type);

/** RFC 3339 with second precision, as Kubernetes serialises metav1.Time. */
export const timestamp = (ms: number): string =>
  new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export const isHotpluggable = (volume: Volume | undefined): boolean =>
  volume?.dataVolume?.hotpluggable === true || volume?.persistentVolumeClaim?.hotpluggable === true;
