// The simulated virt-api: subresources.kubevirt.io verbs with KubeVirt's legality rules per
// runStrategy, its effects (runStrategy patch or status.stateChangeRequests), codes and errors
// (pkg/virt-api/rest/lifecycle.go and volumes.go at v1.9.0; fidelity doc 1.5 and 2.1).
import { isDeepStrictEqual } from 'node:util';
import type { ClusterConfig } from '../cluster-config.ts';
import { type KubeObject, type ObjectStore, type SubresourceRegistry } from '../types.ts';
import {
  Keys,
  hasConditionStatus,
  isFinal,
  runStrategyOf,
  vmSpecOf,
  vmStatusOf,
  vmiSpecOf,
  vmiStatusOf,
  type RunStrategy,
  type StateChangeRequest,
  type VmStatus,
} from './kubevirt-objects.ts';
import { decode, isDryRun } from './virt-api-body.ts';
import { registerVolumeVerbs } from './virt-api-volumes.ts';
import {
  badRequest,
  conflict,
  forbidden,
  internalError,
  jsonPatchTestError,
  notFound,
} from './virt-api-errors.ts';

/** The node-side actions virt-api proxies to virt-handler once a request is legal. */
export interface VirtHandler {
  pause(namespace: string, name: string): void;
  unpause(namespace: string, name: string): void;
  softReboot(namespace: string, name: string): void;
  reset(namespace: string, name: string): void;
}

export interface VirtApiOptions {
  readonly store: ObjectStore;
  readonly cluster: ClusterConfig;
  readonly handler: VirtHandler;
}

const vmNotRunning = 'VM is not running';
const vmiNotRunning = 'VMI is not running';
const manualRecoveryRequired =
  'VM recovery required: Volume migration failed, leaving some volumes pointing to non-consistent targets; manual intervention is needed to assign them to their original volumes.';

