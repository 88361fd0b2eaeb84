// Power actions through KubeVirt's lifecycle subresources (BEHAVIOUR.md "Power"): one API call per
// action in the common case, decided from the cached state; idempotent where Redfish expects it.
import { BackendError } from '../backend/errors.ts';
import type { PowerAction, PowerState, VmRef } from '../backend/port.ts';
import { currentOrder, readBootRecord, sameOrder } from './boot-record.ts';
import type { KubeClients } from './client.ts';
import { statusCode, toBackendError } from './errors.ts';
import { getVmFresh, patchVm, requireUnchanged } from './vm-patch.ts';
import type { VirtualMachine, VirtualMachineInstance } from './types.ts';

export interface PowerInput {
  readonly clients: KubeClients;
  readonly ref: VmRef;
  readonly vm: VirtualMachine;
  readonly vmi: VirtualMachineInstance | undefined;
  readonly powerState: PowerState;
  /** rebootPolicy Terminate is available, so a pending one-time boot runs under Always. */
  readonly rebootPolicyTerminate: boolean;
  readonly signal?: AbortSignal;
  /** The action is pinned to the cached VM's version (If-Match): a change answers 412. */
  readonly pinned?: boolean;
}

const subresource = (
  ref: VmRef,
  kind: 'virtualmachines' | 'virtualmachineinstances',
  verb: string,
) =>
  `/apis/subresources.kubevirt.io/v1/namespaces/${encodeURIComponent(ref.namespace)}/${kind}/${encodeURIComponent(ref.name)}/${verb}`;

/**
 * Whether the VM template asks for a different boot than the running VMI was built with (a boot
 * override or mode change waiting for a new VMI). A soft reboot would not apply it.
 */
export const bootChangePending = (
  vm: VirtualMachine,
  vmi: VirtualMachineInstance | undefined,
): boolean => {
  if (!vmi) return false;
  if (vm.status?.conditions?.some((c) => c.type === 'RestartRequired' && c.status === 'True'))
    return true;
  const asVm = { metadata: vmi.metadata, spec: { template: { spec: vmi.spec ?? {} } } };
  const efi = (spec: VirtualMachine) =>
    spec.spec.template?.spec?.domain?.firmware?.bootloader?.efi !== undefined;
  return !sameOrder(currentOrder(vm), currentOrder(asVm)) || efi(vm) !== efi(asVm);
};

/**
 * Under runStrategy Always (or Halted, which `start` flips to Always) KubeVirt restarts a guest
 * that powers itself off, so a BMC's Off would not stay off. Before starting, such a VM is moved to
 * Manual: start/stop requests then drive it, and a guest shutdown leaves it Off, as on hardware.
 */
const ensureManual = async (input: PowerInput): Promise<void> => {
  await patchVm(
    input.clients,
    input.ref,
    input.vm,
    (vm) =>
      vm.spec.runStrategy === 'Manual' && vm.spec.running === undefined
        ? undefined
        : { spec: { runStrategy: 'Manual', running: null } },
    input.signal,
    input.pinned,
  );
};

/**
 * A stop is underway: asked for and not acted on yet (the last state-change request is a Stop),
 * or the VMI is shutting down. A start now would be lost: KubeVirt answers "already running",
 * the stop completes and the VM ends Off. So a power-on then answers that the system is in
 * transition (409 ResourceInUse), and the client powers on once it is Off.
 */
export const stopUnderway = (vm: VirtualMachine): boolean => {
  const pending = vm.status?.stateChangeRequests?.at(-1);
  if (pending !== undefined) return pending.action === 'Stop';
  const shown = vm.status?.printableStatus;
  // Halted with an instance: the stop flipped the strategy and virt-controller has yet to act.
  const halting = vm.spec.runStrategy === 'Halted' && vm.status?.created === true;
  return halting || shown === 'Stopping' || shown === 'Terminating';
};

const shuttingDown = (input: PowerInput): BackendError =>
  new BackendError(
    'inTransition',
    `${input.ref.namespace}/${input.ref.name} is shutting down; power it on once it is Off`,
  );

const put = async (
  input: PowerInput,
  kind: 'virtualmachines' | 'virtualmachineinstances',
  verb: string,
  body: unknown,
) => {
  input.signal?.throwIfAborted();
  await input.clients.request('PUT', subresource(input.ref, kind, verb), body);
};

/**
 * A pending one-time boot must survive the installer rebooting itself. With rebootPolicy
 * Terminate that reboot ends the VMI; only under Always does KubeVirt then build a new one (from
 * the one-time order). So such a start sets Always, which starts the VM by itself (one call); the
 * restore after the one-time boot puts Manual back.
 */
