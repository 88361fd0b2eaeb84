// The simulated virt-controller VM loop (pkg/virt-controller/watch/vm/vm.go): creates and deletes
// the VMI per runStrategy and status.stateChangeRequests, creates dataVolumeTemplates, applies
// declarative hotplug, and writes the VM status (printableStatus, ready, created, conditions).
import { isDeepStrictEqual } from 'node:util';
import type { Clock } from '../../util/clock.ts';
import type { ClusterConfig } from '../cluster-config.ts';
import { StatusError, type KubeObject, type ObjectStore, type StoreEvent } from '../types.ts';
import { hotplugTarget } from './hotplug.ts';
import {
  Finalizers,
  Keys,
  findCondition,
  isFinal,
  removeCondition,
  runStrategyOf,
  timestamp,
  upsertCondition,
  vmSpecOf,
  vmStatusOf,
  vmiSpecOf,
  vmiStatusOf,
  type Condition,
  type RunStrategy,
  type VmStatus,
} from './kubevirt-objects.ts';
import { printableStatus } from './printable-status.ts';
import { restartRequired, vmiSpecFromTemplate } from './vm-template.ts';
import { WorkQueue, type ErrorSink } from './work-queue.ts';

export interface VirtControllerOptions {
  readonly store: ObjectStore;
  readonly clock: Clock;
  readonly cluster: ClusterConfig;
  readonly onError: ErrorSink;
}

export interface VirtController {
  close(): void;
}

const generationAnnotation = 'kubevirt.io/vm-generation';
/** VM condition types virt-controller owns; every other VMI condition is mirrored. */
const vmOwnedConditions = new Set([
  'Ready',
  'Failure',
  'RestartRequired',
  'ManualRecoveryRequired',
]);
const readyDvPhases = new Set(['Succeeded', 'PendingPopulation', 'WaitForFirstConsumer']);

const ownerReference = (vm: KubeObject) => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  name: vm.metadata.name ?? '',
  uid: vm.metadata.uid ?? '',
  controller: true,
  blockOwnerDeletion: true,
});

const firstRequest = (vm: KubeObject) => vmStatusOf(vm).stateChangeRequests?.[0];
const hasStartRequest = (vm: KubeObject): boolean => firstRequest(vm)?.action === 'Start';
const hasStopRequestFor = (vm: KubeObject, vmi: KubeObject): boolean => {
  const request = firstRequest(vm);
  return request?.action === 'Stop' && request.uid === vmi.metadata.uid;
};

