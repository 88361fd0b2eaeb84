// The simulated node side (virt-handler + virt-launcher + guest): moves VMIs through
// Pending -> Scheduling -> Scheduled -> Running on the clock, shuts guests down within the grace
// period when a VMI is deleted, and performs pause/reboot/reset and the test hooks
// guestReboot/guestShutdown/crash.
import type { Clock } from '../../util/clock.ts';
import type { ClusterConfig } from '../cluster-config.ts';
import type { KubeObject, ObjectStore, StoreEvent } from '../types.ts';
import type { Delays } from './delays.ts';
import { createEventRecorder } from './event-recorder.ts';
import { stepHotplugStatus } from './hotplug.ts';
import {
  Finalizers,
  Keys,
  findCondition,
  isFinal,
  isHotpluggable,
  removeCondition,
  timestamp,
  upsertCondition,
  vmiSpecOf,
  vmiStatusOf,
  type Condition,
  type Volume,
  type VmiStatus,
} from './kubevirt-objects.ts';
import type { VirtHandler } from './virt-api.ts';
import { guestOsInfo, runningStatusFields, simulatedNode } from './vmi-status.ts';
import { StepTimers, WorkQueue, type ErrorSink } from './work-queue.ts';

export interface SimulatedVirtHandler extends VirtHandler {
  /** The guest reboots itself; with rebootPolicy Terminate the VMI ends (Succeeded). */
  guestReboot(namespace: string, name: string): void;
  /** ACPI power-off from inside the guest: the VMI ends Succeeded. */
  guestShutdown(namespace: string, name: string): void;
  /** The guest or its launcher crashes: the VMI ends Failed. */
  crash(namespace: string, name: string): void;
  close(): void;
}

export interface VirtHandlerOptions {
  readonly store: ObjectStore;
  readonly clock: Clock;
  readonly delays: Delays;
  readonly cluster: ClusterConfig;
  readonly onError: ErrorSink;
}

const defaultGraceSeconds = 30;
const readyDataVolumePhases = new Set(['Succeeded', 'PendingPopulation', 'WaitForFirstConsumer']);

