// The VM status virt-controller writes (vm.go updateStatus): created, ready, the trimmed
// stateChangeRequests, conditions (Ready, mirrored VMI conditions, RestartRequired), generations,
// printableStatus and the recorded runStrategy.
import type { KubeObject } from '../types.ts';
import {
  findCondition,
  isFinal,
  removeCondition,
  upsertCondition,
  vmStatusOf,
  vmiStatusOf,
  type Condition,
  type RunStrategy,
  type VmStatus,
} from './kubevirt-objects.ts';
import { printableStatus } from './printable-status.ts';
import { restartRequired } from './vm-template.ts';

export const generationAnnotation = 'kubevirt.io/vm-generation';
/** VM condition types virt-controller owns; every other VMI condition is mirrored. */
const vmOwnedConditions = new Set([
  'Ready',
  'Failure',
  'RestartRequired',
  'ManualRecoveryRequired',
]);

export const firstRequest = (vm: KubeObject) => vmStatusOf(vm).stateChangeRequests?.[0];
export const hasStartRequest = (vm: KubeObject): boolean => firstRequest(vm)?.action === 'Start';
export const hasStopRequestFor = (vm: KubeObject, vmi: KubeObject): boolean => {
  const request = firstRequest(vm);
  return request?.action === 'Stop' && request.uid === vmi.metadata.uid;
};

/** Whether virt-controller would create a VMI now (drives Starting vs Stopped). */
const startExpected = (vm: KubeObject, strategy: RunStrategy): boolean => {
  switch (strategy) {
    case 'Always':
    case 'Once':
      return true;
    case 'RerunOnFailure':
      return hasStartRequest(vm) || vmStatusOf(vm).runStrategy !== strategy;
    case 'Manual':
    case 'Halted':
      return hasStartRequest(vm);
    case 'WaitAsReceiver':
      return false;
  }
};

/** isTrimFirstChangeRequestNeeded: a Stop is done once its VMI is gone (or replaced); a Start
 *  once a live VMI exists. */
const trimFirstRequest = (vm: KubeObject, vmi: KubeObject | undefined): boolean => {
  const request = firstRequest(vm);
  if (!request) return false;
  if (request.action === 'Stop') return !vmi || !request.uid || request.uid !== vmi.metadata.uid;
  return vmi !== undefined && !vmi.metadata.deletionTimestamp && !isFinal(vmi);
};

const syncConditions = (
  now: string,
  vm: KubeObject,
  vmi: KubeObject | undefined,
  needsRestart: boolean,
): Condition[] => {
  const stamp = now;
  let conditions = vmStatusOf(vm).conditions ?? [];
  const vmiConditions = vmi ? (vmiStatusOf(vmi).conditions ?? []) : [];
  const ready = findCondition(vmiConditions, 'Ready');
  conditions = upsertCondition(
    conditions,
    vmi
      ? {
          type: 'Ready',
          status: ready?.status ?? 'False',
          ...(ready?.reason ? { reason: ready.reason } : {}),
          ...(ready?.message ? { message: ready.message } : {}),
          lastProbeTime: null,
        }
      : {
          type: 'Ready',
          status: 'False',
          reason: 'VMINotExists',
          message: 'VMI does not exist',
          lastProbeTime: null,
        },
    stamp,
  );
  conditions = conditions.filter(
    (c) => vmOwnedConditions.has(c.type) || vmiConditions.some((v) => v.type === c.type),
  );
  for (const condition of vmiConditions) {
    if (vmOwnedConditions.has(condition.type)) continue;
    const { lastTransitionTime, ...rest } = condition;
    conditions = upsertCondition(conditions, rest, lastTransitionTime ?? stamp);
  }
  conditions = needsRestart
    ? upsertCondition(
        conditions,
        {
          type: 'RestartRequired',
          status: 'True',
          message: 'a non-live-updatable field was changed in the template spec',
          lastProbeTime: null,
        },
        stamp,
      )
    : removeCondition(conditions, 'RestartRequired');
  return conditions;
};

export interface VmStatusInput {
  readonly vm: KubeObject;
  readonly vmi: KubeObject | undefined;
  /** Undefined when the VM's run strategy is invalid. */
  readonly strategy: RunStrategy | undefined;
  /** The DataVolumes the template references (missing ones omitted). */
  readonly dataVolumes: readonly KubeObject[];
  readonly liveHotplug: boolean;
  readonly now: string;
}

export const nextVmStatus = ({
  vm,
  vmi,
  strategy,
  dataVolumes,
  liveHotplug,
  now,
}: VmStatusInput): VmStatus => {
  const status: VmStatus = structuredClone(vmStatusOf(vm));
  status.created = vmi !== undefined;
  status.ready =
    vmi !== undefined && findCondition(vmiStatusOf(vmi).conditions, 'Ready')?.status === 'True';
  if (trimFirstRequest(vm, vmi))
    status.stateChangeRequests = (status.stateChangeRequests ?? []).slice(1);
  if (status.stateChangeRequests?.length === 0) delete status.stateChangeRequests;
  const live = vmi !== undefined && !vmi.metadata.deletionTimestamp && !isFinal(vmi);
  const needsRestart = live && restartRequired(vm, vmi, liveHotplug);
  status.conditions = syncConditions(now, vm, vmi, needsRestart);
  if (vmi) {
    const observed = Number(vmi.metadata.annotations?.[generationAnnotation] ?? NaN);
    if (Number.isFinite(observed)) status.observedGeneration = observed;
    status.desiredGeneration = vm.metadata.generation ?? 1;
  }
  status.printableStatus = strategy
    ? printableStatus({
        vm,
        vmi,
        strategy,
        dataVolumes,
        startExpected: startExpected(vm, strategy),
      })
    : 'Unknown';
  if (strategy) status.runStrategy = strategy;
  return status;
};
