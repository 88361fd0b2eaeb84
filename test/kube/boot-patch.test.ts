// Boot override patches built from literal VMs, applied with the simulator's RFC 7386 merge so the
// result is the VM the API server would store: every target × enabled × mode combination.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildBootPatch, buildOnceRestorePatch } from '../../src/kube/boot.ts';
import { currentOrder, readBootRecord } from '../../src/kube/boot-record.ts';
import { bootSettingsOf } from '../../src/kube/mapping.ts';
import { mergePatch } from '../../src/sim/api-server/patch.ts';
import type { BackendCapabilities } from '../../src/backend/port.ts';
import type { VirtualMachine, VirtualMachineInstance } from '../../src/kube/types.ts';

const caps: BackendCapabilities = { nmi: false, cdromHotplug: true, rebootPolicyTerminate: true };

const makeVm = (): VirtualMachine => ({
  metadata: { name: 'web', namespace: 'demo-a', resourceVersion: '1' },
  spec: {
    runStrategy: 'Manual',
    template: {
      spec: {
        domain: {
          devices: {
            disks: [
              { name: 'cloudinit', disk: { bus: 'virtio' } },
              // A plain PVC root disk: must keep booting whatever the override (upstream defect).
              { name: 'root', disk: { bus: 'virtio' }, bootOrder: 1 },
              { name: 'data', disk: { bus: 'virtio' } },
            ],
            interfaces: [{ name: 'default' }, { name: 'second' }],
          },
        },
        volumes: [
          { name: 'cloudinit', cloudInitNoCloud: {} },
          { name: 'root', persistentVolumeClaim: { claimName: 'web-root' } },
          { name: 'data', dataVolume: { name: 'web-data' } },
        ],
      },
    },
  },
});

const running: VirtualMachineInstance = {
  metadata: { name: 'web', uid: 'vmi-1' },
  status: { phase: 'Running' },
};

const apply = (vm: VirtualMachine, patch: Record<string, unknown> | undefined): VirtualMachine =>
  patch ? (mergePatch(structuredClone(vm), patch) as VirtualMachine) : vm;

void test('Pxe puts the first interface first and keeps the user order after it', () => {
  const vm = apply(
    makeVm(),
    buildBootPatch(makeVm(), undefined, { target: 'Pxe', enabled: 'Continuous' }, caps),
  );
  assert.deepEqual(currentOrder(vm), { disks: { root: 2 }, interfaces: { default: 1 } });
  assert.deepEqual(bootSettingsOf(vm), { target: 'Pxe', enabled: 'Continuous', mode: 'Legacy' });
});

void test('Hdd boots the root disk classified by volume type, not by name', () => {
  const vm = makeVm();
  for (const disk of vm.spec.template!.spec!.domain!.devices!.disks!) delete disk.bootOrder;
  const after = apply(
    vm,
    buildBootPatch(vm, undefined, { target: 'Hdd', enabled: 'Continuous' }, caps),
  );
  assert.deepEqual(currentOrder(after), { disks: { root: 1 }, interfaces: {} });
});

void test('Cd adds the empty SATA virtual-media CD-ROM and puts it first', () => {
  const vm = apply(
    makeVm(),
    buildBootPatch(makeVm(), undefined, { target: 'Cd', enabled: 'Continuous' }, caps),
  );
  const cd = vm.spec.template!.spec!.domain!.devices!.disks!.find((d) => d.name === 'redfish-cd');
  assert.deepEqual(cd, { name: 'redfish-cd', cdrom: { bus: 'sata' }, bootOrder: 1 });
  assert.deepEqual(currentOrder(vm), { disks: { 'redfish-cd': 1, root: 2 }, interfaces: {} });
  // No volume is invented for the empty drive.
  assert.equal(
    vm.spec.template!.spec!.volumes!.some((v) => v.name === 'redfish-cd'),
    false,
  );
});