export const startVirtController = (options: VirtControllerOptions): VirtController => {
  const { store, clock, cluster } = options;
  const liveHotplug = cluster.declarativeHotplug || cluster.hotplugVolumes;
  const now = (): string => timestamp(clock.now());
  const split = (key: string): [string, string] => {
    const at = key.indexOf('/');
    return [key.slice(0, at), key.slice(at + 1)];
  };

  const ignoreExisting = (write: () => void): void => {
    try {
      write();
    } catch (error) {
      if (!(error instanceof StatusError && error.reason === 'AlreadyExists')) throw error;
    }
  };

  /** handleDataVolumes: creates missing dataVolumeTemplates (owned by the VM) and says whether
   *  all of them are ready. */
  const ensureDataVolumes = (vm: KubeObject): boolean => {
    const namespace = vm.metadata.namespace ?? '';
    let ready = true;
    for (const template of vmSpecOf(vm).dataVolumeTemplates ?? []) {
      const name = template.metadata.name;
      const dv = store.get(Keys.dv, namespace, name);
      if (dv) {
        const phase = (dv.status as { phase?: string } | undefined)?.phase ?? '';
        if (!readyDvPhases.has(phase)) ready = false;
        continue;
      }
      if (store.get(Keys.pvc, namespace, name)) continue;
      ready = false;
      ignoreExisting(() =>
        store.create(Keys.dv, {
          apiVersion: 'cdi.kubevirt.io/v1beta1',
          kind: 'DataVolume',
          metadata: {
            name,
            namespace,
            ...(template.metadata.labels ? { labels: template.metadata.labels } : {}),
            ...(template.metadata.annotations
              ? { annotations: template.metadata.annotations }
              : {}),
            ownerReferences: [ownerReference(vm)],
          },
          spec: structuredClone(template.spec),
        }),
      );
    }
    return ready;
  };

  const startVmi = (vm: KubeObject): void => {
    const { namespace, name } = vm.metadata;
    const template = vmSpecOf(vm).template;
    const spec = vmiSpecFromTemplate(vm);
    if (firstRequest(vm)?.data?.paused === 'true') spec.startStrategy = 'Paused';
    ignoreExisting(() =>
      store.create(
        Keys.vmi,
        {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachineInstance',
          metadata: {
            name: name ?? '',
            namespace: namespace ?? '',
            labels: { ...template?.metadata?.labels },
            annotations: {
              ...template?.metadata?.annotations,
              [generationAnnotation]: String(vm.metadata.generation ?? 1),
              'kubevirt.io/latest-observed-api-version': 'v1',
              'kubevirt.io/storage-observed-api-version': 'v1',
            },
            ownerReferences: [ownerReference(vm)],
            finalizers: [Finalizers.vmiForeground, Finalizers.vmController],
          },
          spec,
          status: {
            phase: 'Pending',
            phaseTransitionTimestamps: [{ phase: 'Pending', phaseTransitionTimestamp: now() }],
            virtualMachineRevisionName: `revision-start-vm-${vm.metadata.uid ?? ''}-${vm.metadata.generation ?? 1}`,
            guestOSInfo: {},
            conditions: [
              {
                type: 'Ready',
                status: 'False',
                reason: 'GuestNotRunning',
                message: 'Guest VM is not reported as running',
                lastProbeTime: null,
                lastTransitionTime: now(),
              },
            ],
          },
        },
        { skipValidation: true },
      ),
    );
  };

  const stopVmi = (vmi: KubeObject): void => {
    if (vmi.metadata.deletionTimestamp) return;
    try {
      store.delete(Keys.vmi, vmi.metadata.namespace, vmi.metadata.name ?? '');
    } catch (error) {
      if (!(error instanceof StatusError && error.reason === 'NotFound')) throw error;
    }
  };

  const addStartRequest = (vm: KubeObject): void => {
    store.mutate(
      Keys.vm,
      vm.metadata.namespace,
      vm.metadata.name ?? '',
      (draft) => {
        const status = vmStatusOf(draft);
        status.stateChangeRequests = [...(status.stateChangeRequests ?? []), { action: 'Start' }];
        draft.status = status;
      },
      { subresource: 'status' },
    );
  };

  /** syncRunStrategy in vm.go, case by case. */
  const syncRunStrategy = (
    vm: KubeObject,
    vmi: KubeObject | undefined,
    strategy: RunStrategy,
  ): void => {
    switch (strategy) {
      case 'Always':
        if (vmi) {
          if (hasStopRequestFor(vm, vmi) || isFinal(vmi)) stopVmi(vmi);
        } else startVmi(vm);
        return;
      case 'RerunOnFailure':
        if (vmi) {
          const failed = vmiStatusOf(vmi).phase === 'Failed';
          const succeeded = vmiStatusOf(vmi).phase === 'Succeeded';
          if (
            !vmi.metadata.deletionTimestamp &&
            (hasStopRequestFor(vm, vmi) || failed || succeeded)
          ) {
            stopVmi(vmi);
            if (failed) addStartRequest(vm);
          }
          return;
        }
        // A VM switched to RerunOnFailure from another strategy starts; after a clean
        // shutdown it stays off until asked.
        if (!hasStartRequest(vm) && vmStatusOf(vm).runStrategy === strategy) return;
        startVmi(vm);
        return;
      case 'Manual':
        if (vmi) {
          if (hasStopRequestFor(vm, vmi)) stopVmi(vmi);
        } else if (hasStartRequest(vm)) startVmi(vm);
        return;
      case 'Halted':
        if (vmi) stopVmi(vmi);
        else if (hasStartRequest(vm))
          // A paused start on a Halted VM: virt-controller flips the VM to Always itself.
          store.mutate(Keys.vm, vm.metadata.namespace, vm.metadata.name ?? '', (draft) => {
            const spec = vmSpecOf(draft);
            if (spec.runStrategy !== undefined) spec.runStrategy = 'Always';
            else spec.running = true;
          });
        return;
      case 'Once':
        if (!vmi) startVmi(vm);
        return;
      case 'WaitAsReceiver':
        return;
    }
  };

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
    vm: KubeObject,
    vmi: KubeObject | undefined,
    needsRestart: boolean,
  ): Condition[] => {
    const stamp = now();
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

  const updateStatus = (
    vm: KubeObject,
    vmi: KubeObject | undefined,
    strategy: RunStrategy | undefined,
  ): void => {
    const status: VmStatus = structuredClone(vmStatusOf(vm));
    status.created = vmi !== undefined;
    status.ready =
      vmi !== undefined && findCondition(vmiStatusOf(vmi).conditions, 'Ready')?.status === 'True';
    if (trimFirstRequest(vm, vmi))
      status.stateChangeRequests = (status.stateChangeRequests ?? []).slice(1);
    if (status.stateChangeRequests?.length === 0) delete status.stateChangeRequests;
    const live = vmi !== undefined && !vmi.metadata.deletionTimestamp && !isFinal(vmi);
    const needsRestart = live && restartRequired(vm, vmi, liveHotplug);
    status.conditions = syncConditions(vm, vmi, needsRestart);
    if (vmi) {
      const observed = Number(vmi.metadata.annotations?.[generationAnnotation] ?? NaN);
      if (Number.isFinite(observed)) status.observedGeneration = observed;
      status.desiredGeneration = vm.metadata.generation ?? 1;
    }
    const dataVolumes = (vmSpecOf(vm).template?.spec.volumes ?? [])
      .flatMap((v) =>
        v.dataVolume ? [store.get(Keys.dv, vm.metadata.namespace, v.dataVolume.name)] : [],
      )
      .filter((dv): dv is KubeObject => dv !== undefined);
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
    if (isDeepStrictEqual(status, vm.status)) return;
    store.mutate(
      Keys.vm,
      vm.metadata.namespace,
      vm.metadata.name ?? '',
      (draft) => void (draft.status = status),
      {
        subresource: 'status',
      },
    );
  };

  /** Live VMI upkeep: declarative hotplug and the generation annotation (vm.go
   *  conditionallyBumpGenerationAnnotationOnVmi). */
  const syncLiveVmi = (vm: KubeObject, vmi: KubeObject): void => {
    if (vmi.metadata.deletionTimestamp || isFinal(vmi)) return;
    const namespace = vmi.metadata.namespace;
    const name = vmi.metadata.name ?? '';
    const template = vmSpecOf(vm).template?.spec;
    const target =
      liveHotplug && template && vmSpecOf(vm).updateVolumesStrategy !== 'Migration'
        ? hotplugTarget(template, vmiSpecOf(vmi))
        : undefined;
    if (target)
      store.mutate(Keys.vmi, namespace, name, (draft) => {
        const spec = vmiSpecOf(draft);
        spec.volumes = target.volumes;
        spec.domain.devices.disks = target.disks;
      });
    const generation = String(vm.metadata.generation ?? 1);
    const current = store.get(Keys.vmi, namespace, name) ?? vmi;
    if (
      current.metadata.annotations?.[generationAnnotation] !== generation &&
      !restartRequired(vm, current, liveHotplug)
    )
      store.mutate(Keys.vmi, namespace, name, (draft) => {
        draft.metadata.annotations = {
          ...draft.metadata.annotations,
          [generationAnnotation]: generation,
        };
      });
  };

  const reconcile = (key: string): void => {
    const [namespace, name] = split(key);
    const vm = store.get(Keys.vm, namespace, name);
    if (!vm) return;
    const vmi = store.get(Keys.vmi, namespace, name);
    if (vm.metadata.deletionTimestamp) {
      if (vmi) stopVmi(vmi);
      else if (vm.metadata.finalizers?.includes(Finalizers.vmController))
        store.mutate(Keys.vm, namespace, name, (draft) => {
          draft.metadata.finalizers = (draft.metadata.finalizers ?? []).filter(
            (f) => f !== Finalizers.vmController,
          );
        });
    } else if (!vm.metadata.finalizers?.includes(Finalizers.vmController)) {
      store.mutate(Keys.vm, namespace, name, (draft) => {
        draft.metadata.finalizers = [...(draft.metadata.finalizers ?? []), Finalizers.vmController];
      });
    }

    let strategy: RunStrategy | undefined;
    try {
      strategy = runStrategyOf(vm);
    } catch {
      strategy = undefined;
    }
    if (strategy && !vm.metadata.deletionTimestamp) {
      const current = store.get(Keys.vm, namespace, name) ?? vm;
      const dataVolumesReady = ensureDataVolumes(current);
      // vm.go: a halted VM proceeds (to delete a VMI) even while its DataVolumes provision.
      if (dataVolumesReady || strategy === 'Halted') syncRunStrategy(current, vmi, strategy);
    }

    const vmNow = store.get(Keys.vm, namespace, name);
    if (!vmNow) return;
    const vmiNow = store.get(Keys.vmi, namespace, name);
    if (vmiNow) syncLiveVmi(vmNow, vmiNow);
    const vmiLatest = store.get(Keys.vmi, namespace, name);
    updateStatus(vmNow, vmiLatest, strategy);
    // Once the final state is recorded on the VM, release the VMI (removeVMIFinalizer).
    if (
      vmiLatest &&
      isFinal(vmiLatest) &&
      vmiLatest.metadata.finalizers?.includes(Finalizers.vmController)
    )
      store.mutate(Keys.vmi, namespace, name, (draft) => {
        draft.metadata.finalizers = (draft.metadata.finalizers ?? []).filter(
          (f) => f !== Finalizers.vmController,
        );
      });
  };

  const queue = new WorkQueue(reconcile, options.onError);
  const keyOf = (object: KubeObject): string =>
    `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
  const usesDataVolume = (vm: KubeObject, dvName: string): boolean =>
    (vmSpecOf(vm).template?.spec.volumes ?? []).some((v) => v.dataVolume?.name === dvName) ||
    (vmSpecOf(vm).dataVolumeTemplates ?? []).some((t) => t.metadata.name === dvName);
  const onEvent = (event: StoreEvent): void => {
    if (event.typeKey === Keys.vm || event.typeKey === Keys.vmi) queue.add(keyOf(event.object));
    else if (event.typeKey === Keys.dv) {
      const dvName = event.object.metadata.name ?? '';
      for (const vm of store.list(Keys.vm, event.object.metadata.namespace).items)
        if (usesDataVolume(vm, dvName)) queue.add(keyOf(vm));
    }
  };
  const unsubscribe = store.subscribe(onEvent);
  for (const vm of store.list(Keys.vm).items) queue.add(keyOf(vm));

  return {
    close: () => {
      unsubscribe();
      queue.close();
    },
  };
};
