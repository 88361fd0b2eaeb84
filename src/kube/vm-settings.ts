// Small VM settings a BMC exposes that are not boot order: the identify LED (an annotation, since a
// VM has no lamp) and secure boot (the EFI flag, with the SMM KubeVirt requires for it). Both are
// conflict-safe merge patches; KubeVirt applies firmware changes when the next VMI starts.
import { BackendError } from '../backend/errors.ts';
import type { IndicatorLed, VmRef } from '../backend/port.ts';
import type { KubeClients } from './client.ts';
import { patchVm } from './vm-patch.ts';
import { Annotations, type VirtualMachine } from './types.ts';

export interface SettingsInput {
  readonly clients: KubeClients;
  readonly ref: VmRef;
  readonly vm: VirtualMachine | undefined;
  readonly signal?: AbortSignal;
  /** The change is pinned to `vm`'s version (If-Match): a conflict answers 412. */
  readonly pinned?: boolean;
}

/** Off is the absence of the annotation, so a VM nobody marked carries nothing of ours. */
export const setIndicatorLed = (input: SettingsInput, led: IndicatorLed): Promise<VirtualMachine> =>
  patchVm(
    input.clients,
    input.ref,
    input.vm,
    (vm) => {
      const wanted = led === 'Off' ? null : led;
      if ((vm.metadata.annotations?.[Annotations.indicatorLed] ?? null) === wanted)
        return undefined;
      return { metadata: { annotations: { [Annotations.indicatorLed]: wanted } } };
    },
    input.signal,
    input.pinned,
  );

/** The merge patch that makes the VM secure-boot (or not) from its next start; undefined when it
 *  already does. KubeVirt rejects secureBoot without SMM (fidelity doc §3), so enabling turns SMM
 *  on; disabling leaves SMM alone (it may serve other purposes). */
export const secureBootPatch = (
  vm: VirtualMachine,
  enabled: boolean,
): Record<string, unknown> | undefined => {
  const domain = vm.spec.template?.spec?.domain;
  const efi = domain?.firmware?.bootloader?.efi;
  if (!efi) {
    if (!enabled) return undefined;
    throw new BackendError('conflict', 'secure boot needs UEFI: set the boot mode to UEFI first');
  }
  // KubeVirt defaults an absent secureBoot to true.
  const current = efi.secureBoot ?? true;
  const smm = domain?.features?.smm?.enabled ?? false;
  if (current === enabled && (!enabled || smm)) return undefined;
  return {
    spec: {
      template: {
        spec: {
          domain: {
            firmware: { bootloader: { efi: { secureBoot: enabled } } },
            ...(enabled && !smm ? { features: { smm: { enabled: true } } } : {}),
          },
        },
      },
    },
  };
};

export const setSecureBoot = (input: SettingsInput, enabled: boolean): Promise<VirtualMachine> =>
  patchVm(
    input.clients,
    input.ref,
    input.vm,
    (vm) => secureBootPatch(vm, enabled),
    input.signal,
    input.pinned,
  );