/** Registers every verb this simulator serves into the API server's registry. */
export const registerVirtApi = (registry: SubresourceRegistry, options: VirtApiOptions): void => {
  const { store, cluster, handler } = options;

  const fetchVm = (namespace: string, name: string): KubeObject => {
    const vm = store.get(Keys.vm, namespace, name);
    if (!vm) throw notFound('virtualmachine', name);
    return vm;
  };
  const fetchVmi = (namespace: string, name: string): KubeObject => {
    const vmi = store.get(Keys.vmi, namespace, name);
    if (!vmi) throw notFound('virtualmachineinstance', name);
    return vmi;
  };
  const strategyOf = (vm: KubeObject): RunStrategy => {
    try {
      return runStrategyOf(vm);
    } catch (error) {
      throw internalError((error as Error).message);
    }
  };

  /** getChangeRequestJson + PatchStatus: a JSON patch on /status whose `test` op fails (409)
   *  when stateChangeRequests changed since virt-api read the VM. */
  const requestStateChange = (
    vm: KubeObject,
    changes: StateChangeRequest[],
    dryRun: boolean,
  ): void => {
    const name = vm.metadata.name ?? '';
    const seen = vmStatusOf(vm).stateChangeRequests;
    const statusEmpty = Object.keys(vm.status ?? {}).length === 0;
    if (!statusEmpty && seen?.length && !(changes.length === 1 && changes[0]?.action === 'Stop'))
      throw internalError('unable to complete request: stop/start already underway');
    if (dryRun) return;
    store.mutate(
      Keys.vm,
      vm.metadata.namespace,
      name,
      (draft) => {
        if (statusEmpty && Object.keys(draft.status ?? {}).length === 0) {
          draft.status = { stateChangeRequests: changes };
          return;
        }
        const status = (draft.status ?? {}) as VmStatus;
        if (!isDeepStrictEqual(status.stateChangeRequests, seen))
          throw conflict('virtualmachine', name, jsonPatchTestError);
        status.stateChangeRequests = changes;
        delete status.startFailure;
        draft.status = status;
      },
      { subresource: 'status' },
    );
  };

  /** getRunningPatch: flips spec.runStrategy (Always/Halted) or the deprecated spec.running,
   *  whichever the VM uses, guarded by a `test` op. */
  const patchRunning = (vm: KubeObject, running: boolean, dryRun: boolean): void => {
    const name = vm.metadata.name ?? '';
    const spec = vmSpecOf(vm);
    if (dryRun) return;
    store.mutate(Keys.vm, vm.metadata.namespace, name, (draft) => {
      const current = vmSpecOf(draft);
      if (spec.runStrategy !== undefined) {
        if (current.runStrategy !== spec.runStrategy)
          throw conflict('virtualmachine', name, jsonPatchTestError);
        current.runStrategy = running ? 'Always' : 'Halted';
      } else {
        if (current.running !== spec.running)
          throw conflict('virtualmachine', name, jsonPatchTestError);
        current.running = running;
      }
    });
  };

  registry.set('virtualmachines/start', ({ namespace, name, body }) => {
    const vm = fetchVm(namespace, name);
    const vmi = store.get(Keys.vmi, namespace, name);
    const phase = vmi ? (vmiStatusOf(vmi).phase ?? '') : '';
    if (vmi && !isFinal(vmi) && phase !== 'Unknown' && phase !== '')
      throw conflict('virtualmachine', name, 'VM is already running');
    if (hasConditionStatus(vmStatusOf(vm).conditions, 'ManualRecoveryRequired', 'True'))
      throw conflict('virtualmachine', name, manualRecoveryRequired);
    const opts = decode(body, 'StartOptions', { paused: 'boolean', dryRun: 'array' });
    const paused = opts.paused === true;
    const data = paused ? { paused: 'true' } : undefined;
    const start: StateChangeRequest = data ? { action: 'Start', data } : { action: 'Start' };
    const dryRun = isDryRun(opts);
    const strategy = strategyOf(vm);
    switch (strategy) {
      case 'Halted':
        // A paused start goes through a Start request; virt-controller then flips the VM to Always.
        if (paused) requestStateChange(vm, [start], dryRun);
        else patchRunning(vm, true, dryRun);
        break;
      case 'RerunOnFailure':
      case 'Manual': {
        const phaseNow = vmi ? vmiStatusOf(vmi).phase : undefined;
        if (strategy === 'RerunOnFailure' && phaseNow === 'Failed')
          throw conflict(
            'virtualmachine',
            name,
            'RerunOnFailure does not support starting VM from failed state',
          );
        const needsRestart =
          vmi &&
          ((strategy === 'RerunOnFailure' && phaseNow === 'Succeeded') ||
            (strategy === 'Manual' && isFinal(vmi)));
        const uid = vmi?.metadata.uid;
        requestStateChange(
          vm,
          needsRestart && uid ? [{ action: 'Stop', uid }, start] : [start],
          dryRun,
        );
        break;
      }
      case 'Always':
      case 'Once':
        throw conflict(
          'virtualmachine',
          name,
          `${strategy} does not support manual start requests`,
        );
      case 'WaitAsReceiver':
        // virt-api's switch has no case for it: the request is accepted and does nothing.
        break;
    }
    return 202;
  });

  registry.set('virtualmachines/stop', ({ namespace, name, body }) => {
    const opts = decode(body, 'StopOptions', { gracePeriod: 'number', dryRun: 'array' });
    const dryRun = isDryRun(opts);
    const gracePeriod = opts.gracePeriod as number | undefined;
    const vm = fetchVm(namespace, name);
    const strategy = strategyOf(vm);
    const vmi = store.get(Keys.vmi, namespace, name);
    const live = vmi !== undefined && !isFinal(vmi);
    const previousGrace = vmi ? vmiSpecOf(vmi).terminationGracePeriodSeconds : undefined;
    if (vmi && live && gracePeriod !== undefined && !dryRun) {
      // The shorter grace period is patched onto the VMI first, so virt-handler uses it.
      try {
        store.mutate(Keys.vmi, namespace, name, (draft) => {
          const spec = vmiSpecOf(draft);
          if (spec.terminationGracePeriodSeconds !== previousGrace)
            throw new Error(jsonPatchTestError);
          spec.terminationGracePeriodSeconds = gracePeriod;
        });
      } catch (error) {
        throw internalError((error as Error).message);
      }
    }
    const stopCurrent = (): void =>
      requestStateChange(vm, [{ action: 'Stop', uid: vmi?.metadata.uid ?? '' }], dryRun);
    switch (strategy) {
      case 'Halted':
        if (!live) throw conflict('virtualmachine', name, vmNotRunning);
        if (
          gracePeriod === undefined ||
          (previousGrace !== undefined && gracePeriod >= previousGrace)
        )
          throw conflict(
            'virtualmachine',
            name,
            'Halted only supports manual stop requests with a shorter graceperiod',
          );
        stopCurrent();
        break;
      case 'RerunOnFailure':
      case 'Manual':
        if (!live) throw conflict('virtualmachine', name, vmNotRunning);
        stopCurrent();
        break;
      case 'Always':
      case 'Once':
        patchRunning(vm, false, dryRun);
        break;
      case 'WaitAsReceiver':
        break;
    }
    return 202;
  });

  registry.set('virtualmachines/restart', ({ namespace, name, body }) => {
    const opts = decode(body, 'RestartOptions', { gracePeriodSeconds: 'number', dryRun: 'array' });
    const grace = opts.gracePeriodSeconds as number | undefined;
    if (grace !== undefined && grace > 0)
      throw badRequest('For force restart, only gracePeriod=0 is supported for now');
    if (grace !== undefined && grace < 0)
      throw badRequest('gracePeriod has to be greater or equal to 0');
    const vm = fetchVm(namespace, name);
    if (hasConditionStatus(vmStatusOf(vm).conditions, 'VolumesChange', 'True'))
      throw conflict('virtualmachine', name, manualRecoveryRequired);
    const strategy = strategyOf(vm);
    if (strategy === 'Halted' || strategy === 'Once')
      throw conflict(
        'virtualmachine',
        name,
        `RunStategy ${strategy} does not support manual restart requests`,
      );
    const vmi = store.get(Keys.vmi, namespace, name);
    if (!vmi) throw conflict('virtualmachine', name, 'VM is not running: Halted');
    const dryRun = isDryRun(opts);
    requestStateChange(
      vm,
      [{ action: 'Stop', uid: vmi.metadata.uid ?? '' }, { action: 'Start' }],
      dryRun,
    );
    if (grace === 0 && !dryRun && !isFinal(vmi)) {
      // v1.9: a forced restart shortens the VMI grace period to 1 s, the shortest safe restart.
      store.mutate(Keys.vmi, namespace, name, (draft) => {
        vmiSpecOf(draft).terminationGracePeriodSeconds = 1;
      });
    }
    return 202;
  });

  const vmiVerb = (
    verb: string,
    struct: string | undefined,
    validate: (vmi: KubeObject, name: string) => void,
    act: (namespace: string, name: string) => void,
  ): void => {
    registry.set(`virtualmachineinstances/${verb}`, ({ namespace, name, body }) => {
      const opts = struct ? decode(body, struct, { dryRun: 'array' }) : {};
      const vmi = fetchVmi(namespace, name);
      validate(vmi, name);
      if (!isDryRun(opts)) act(namespace, name);
      return 200;
    });
  };
  const conditionsOf = (vmi: KubeObject) => vmiStatusOf(vmi).conditions;
  const isPaused = (vmi: KubeObject): boolean =>
    conditionsOf(vmi)?.some((c) => c.type === 'Paused') ?? false;

  vmiVerb(
    'pause',
    'PauseOptions',
    (vmi, name) => {
      if (vmiStatusOf(vmi).phase !== 'Running')
        throw conflict('virtualmachineinstance', name, vmNotRunning);
      if (vmiSpecOf(vmi).livenessProbe !== undefined)
        throw forbidden(
          'virtualmachineinstance',
          name,
          'Pausing VMIs with LivenessProbe is currently not supported',
        );
      if (isPaused(vmi)) throw conflict('virtualmachineinstance', name, 'VMI is already paused');
    },
    (ns, n) => handler.pause(ns, n),
  );

  registry.set('virtualmachineinstances/unpause', ({ namespace, name, body }) => {
    const vm = store.get(Keys.vm, namespace, name);
    if (vm && vmStatusOf(vm).snapshotInProgress !== undefined)
      throw conflict('virtualmachine', name, 'VM snapshot is in progress');
    const opts = decode(body, 'UnpauseOptions', { dryRun: 'array' });
    const vmi = fetchVmi(namespace, name);
    if (vmiStatusOf(vmi).phase !== 'Running')
      throw conflict('virtualmachineinstance', name, vmiNotRunning);
    if (!isPaused(vmi)) throw conflict('virtualmachineinstance', name, 'VMI is not paused');
    if (!isDryRun(opts)) handler.unpause(namespace, name);
    return 200;
  });

  vmiVerb(
    'softreboot',
    undefined,
    (vmi, name) => {
      if (vmiStatusOf(vmi).phase !== 'Running')
        throw conflict('virtualmachineinstance', name, vmNotRunning);
      if (hasConditionStatus(conditionsOf(vmi), 'Paused', 'True'))
        throw conflict('virtualmachineinstance', name, 'VMI is paused');
      const acpiDisabled = vmiSpecOf(vmi).domain.features?.acpi?.enabled === false;
      if (!conditionsOf(vmi)?.some((c) => c.type === 'AgentConnected') && acpiDisabled)
        throw conflict(
          'virtualmachineinstance',
          name,
          'VMI neither have the agent connected nor the ACPI feature enabled',
        );
    },
    (ns, n) => handler.softReboot(ns, n),
  );

  if (cluster.reset) {
    vmiVerb(
      'reset',
      undefined,
      (vmi) => {
        const phase = vmiStatusOf(vmi).phase ?? '';
        if (phase === 'Scheduled')
          throw internalError(
            `Failed to reset non-running VMI with phase ${phase}: domain is not running`,
          );
        if (phase !== 'Running')
          throw badRequest(
            `Failed to reset non-running VMI with phase ${phase}: Unable to connect to VirtualMachineInstance because phase is ${phase} instead of Running or Scheduled`,
          );
      },
      (ns, n) => handler.reset(ns, n),
    );
  }

  registerVolumeVerbs(registry, store, cluster);
};
