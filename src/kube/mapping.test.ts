// Unit tests: VM/VMI/DV/PVC objects → VmSnapshot (power, health, identity, inventory, boot).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { legacyFirmwareUuid, toVmSnapshot, type MappingInput } from './mapping.ts';
import { parseQuantity } from './quantity.ts';
import type {
  DataVolume,
  PersistentVolumeClaim,
  VirtualMachine,
  VirtualMachineInstance,
} from './types.ts';

const baseVm = (
  overrides: Partial<VirtualMachine['spec']> = {},
  status?: VirtualMachine['status'],
): VirtualMachine => ({
  metadata: {
    name: 'web',
    namespace: 'demo-a',
    resourceVersion: '10',
    creationTimestamp: '2026-01-01T00:00:00Z',
  },
  spec: {
    runStrategy: 'Manual',
    template: {
      spec: {
        domain: {
          cpu: { sockets: 2, cores: 4, threads: 1 },
          memory: { guest: '4Gi' },
          firmware: { uuid: '11111111-2222-3333-4444-555555555555', serial: 'SN1' },
          devices: {
            disks: [
              { name: 'cloudinit', disk: { bus: 'virtio' } },
              { name: 'root', disk: { bus: 'virtio' } },
            ],
            interfaces: [{ name: 'default', macAddress: '02-AA-BB-CC-DD-EE', model: 'virtio' }],
          },
        },
        volumes: [
          { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config' } },
          { name: 'root', persistentVolumeClaim: { claimName: 'web-root' } },
        ],
      },
    },
    ...overrides,
  },
  ...(status ? { status } : {}),
});

const vmiWith = (
  phase: string,
  extra: Partial<VirtualMachineInstance> = {},
): VirtualMachineInstance => ({
  metadata: { name: 'web', namespace: 'demo-a', uid: 'vmi-1', resourceVersion: '20' },
  status: { phase },
  ...extra,
});

const input = (vm: VirtualMachine, extra: Partial<MappingInput> = {}): MappingInput => ({
  vm,
  vmi: undefined,
  dataVolume: () => undefined,
  pvc: () => undefined,
  emptyCdrom: true,
  ...extra,
});

void test('power state follows printableStatus and the VMI phase', () => {
  const cases: [string, string | undefined, string, string][] = [
    ['Running', 'Running', 'On', 'OK'],
    ['Running', 'Scheduled', 'PoweringOn', 'OK'],
    ['Starting', 'Scheduling', 'PoweringOn', 'OK'],
    ['Stopping', 'Running', 'PoweringOff', 'OK'],
    ['Terminating', 'Running', 'PoweringOff', 'OK'],
    ['Paused', 'Running', 'Paused', 'OK'],
    ['Stopped', undefined, 'Off', 'OK'],
    ['Stopped', 'Succeeded', 'Off', 'OK'],
    ['Halted', undefined, 'Off', 'OK'],
  ];
  for (const [printable, phase, power, health] of cases) {
    const snap = toVmSnapshot(
      input(baseVm({}, { printableStatus: printable }), {
        vmi: phase ? vmiWith(phase) : undefined,
      }),
    );
    assert.equal(snap.powerState, power, `${printable}/${phase}`);
    assert.equal(snap.health, health, `${printable}/${phase}`);
    assert.equal(snap.platformStatus, printable);
  }
});

void test('provisioning is a power-on only when the VM is meant to run', () => {
  const halted = toVmSnapshot(
    input(baseVm({ runStrategy: 'Halted' }, { printableStatus: 'Provisioning' })),
  );
  assert.equal(halted.powerState, 'Off');
  const starting = toVmSnapshot(
    input(baseVm({ runStrategy: 'Always' }, { printableStatus: 'Provisioning' })),
  );
  assert.equal(starting.powerState, 'PoweringOn');
  const waiting = toVmSnapshot(
    input(
      baseVm(
        {},
        {
          printableStatus: 'WaitingForVolumeBinding',
          stateChangeRequests: [{ action: 'Start' }],
        },
      ),
    ),
  );
  assert.equal(waiting.powerState, 'PoweringOn');
});

void test('a DataVolume error is a critical failed power-on with the importer message', () => {
  const vm = baseVm({ runStrategy: 'Always' }, { printableStatus: 'DataVolumeError' });
  vm.spec.template!.spec!.volumes!.push({ name: 'iso', dataVolume: { name: 'web-iso' } });
  const dv: DataVolume = {
    metadata: { name: 'web-iso', resourceVersion: '5' },
    status: {
      phase: 'ImportInProgress',
      conditions: [
        {
          type: 'Running',
          status: 'False',
          reason: 'Error',
          message:
            'Unable to connect to http data source: expected status code 200, got 404. Status: 404 Not Found',
        },
      ],
    },
  };
  const snap = toVmSnapshot(input(vm, { dataVolume: (n) => (n === 'web-iso' ? dv : undefined) }));
  assert.equal(snap.powerState, 'PoweringOn');
  assert.equal(snap.health, 'Critical');
  assert.match(snap.healthMessage ?? '', /^DataVolumeError: Unable to connect.*404/);
  const off = toVmSnapshot(
    input({ ...vm, spec: { ...vm.spec, runStrategy: 'Manual' } }, { dataVolume: () => dv }),
  );
  assert.equal(off.powerState, 'Off');
  assert.equal(off.health, 'Critical');
});

void test('unschedulable and unknown states report health', () => {
  const vm = baseVm({ runStrategy: 'Manual' }, { printableStatus: 'ErrorUnschedulable' });
  const vmi = vmiWith('Scheduling', {
    status: {
      phase: 'Scheduling',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/3 nodes are available',
        },
      ],
    },
  });
  const snap = toVmSnapshot(input(vm, { vmi }));
  assert.equal(snap.powerState, 'PoweringOn');
  assert.equal(snap.healthMessage, 'ErrorUnschedulable: 0/3 nodes are available');
  const unknown = toVmSnapshot(
    input(baseVm({}, { printableStatus: 'Unknown' }), { vmi: vmiWith('Running') }),
  );
  assert.equal(unknown.powerState, 'On');
  assert.equal(unknown.health, 'Warning');
});

