// The simulated virt-controller VM loop (pkg/virt-controller/watch/vm/vm.go): creates and deletes
// the VMI per runStrategy and status.stateChangeRequests, creates dataVolumeTemplates, applies
// declarative hotplug, and writes the VM status (printableStatus, ready, created, conditions).
import { isDeepStrictEqual } from 'node:util';
import type { Clock } from '../../util/clock.ts';
import type { ClusterConfig } from '../cluster-config.ts';
import { StatusError, type KubeObject, type ObjectStore, type StoreEvent } from '../types.ts';
import { createEventRecorder } from './event-recorder.ts';
import { hotplugTarget } from './hotplug.ts';
import {
  Finalizers,
  Keys,
  isFinal,
  runStrategyOf,
  timestamp,
  vmSpecOf,
  vmStatusOf,
  vmiSpecOf,
  vmiStatusOf,
  type RunStrategy,
} from './kubevirt-objects.ts';
import { restartRequired, vmiSpecFromTemplate } from './vm-template.ts';
import {
  firstRequest,
  generationAnnotation,
  hasStartRequest,
  hasStopRequestFor,
  nextVmStatus,
} from './vm-status.ts';
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

const readyDvPhases = new Set(['Succeeded', 'PendingPopulation', 'WaitForFirstConsumer']);

const ownerReference = (vm: KubeObject) => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  name: vm.metadata.name ?? '',
  uid: vm.metadata.uid ?? '',
  controller: true,
  blockOwnerDeletion: true,
});

export const startVirtController = (options: VirtControllerOptions): VirtController => {
  const { store, clock, cluster } = options;
  const liveHotplug = cluster.declarativeHotplug || cluster.hotplugVolumes;
  const now = (): string => timestamp(clock.now());
  // virt-controller's VM controller records under this component (watch/application.go).
  const recorder = createEventRecorder({ store, clock, component: 'virtualmachine-controller' });
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
    let created = false;
    ignoreExisting(() => {
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
      );
      created = true;
    });
    // vm.go startVMI: the event KubeVirt records once the VMI exists.
    if (created)
      recorder.event(
        vm,
        'Normal',
        'SuccessfulCreate',
        `Started the virtual machine by creating the new virtual machine instance ${name ?? ''}`,
      );
  };

  const stopVmi = (vm: KubeObject, vmi: KubeObject): void => {
    if (vmi.metadata.deletionTimestamp) return;
    try {
      store.delete(Keys.vmi, vmi.metadata.namespace, vmi.metadata.name ?? '');
    } catch (error) {
      if (!(error instanceof StatusError && error.reason === 'NotFound')) throw error;
      return;
    }
    // vm.go stopVMI names the instance by its uid.
    recorder.event(
      vm,
      'Normal',
      'SuccessfulDelete',
      `Stopped the virtual machine by deleting the virtual machine instance ${vmi.metadata.uid ?? ''}`,
    );
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
          if (hasStopRequestFor(vm, vmi) || isFinal(vmi)) stopVmi(vm, vmi);
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
            stopVmi(vm, vmi);
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
          if (hasStopRequestFor(vm, vmi)) stopVmi(vm, vmi);
        } else if (hasStartRequest(vm)) startVmi(vm);
        return;
      case 'Halted':
        if (vmi) stopVmi(vm, vmi);
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

  const updateStatus = (
    vm: KubeObject,
    vmi: KubeObject | undefined,
    strategy: RunStrategy | undefined,
  ): void => {
    const dataVolumes = (vmSpecOf(vm).template?.spec.volumes ?? [])
      .flatMap((v) =>
        v.dataVolume ? [store.get(Keys.dv, vm.metadata.namespace, v.dataVolume.name)] : [],
      )
      .filter((dv): dv is KubeObject => dv !== undefined);
    const status = nextVmStatus({ vm, vmi, strategy, dataVolumes, liveHotplug, now: now() });
    if (isDeepStrictEqual(status, vm.status)) return;
    store.mutate(
      Keys.vm,
      vm.metadata.namespace,
      vm.metadata.name ?? '',
      (draft) => void (draft.status = status),
      { subresource: 'status' },
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
    // The VM finalizer is metadata the controller owns: admitted without re-running the VM
    // webhook on the (already admitted) spec.
    const setFinalizer = (present: boolean): void => {
      store.mutate(
        Keys.vm,
        namespace,
        name,
        (draft) => {
          const others = (draft.metadata.finalizers ?? []).filter(
            (f) => f !== Finalizers.vmController,
          );
          draft.metadata.finalizers = present ? [...others, Finalizers.vmController] : others;
        },
        { skipValidation: true },
      );
    };
    const hasFinalizer = vm.metadata.finalizers?.includes(Finalizers.vmController) === true;
    if (vm.metadata.deletionTimestamp) {
      if (vmi) stopVmi(vm, vmi);
      else if (hasFinalizer) setFinalizer(false);
    } else if (!hasFinalizer) setFinalizer(true);

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
  // Which VMs reference which DataVolume, kept from VM events like an informer index, so a DV
  // progress update does not scan every VM of the namespace.
  const dvUsers = new Map<string, Set<string>>();
  const dvsOfVm = new Map<string, string[]>();
  const indexVm = (vm: KubeObject, deleted: boolean): void => {
    const vmKey = keyOf(vm);
    for (const dv of dvsOfVm.get(vmKey) ?? []) dvUsers.get(dv)?.delete(vmKey);
    if (deleted) return void dvsOfVm.delete(vmKey);
    const names = new Set([
      ...(vmSpecOf(vm).template?.spec.volumes ?? []).flatMap((v) =>
        v.dataVolume ? [v.dataVolume.name] : [],
      ),
      ...(vmSpecOf(vm).dataVolumeTemplates ?? []).map((t) => t.metadata.name),
    ]);
    const dvKeys = [...names].map((dv) => `${vm.metadata.namespace ?? ''}/${dv}`);
    dvsOfVm.set(vmKey, dvKeys);
    for (const dv of dvKeys) dvUsers.set(dv, (dvUsers.get(dv) ?? new Set()).add(vmKey));
  };
  const onEvent = (event: StoreEvent): void => {
    if (event.typeKey === Keys.vm) indexVm(event.object, event.type === 'DELETED');
    if (event.typeKey === Keys.vm || event.typeKey === Keys.vmi) queue.add(keyOf(event.object));
    else if (event.typeKey === Keys.dv)
      for (const vmKey of dvUsers.get(keyOf(event.object)) ?? []) queue.add(vmKey);
  };
  const unsubscribe = store.subscribe(onEvent);
  for (const vm of store.list(Keys.vm).items) {
    indexVm(vm, false);
    queue.add(keyOf(vm));
  }

  return {
    close: () => {
      unsubscribe();
      queue.close();
    },
  };
};