void test('Cd without declarative hotplug is unsupported rather than an invalid VM', () => {
  assert.throws(
    () =>
      buildBootPatch(
        makeVm(),
        undefined,
        { target: 'Cd', enabled: 'Once' },
        { ...caps, cdromHotplug: false },
      ),
    (e: unknown) => (e as { kind?: string }).kind === 'unsupported',
  );
});

void test('None and Disabled restore the user order exactly', () => {
  for (const target of ['Pxe', 'Cd', 'Hdd'] as const) {
    const set = apply(
      makeVm(),
      buildBootPatch(makeVm(), undefined, { target, enabled: 'Continuous' }, caps),
    );
    for (const change of [{ target: 'None' as const }, { enabled: 'Disabled' as const }]) {
      const back = apply(set, buildBootPatch(set, undefined, change, caps));
      assert.deepEqual(
        currentOrder(back),
        currentOrder(makeVm()),
        `${target} → ${JSON.stringify(change)}`,
      );
      assert.deepEqual(bootSettingsOf(back), {
        target: 'None',
        enabled: 'Disabled',
        mode: 'Legacy',
      });
      assert.equal(back.metadata.annotations?.['kubevirt-redfish.io/boot'], undefined);
    }
  }
});

void test('switching targets keeps the original order to restore', () => {
  let vm = apply(
    makeVm(),
    buildBootPatch(makeVm(), undefined, { target: 'Pxe', enabled: 'Continuous' }, caps),
  );
  vm = apply(vm, buildBootPatch(vm, undefined, { target: 'Cd' }, caps));
  assert.deepEqual(bootSettingsOf(vm), { target: 'Cd', enabled: 'Continuous', mode: 'Legacy' });
  assert.deepEqual(currentOrder(vm), { disks: { 'redfish-cd': 1, root: 2 }, interfaces: {} });
  vm = apply(vm, buildBootPatch(vm, undefined, { enabled: 'Disabled' }, caps));
  assert.deepEqual(currentOrder(vm).disks, { root: 1 });
});

void test('a target alone on a VM without override means Once', () => {
  const vm = apply(makeVm(), buildBootPatch(makeVm(), undefined, { target: 'Pxe' }, caps));
  assert.equal(bootSettingsOf(vm).enabled, 'Once');
});

void test('mode maps to firmware bootloader and reads back at once', () => {
  const uefi = apply(makeVm(), buildBootPatch(makeVm(), undefined, { mode: 'UEFI' }, caps));
  assert.deepEqual(uefi.spec.template!.spec!.domain!.firmware, {
    bootloader: { efi: { secureBoot: false } },
  });
  assert.equal(bootSettingsOf(uefi).mode, 'UEFI');
  const legacy = apply(uefi, buildBootPatch(uefi, undefined, { mode: 'Legacy' }, caps));
  assert.deepEqual(legacy.spec.template!.spec!.domain!.firmware, { bootloader: { bios: {} } });
  assert.equal(bootSettingsOf(legacy).mode, 'Legacy');
  // Asking for the mode it already has changes nothing.
  assert.equal(buildBootPatch(legacy, undefined, { mode: 'Legacy' }, caps), undefined);
});

void test('every target × enabled × mode reads back as asked', () => {
  for (const target of ['Pxe', 'Cd', 'Hdd'] as const) {
    for (const enabled of ['Once', 'Continuous'] as const) {
      for (const mode of ['UEFI', 'Legacy'] as const) {
        const vm = apply(
          makeVm(),
          buildBootPatch(makeVm(), undefined, { target, enabled, mode }, caps),
        );
        assert.deepEqual(bootSettingsOf(vm), { target, enabled, mode });
        const orders = currentOrder(vm);
        const firsts = [
          ...Object.entries(orders.disks),
          ...Object.entries(orders.interfaces),
        ].filter(([, o]) => o === 1);
        assert.equal(firsts.length, 1);
        const expected = { Pxe: 'default', Cd: 'redfish-cd', Hdd: 'root' }[target];
        assert.equal(firsts[0]?.[0], expected);
      }
    }
  }
});

