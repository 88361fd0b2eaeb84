// Unit tests: the secure-boot merge patch (SMM with secure boot, nothing for a no-op, BIOS refused).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendError } from '../backend/errors.ts';
import { secureBootPatch } from './vm-settings.ts';
import type { DomainSpec, VirtualMachine } from './types.ts';

const vmWith = (domain: DomainSpec): VirtualMachine => ({
  metadata: { name: 'vm', namespace: 'ns' },
  spec: { template: { spec: { domain } } },
});

test('enabling secure boot also enables SMM, as KubeVirt requires', () => {
  const patch = secureBootPatch(
    vmWith({ firmware: { bootloader: { efi: { secureBoot: false } } } }),
    true,
  );
  assert.deepEqual(patch, {
    spec: {
      template: {
        spec: {
          domain: {
            firmware: { bootloader: { efi: { secureBoot: true } } },
            features: { smm: { enabled: true } },
          },
        },
      },
    },
  });
});

test('an absent secureBoot is KubeVirt default true: enabling only adds a missing SMM', () => {
  const vm = vmWith({
    firmware: { bootloader: { efi: {} } },
    features: { smm: { enabled: true } },
  });
  assert.equal(secureBootPatch(vm, true), undefined);
  const disable = secureBootPatch(vm, false) as any;
  assert.equal(disable.spec.template.spec.domain.firmware.bootloader.efi.secureBoot, false);
  assert.equal(disable.spec.template.spec.domain.features, undefined, 'SMM is left alone');
});

test('BIOS cannot secure-boot; turning it off there is a no-op', () => {
  const bios = vmWith({ firmware: { bootloader: { bios: {} } } });
  assert.equal(secureBootPatch(bios, false), undefined);
  assert.throws(
    () => secureBootPatch(bios, true),
    (e: unknown) => e instanceof BackendError && e.kind === 'conflict',
  );
});