void test('identity: firmware uuid, else the name-derived legacy UUIDv5', () => {
  assert.equal(toVmSnapshot(input(baseVm())).uuid, '11111111-2222-3333-4444-555555555555');
  assert.equal(toVmSnapshot(input(baseVm())).serialNumber, 'SN1');
  const vm = baseVm();
  delete vm.spec.template!.spec!.domain!.firmware!.uuid;
  const uuid = toVmSnapshot(input(vm)).uuid;
  assert.equal(uuid, legacyFirmwareUuid('web'));
  assert.match(uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(legacyFirmwareUuid('web'), legacyFirmwareUuid('db'));
});

void test('legacy UUID matches an independent UUIDv5 implementation', () => {
  // Python: uuid.uuid5(uuid.UUID('6a1a24a1-4061-4607-8bf4-a3963d0c5895'), 'vm-a')
  assert.equal(legacyFirmwareUuid('vm-a'), '6c3b1910-1b4d-5700-af18-3d001adabd73');
});

void test('inventory: cpu, memory, nics, disks with claim sizes, secure boot', () => {
  const vm = baseVm();
  const pvc: PersistentVolumeClaim = {
    metadata: { name: 'web-root', resourceVersion: '7' },
    status: { phase: 'Bound', capacity: { storage: '20Gi' } },
  };
  const snap = toVmSnapshot(input(vm, { pvc: (n) => (n === 'web-root' ? pvc : undefined) }));
  assert.deepEqual(snap.cpu, { sockets: 2, cores: 4, threads: 1 });
  assert.equal(snap.memoryBytes, 4 * 2 ** 30);
  assert.deepEqual(snap.nics, [
    { name: 'default', mac: '02:aa:bb:cc:dd:ee', model: 'virtio', bootable: true },
  ]);
  assert.deepEqual(snap.disks, [
    { name: 'cloudinit', kind: 'disk', bus: 'virtio', virtualMedia: false },
    { name: 'root', kind: 'disk', bus: 'virtio', sizeBytes: 20 * 2 ** 30, virtualMedia: false },
  ]);
  assert.equal(snap.secureBoot, false);
  assert.equal(snap.boot.mode, 'Legacy');
});

void test('inventory falls back to requests and the running VMI, never invents', () => {
  const vm = baseVm();
  const domain = vm.spec.template!.spec!.domain!;
  delete domain.cpu;
  delete domain.memory;
  delete domain.devices!.interfaces![0]!.macAddress;
  const bare = toVmSnapshot(input(vm));
  assert.equal(bare.cpu, undefined);
  assert.equal(bare.memoryBytes, undefined);
  assert.equal(bare.nics[0]?.mac, undefined);
  domain.resources = { requests: { memory: '1536Mi', cpu: '1500m' } };
  const vmi = vmiWith('Running', {
    status: {
      phase: 'Running',
      interfaces: [{ name: 'default', mac: '02:00:00:00:00:01' }],
      currentCPUTopology: { sockets: 3, cores: 1, threads: 1 },
    },
  });
  const running = toVmSnapshot(input(vm, { vmi }));
  assert.equal(running.memoryBytes, 1536 * 2 ** 20);
  assert.deepEqual(running.cpu, { sockets: 3, cores: 1, threads: 1 });
  assert.equal(running.nics[0]?.mac, '02:00:00:00:00:01');
  assert.deepEqual(toVmSnapshot(input(vm)).cpu, { sockets: 2, cores: 1, threads: 1 });
});

void test('EFI reads as UEFI with secure boot on by default', () => {
  const vm = baseVm();
  vm.spec.template!.spec!.domain!.firmware!.bootloader = { efi: {} };
  assert.equal(toVmSnapshot(input(vm)).boot.mode, 'UEFI');
  assert.equal(toVmSnapshot(input(vm)).secureBoot, true);
  vm.spec.template!.spec!.domain!.firmware!.bootloader = { efi: { secureBoot: false } };
  assert.equal(toVmSnapshot(input(vm)).secureBoot, false);
});

void test('boot targets come from real devices', () => {
  assert.deepEqual(toVmSnapshot(input(baseVm())).bootTargets, ['None', 'Pxe', 'Cd', 'Hdd']);
  assert.deepEqual(toVmSnapshot(input(baseVm(), { emptyCdrom: false })).bootTargets, [
    'None',
    'Pxe',
    'Hdd',
  ]);
  const noRoot = baseVm();
  noRoot.spec.template!.spec!.domain!.devices = { disks: [{ name: 'cloudinit' }], interfaces: [] };
  assert.deepEqual(toVmSnapshot(input(noRoot)).bootTargets, ['None', 'Cd']);
});

void test('version changes when any source object changes, not otherwise', () => {
  const vm = baseVm();
  const pvc = (rv: string): PersistentVolumeClaim => ({
    metadata: { name: 'web-root', resourceVersion: rv },
  });
  const a = toVmSnapshot(input(vm, { pvc: () => pvc('1') })).version;
  assert.equal(toVmSnapshot(input(vm, { pvc: () => pvc('1') })).version, a);
  assert.notEqual(toVmSnapshot(input(vm, { pvc: () => pvc('2') })).version, a);
  assert.notEqual(
    toVmSnapshot(input(vm, { pvc: () => pvc('1'), vmi: vmiWith('Running') })).version,
    a,
  );
  const vm2 = { ...vm, metadata: { ...vm.metadata, resourceVersion: '11' } };
  assert.notEqual(toVmSnapshot(input(vm2, { pvc: () => pvc('1') })).version, a);
});

void test('the mapping never mutates its inputs', () => {
  const vm = baseVm({}, { printableStatus: 'Running' });
  const frozen = JSON.stringify(vm);
  toVmSnapshot(input(vm, { vmi: vmiWith('Running') }));
  assert.equal(JSON.stringify(vm), frozen);
});

void test('quantities: binary, decimal, fractional, milli; garbage is undefined', () => {
  assert.equal(parseQuantity('1Gi'), 2 ** 30);
  assert.equal(parseQuantity('4G'), 4e9);
  assert.equal(parseQuantity('2.5Gi'), 2.5 * 2 ** 30);
  assert.equal(parseQuantity('500m'), 0.5);
  assert.equal(parseQuantity('1e3'), 1000);
  assert.equal(parseQuantity('12'), 12);
  assert.equal(parseQuantity('lots'), undefined);
  assert.equal(parseQuantity('1Zi'), undefined);
});