export const startVirtHandler = (options: VirtHandlerOptions): SimulatedVirtHandler => {
  const { store, clock, delays, cluster } = options;
  const timers = new StepTimers(clock);
  const now = (): string => timestamp(clock.now());
  // The events KubeVirt records about a VMI: virt-handler's (pkg/virt-handler/vm.go, messages
  // from controller.go) and, for the launcher pod this simulation does not model, the VMI
  // controller's (watch/vmi/lifecycle.go).
  const handlerEvents = createEventRecorder({
    store,
    clock,
    component: 'virt-handler',
    host: simulatedNode,
  });
  const controllerEvents = createEventRecorder({
    store,
    clock,
    component: 'virtualmachine-controller',
  });
  /** VMIs (by uid) whose graceful shutdown was announced: only the first attempt is recorded. */
  const announcedShutdowns = new Set<string>();
  const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;
  const split = (key: string): [string, string] => {
    const at = key.indexOf('/');
    return [key.slice(0, at), key.slice(at + 1)];
  };

  const sourceReady = (namespace: string, volume: Volume): boolean => {
    if (volume.dataVolume) {
      const dv = store.get(Keys.dv, namespace, volume.dataVolume.name);
      const phase = (dv?.status as { phase?: string } | undefined)?.phase;
      return phase !== undefined && readyDataVolumePhases.has(phase);
    }
    if (volume.persistentVolumeClaim)
      return store.get(Keys.pvc, namespace, volume.persistentVolumeClaim.claimName) !== undefined;
    return true;
  };

  /** Applies `change` to the VMI's status if it is still the same VMI (uid) it was planned for;
   *  returns the updated VMI, or undefined when it was not. */
  const update = (
    vmi: KubeObject,
    change: (status: VmiStatus, draft: KubeObject) => void,
  ): KubeObject | undefined => {
    const { namespace, name, uid } = vmi.metadata;
    const current = store.get(Keys.vmi, namespace, name ?? '');
    if (!current || current.metadata.uid !== uid) return undefined;
    return store.mutate(
      Keys.vmi,
      namespace,
      name ?? '',
      (draft) => {
        const status = vmiStatusOf(draft);
        change(status, draft);
        draft.status = status;
      },
      { skipValidation: true },
    );
  };

  const enterPhase = (status: VmiStatus, phase: string): void => {
    status.phase = phase;
    const transitions = (status.phaseTransitionTimestamps as { phase: string }[] | undefined) ?? [];
    status.phaseTransitionTimestamps = [...transitions, { phase, phaseTransitionTimestamp: now() }];
  };

  /** vm.go recordPhaseChangeEvent: a clean end is Normal, a crash a Warning. */
  const recordEnd = (vmi: KubeObject | undefined, phase: 'Succeeded' | 'Failed'): void => {
    if (!vmi) return;
    if (phase === 'Succeeded')
      handlerEvents.event(vmi, 'Normal', 'Stopped', 'The VirtualMachineInstance was shut down.');
    else handlerEvents.event(vmi, 'Warning', 'Stopped', 'The VirtualMachineInstance crashed.');
  };

  const finish = (vmi: KubeObject, phase: 'Succeeded' | 'Failed'): void =>
    recordEnd(
      update(vmi, (status) => {
        enterPhase(status, phase);
        let conditions = removeCondition(
          removeCondition(status.conditions, 'AgentConnected'),
          'Paused',
        );
        conditions = upsertCondition(
          conditions,
          {
            type: 'Ready',
            status: 'False',
            reason: phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed',
            message:
              phase === 'Succeeded'
                ? 'Guest VM has shut down'
                : 'virt-launcher exited with an error',
            lastProbeTime: null,
          },
          now(),
        );
        status.conditions = conditions;
        delete status.guestOSInfo;
      }),
      phase,
    );

  const setCondition = (status: VmiStatus, condition: Condition): void => {
    status.conditions = upsertCondition(
      status.conditions,
      { lastProbeTime: null, ...condition },
      now(),
    );
  };

  /** While Pending the VMI waits for its PVCs to exist and its DataVolumes to be ready. */
  const volumesReady = (vmi: KubeObject): boolean => {
    const namespace = vmi.metadata.namespace ?? '';
    const volumes = (vmiSpecOf(vmi).volumes ?? []).filter((v) => !isHotpluggable(v));
    const missingPvc = volumes.find((v) => v.persistentVolumeClaim && !sourceReady(namespace, v))
      ?.persistentVolumeClaim?.claimName;
    const dataVolumes = volumes.filter((v) => v.dataVolume);
    const dvsReady = dataVolumes.every((v) => sourceReady(namespace, v));
    const conditions = vmiStatusOf(vmi).conditions;
    const wantSync: Condition | undefined = missingPvc
      ? {
          type: 'Synchronized',
          status: 'False',
          reason: 'FailedPvcNotFound',
          message: `PVC ${namespace}/${missingPvc} does not exist, waiting for it to appear`,
        }
      : undefined;
    const wantDv: Condition | undefined = dataVolumes.length
      ? dvsReady
        ? {
            type: 'DataVolumesReady',
            status: 'True',
            reason: 'AllDVsReady',
            message: "All of the VMI's DVs are bound and ready",
          }
        : {
            type: 'DataVolumesReady',
            status: 'False',
            reason: 'NotAllDVsReady',
            message: "Not all of the VMI's DVs are ready",
          }
      : undefined;
    const haveSync = findCondition(conditions, 'Synchronized');
    const haveDv = findCondition(conditions, 'DataVolumesReady');
    const differs = (want: Condition | undefined, have: Condition | undefined): boolean =>
      want ? have?.status !== want.status || have.reason !== want.reason : have !== undefined;
    if (differs(wantSync, haveSync) || differs(wantDv, haveDv)) {
      update(vmi, (status) => {
        status.conditions = removeCondition(status.conditions, 'Synchronized');
        if (wantSync) setCondition(status, wantSync);
        if (wantDv) setCondition(status, wantDv);
      });
    }
    return !missingPvc && dvsReady;
  };

  const volumesPopulated = (vmi: KubeObject): boolean =>
    (vmiSpecOf(vmi).volumes ?? [])
      .filter((v) => !isHotpluggable(v) && v.dataVolume)
      .every(
        (v) =>
          (
            store.get(Keys.dv, vmi.metadata.namespace, v.dataVolume?.name ?? '')?.status as
              { phase?: string } | undefined
          )?.phase === 'Succeeded',
      );

  const reconcile = (key: string): void => {
    const [namespace, name] = split(key);
    const vmi = store.get(Keys.vmi, namespace, name);
    if (!vmi) {
      for (const suffix of ['', '#agent', '#hotplug']) timers.cancel(key + suffix);
      return;
    }
    if (isFinal(vmi)) announcedShutdowns.delete(vmi.metadata.uid ?? '');
    const uid = vmi.metadata.uid ?? '';
    const phase = vmiStatusOf(vmi).phase ?? '';
    const later = (
      suffix: string,
      step: string,
      delay: number,
      run: (current: KubeObject) => void,
    ): void =>
      timers.schedule(key + suffix, `${uid}:${step}`, delay, () => {
        const current = store.get(Keys.vmi, namespace, name);
        if (current?.metadata.uid === uid) run(current);
      });

    if (vmi.metadata.deletionTimestamp) {
      timers.cancel(`${key}#agent`);
      timers.cancel(`${key}#hotplug`);
      if (!isFinal(vmi)) {
        // The guest gets an ACPI shutdown and is killed at the end of the grace period.
        const grace = vmiSpecOf(vmi).terminationGracePeriodSeconds ?? defaultGraceSeconds;
        const budget = phase === 'Running' ? Math.min(grace * 1000, delays.guestShutdown) : 0;
        const elapsed = clock.now() - Date.parse(vmi.metadata.deletionTimestamp);
        // vm.go: a guest given a grace period is signalled once (ShuttingDown); one that does not
        // shut down within it, or has none, is killed (Deleted) before the VMI ends.
        const graceful = phase === 'Running' && grace > 0;
        if (graceful && !announcedShutdowns.has(uid)) {
          announcedShutdowns.add(uid);
          handlerEvents.event(vmi, 'Normal', 'ShuttingDown', 'Signaled Graceful Shutdown');
        }
        const killed = phase === 'Running' && (grace === 0 || grace * 1000 < delays.guestShutdown);
        later('', `shutdown:${grace}`, Math.max(0, budget - elapsed), (current) => {
          if (isFinal(current)) return;
          if (killed)
            handlerEvents.event(current, 'Normal', 'Deleted', 'VirtualMachineInstance stopping');
          finish(current, 'Succeeded');
        });
      } else if (vmi.metadata.finalizers?.includes(Finalizers.vmiForeground)) {
        store.mutate(Keys.vmi, namespace, name, (draft) => {
          draft.metadata.finalizers = (draft.metadata.finalizers ?? []).filter(
            (f) => f !== Finalizers.vmiForeground,
          );
        });
      }
      return;
    }
    if (isFinal(vmi)) {
      for (const suffix of ['', '#agent', '#hotplug']) timers.cancel(key + suffix);
      return;
    }

    switch (phase) {
      case '':
      case 'Pending':
        if (volumesReady(vmi))
          later('', 'scheduling', delays.scheduling, (current) => {
            const scheduling = update(current, (status) => {
              enterPhase(status, 'Scheduling');
              setCondition(status, {
                type: 'PodScheduled',
                status: 'False',
                reason: 'Pending',
                message: '',
              });
            });
            // lifecycle.go: the launcher pod is created as the VMI starts scheduling.
            if (scheduling)
              controllerEvents.event(
                scheduling,
                'Normal',
                'SuccessfulCreate',
                `Created virtual machine pod virt-launcher-${name}-${uid.slice(0, 5)}`,
              );
          });
        else timers.cancel(key);
        break;
      case 'Scheduling':
        later('', 'scheduled', delays.scheduled, (current) =>
          update(current, (status, draft) => {
            enterPhase(status, 'Scheduled');
            status.nodeName = simulatedNode;
            draft.metadata.labels = {
              ...draft.metadata.labels,
              'kubevirt.io/nodeName': simulatedNode,
            };
            setCondition(status, { type: 'PodScheduled', status: 'True' });
          }),
        );
        break;
      case 'Scheduled':
        // The launcher's containers start once its volumes are populated: a claim waiting for
        // its first consumer is only imported now that this pod exists.
        if (!volumesPopulated(vmi)) {
          timers.cancel(key);
          break;
        }
        later('', 'running', delays.running, (current) => {
          const running = update(current, (status) => {
            enterPhase(status, 'Running');
            Object.assign(status, runningStatusFields(current));
            status.conditions = removeCondition(status.conditions, 'PodScheduled');
            setCondition(status, { type: 'Ready', status: 'True' });
            setCondition(status, {
              type: 'LiveMigratable',
              status: 'False',
              reason: 'DisksNotLiveMigratable',
              message:
                'cannot migrate VMI: PVC is not shared, live migration requires that all PVCs must be shared (using ReadWriteMany access mode)',
            });
            // startStrategy Paused (a paused start): the domain boots paused.
            if (vmiSpecOf(current).startStrategy === 'Paused')
              setCondition(status, {
                type: 'Paused',
                status: 'True',
                reason: 'PausedByUser',
                message: 'VMI was paused by user',
              });
          });
          // vm.go: the domain is defined, then recordPhaseChangeEvent on Running.
          if (running) {
            handlerEvents.event(running, 'Normal', 'Created', 'VirtualMachineInstance defined.');
            handlerEvents.event(running, 'Normal', 'Started', 'VirtualMachineInstance started.');
          }
        });
        break;
      case 'Running': {
        const conditions = vmiStatusOf(vmi).conditions;
        if (!findCondition(conditions, 'AgentConnected'))
          later('#agent', 'agent', delays.agentConnect, (current) =>
            update(current, (status) => {
              setCondition(status, { type: 'AgentConnected', status: 'True' });
              status.guestOSInfo = guestOsInfo;
            }),
          );
        const step = stepHotplugStatus(
          vmiSpecOf(vmi),
          vmiStatusOf(vmi).volumeStatus ?? [],
          uid,
          (v) => sourceReady(namespace, v),
        );
        if (step)
          later(
            '#hotplug',
            `hotplug:${JSON.stringify(step.map((s) => [s.name, s.phase]))}`,
            delays.hotplugStep,
            (current) => {
              const next = stepHotplugStatus(
                vmiSpecOf(current),
                vmiStatusOf(current).volumeStatus ?? [],
                uid,
                (v) => sourceReady(namespace, v),
              );
              if (next) update(current, (status) => (status.volumeStatus = next));
            },
          );
        else timers.cancel(`${key}#hotplug`);
        break;
      }
      default:
        break;
    }
  };

  const queue = new WorkQueue(reconcile, options.onError);
  // VMI names per namespace (from VMI events), so a DV or PVC change wakes only that namespace.
  const vmisByNamespace = new Map<string, Set<string>>();
  const onEvent = (event: StoreEvent): void => {
    const namespace = event.object.metadata.namespace ?? '';
    const name = event.object.metadata.name ?? '';
    if (event.typeKey === Keys.vmi) {
      const names = vmisByNamespace.get(namespace) ?? new Set<string>();
      if (event.type === 'DELETED') names.delete(name);
      else names.add(name);
      vmisByNamespace.set(namespace, names);
      queue.add(keyOf(namespace, name));
    } else if (event.typeKey === Keys.dv || event.typeKey === Keys.pvc) {
      for (const vmi of vmisByNamespace.get(namespace) ?? []) queue.add(keyOf(namespace, vmi));
    }
  };
  const unsubscribe = store.subscribe(onEvent);
  for (const vmi of store.list(Keys.vmi).items)
    onEvent({ type: 'ADDED', typeKey: Keys.vmi, object: vmi });

  const running = (namespace: string, name: string): KubeObject => {
    const vmi = store.get(Keys.vmi, namespace, name);
    if (!vmi || vmiStatusOf(vmi).phase !== 'Running' || vmi.metadata.deletionTimestamp)
      throw new Error(`VMI ${namespace}/${name} is not running`);
    return vmi;
  };
  const reboot = (vmi: KubeObject, guestInitiated: boolean): void => {
    const terminate = cluster.rebootPolicy && vmiSpecOf(vmi).domain.rebootPolicy === 'Terminate';
    // libvirt on_reboot=destroy: a reboot the guest performs ends the domain (and the VMI).
    if (guestInitiated && terminate) finish(vmi, 'Succeeded');
    else
      update(vmi, (status) => {
        status.conditions = removeCondition(status.conditions, 'AgentConnected');
      });
  };

  return {
    pause: (namespace, name) =>
      update(running(namespace, name), (status) =>
        setCondition(status, {
          type: 'Paused',
          status: 'True',
          reason: 'PausedByUser',
          message: 'VMI was paused by user',
        }),
      ),
    unpause: (namespace, name) =>
      update(running(namespace, name), (status) => {
        status.conditions = removeCondition(status.conditions, 'Paused');
      }),
    softReboot: (namespace, name) => reboot(running(namespace, name), true),
    reset: (namespace, name) => reboot(running(namespace, name), false),
    guestReboot: (namespace, name) => reboot(running(namespace, name), true),
    guestShutdown: (namespace, name) => finish(running(namespace, name), 'Succeeded'),
    crash: (namespace, name) => finish(running(namespace, name), 'Failed'),
    close: () => {
      unsubscribe();
      queue.close();
      timers.clear();
    },
  };
};