void test('Once on a running VM: Terminate + Always, then order, then Manual, VMI by VMI', () => {
  const vm = apply(
    makeVm(),
    buildBootPatch(makeVm(), running, { target: 'Cd', enabled: 'Once' }, caps),
  );
  assert.equal(vm.spec.template!.spec!.domain!.rebootPolicy, 'Terminate');
  assert.equal(vm.spec.runStrategy, 'Always');
  assert.deepEqual(readBootRecord(vm).once, { vmiUid: 'vmi-1', rebootPolicy: null });
  // Same VMI: nothing to restore yet.
  assert.equal(buildOnceRestorePatch(vm, running), undefined);
  // The VMI that boots the CD: the template goes back to the disk order and its rebootPolicy,
  // but Always stays so the installer's reboot (Terminate in that VMI's spec) gets a new VMI.
  const once: VirtualMachineInstance = {
    metadata: { name: 'web', uid: 'vmi-2' },
    status: { phase: 'Scheduling' },
  };
  const restored = apply(vm, buildOnceRestorePatch(vm, once));
  assert.deepEqual(currentOrder(restored), currentOrder(makeVm()));
  assert.equal(restored.spec.template!.spec!.domain!.rebootPolicy, undefined);
  assert.equal(restored.spec.runStrategy, 'Always');
  assert.deepEqual(bootSettingsOf(restored), {
    target: 'None',
    enabled: 'Disabled',
    mode: 'Legacy',
  });
  assert.equal(buildOnceRestorePatch(restored, once), undefined);
  // The VMI built after the installer's reboot: back to Manual, nothing left recorded.
  const disk: VirtualMachineInstance = {
    metadata: { name: 'web', uid: 'vmi-3' },
    status: { phase: 'Running' },
  };
  const done = apply(restored, buildOnceRestorePatch(restored, disk));
  assert.equal(done.spec.runStrategy, 'Manual');
  assert.equal(done.metadata.annotations?.['kubevirt-redfish.io/boot'], undefined);
  assert.deepEqual(currentOrder(done), currentOrder(makeVm()));
});

void test('Once on a stopped VM does not change its run strategy (that would power it on)', () => {
  const vm = apply(
    makeVm(),
    buildBootPatch(makeVm(), undefined, { target: 'Pxe', enabled: 'Once' }, caps),
  );
  assert.equal(vm.spec.runStrategy, 'Manual');
  assert.deepEqual(readBootRecord(vm).once, { vmiUid: '', rebootPolicy: null });
});

void test('Once without rebootPolicy support still records and restores', () => {
  const noTerm = { ...caps, rebootPolicyTerminate: false };
  const vm = apply(
    makeVm(),
    buildBootPatch(makeVm(), running, { target: 'Hdd', enabled: 'Once' }, noTerm),
  );
  assert.equal(vm.spec.template!.spec!.domain!.rebootPolicy, undefined);
  assert.equal(vm.spec.runStrategy, 'Manual');
  assert.equal(bootSettingsOf(vm).enabled, 'Once');
});

void test('an unchanged request builds no patch (no API call)', () => {
  const vm = apply(
    makeVm(),
    buildBootPatch(makeVm(), undefined, { target: 'Pxe', enabled: 'Continuous' }, caps),
  );
  assert.equal(
    buildBootPatch(vm, undefined, { target: 'Pxe', enabled: 'Continuous' }, caps),
    undefined,
  );
  assert.equal(buildBootPatch(makeVm(), undefined, { enabled: 'Disabled' }, caps), undefined);
});

void test('UefiHttp and targets without a device are refused', () => {
  const vm = makeVm();
  vm.spec.template!.spec!.domain!.devices!.interfaces = [];
  assert.throws(
    () => buildBootPatch(vm, undefined, { target: 'Pxe', enabled: 'Once' }, caps),
    /no device/,
  );
  assert.throws(
    () => buildBootPatch(vm, undefined, { target: 'UefiHttp', enabled: 'Once' }, caps),
    /UEFI HTTP/,
  );
});