export const onceNeedsAlways = (vm: VirtualMachine, rebootPolicyTerminate: boolean): boolean => {
  const record = readBootRecord(vm);
  return rebootPolicyTerminate && record.enabled === 'Once' && record.once !== undefined;
};

const start = async (input: PowerInput): Promise<void> => {
  // Refused before any write: not even the runStrategy is changed for a start that cannot be.
  if (input.powerState === 'PoweringOff' || stopUnderway(input.vm)) throw shuttingDown(input);
  if (onceNeedsAlways(input.vm, input.rebootPolicyTerminate)) {
    await patchVm(
      input.clients,
      input.ref,
      input.vm,
      (vm) =>
        vm.spec.runStrategy === 'Always'
          ? undefined
          : { spec: { runStrategy: 'Always', running: null } },
      input.signal,
      input.pinned,
    );
    return;
  }
  await ensureManual(input);
  try {
    await put(input, 'virtualmachines', 'start', {});
  } catch (error) {
    // Our cache may lag a start another client (or replica) just made: already running is success.
    if (statusCode(error) === 409) {
      const fresh = await getVmFresh(input.clients, input.ref);
      if (stopUnderway(fresh)) throw shuttingDown(input);
      if (fresh.status?.created || fresh.status?.printableStatus === 'Starting') return;
    }
    throw error;
  }
};

/** On for a VM the cache shows up: true unless a stop was asked for since (a GracefulShutdown
 *  a moment ago that the watch has not delivered yet); that one read is the price of not
 *  answering success for a VM about to be Off. A stop already over by then is an Off VM, which
 *  On starts. */
const confirmUp = async (input: PowerInput): Promise<void> => {
  if (stopUnderway(input.vm)) throw shuttingDown(input);
  input.signal?.throwIfAborted();
  const fresh = await getVmFresh(input.clients, input.ref);
  if (stopUnderway(fresh)) throw shuttingDown(input);
  const shown = fresh.status?.printableStatus ?? 'Stopped';
  if (shown === 'Stopped' || shown === 'Halted')
    await start({ ...input, vm: fresh, vmi: undefined, powerState: 'Off' });
};

const stop = (input: PowerInput, force: boolean) =>
  put(input, 'virtualmachines', 'stop', force ? { gracePeriod: 0 } : {});

const isUp = (state: PowerState) => state === 'On' || state === 'PoweringOn' || state === 'Paused';

const notRunning = (input: PowerInput, action: PowerAction) =>
  new BackendError(
    'conflict',
    `${action} needs a running VM; ${input.ref.namespace}/${input.ref.name} is ${input.powerState}`,
  );

const perform = async (input: PowerInput, action: PowerAction): Promise<void> => {
  const state = input.powerState;
  switch (action) {
    case 'On':
      return isUp(state) ? confirmUp(input) : start(input);
    case 'ForceOff':
      // Also forces a VM that is already shutting down gracefully.
      return state === 'Off' ? undefined : stop(input, true);
    case 'GracefulShutdown':
      return state === 'Off' || state === 'PoweringOff' ? undefined : stop(input, false);
    case 'ForceRestart':
      // A hardware reset of a powered-off server powers it on; a new VMI applies boot changes.
      return isUp(state)
        ? put(input, 'virtualmachines', 'restart', { gracePeriodSeconds: 0 })
        : start(input);
    case 'GracefulRestart':
      if (!isUp(state)) return start(input);
      return bootChangePending(input.vm, input.vmi)
        ? put(input, 'virtualmachines', 'restart', {})
        : put(input, 'virtualmachineinstances', 'softreboot', {});
    case 'PushPowerButton':
      return isUp(state) ? stop(input, false) : state === 'Off' ? start(input) : undefined;
    case 'Pause':
      if (state === 'Paused') return;
      if (state !== 'On') throw notRunning(input, action);
      return put(input, 'virtualmachineinstances', 'pause', {});
    case 'Resume':
      if (state === 'On') return;
      if (state !== 'Paused') throw notRunning(input, action);
      return put(input, 'virtualmachineinstances', 'unpause', {});
    case 'Nmi':
      throw new BackendError('unsupported', 'KubeVirt has no NMI injection');
  }
};

export const performPowerAction = async (input: PowerInput, action: PowerAction): Promise<void> => {
  try {
    if (input.pinned) await requireUnchanged(input.clients, input.ref, input.vm);
    await perform(input, action);
  } catch (error) {
    throw toBackendError(
      error,
      `${action} on VirtualMachine ${input.ref.namespace}/${input.ref.name}`,
    );
  }
};
