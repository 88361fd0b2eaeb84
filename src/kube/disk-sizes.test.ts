// diskSizeOf: a size only from what the cluster states, per volume kind and power state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diskSizeOf, type DiskSizeSources } from './disk-sizes.ts';
import type { PersistentVolumeClaim, VirtualMachineInstance, Volume } from './types.ts';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

const claim = (name: string, capacity?: string, request?: string): PersistentVolumeClaim => ({
  metadata: { name },
  ...(request ? { spec: { resources: { requests: { storage: request } } } } : {}),
  ...(capacity ? { status: { phase: 'Bound', capacity: { storage: capacity } } } : {}),
});

const vmi = (phase: string): VirtualMachineInstance => ({
  metadata: { name: 'web' },
  status: {
    phase,
    volumeStatus: [{ name: 'cloudinit', size: MiB }, { name: 'image' }, { name: 'root', size: 0 }],
  },
});

const sources = (over: Partial<DiskSizeSources> = {}): DiskSizeSources => ({
  vmi: undefined,
  dataVolume: () => undefined,
  pvc: (name) =>
    name === 'root-pvc'
      ? claim(name, '20Gi')
      : name === 'new-pvc'
        ? claim(name, undefined, '5Gi')
        : undefined,
  ...over,
});

const root: Volume = { name: 'root', persistentVolumeClaim: { claimName: 'root-pvc' } };
const image: Volume = {
  name: 'image',
  containerDisk: { image: 'quay.io/containerdisks/fedora:41' },
};
const cloudinit: Volume = { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config' } };

void test('claims: status capacity, else the request; a missing claim has no size', () => {
  assert.equal(diskSizeOf(sources(), root), 20 * GiB);
  const pending: Volume = { name: 'data', persistentVolumeClaim: { claimName: 'new-pvc' } };
  assert.equal(diskSizeOf(sources(), pending), 5 * GiB);
  const missing: Volume = { name: 'gone', persistentVolumeClaim: { claimName: 'nope' } };
  assert.equal(diskSizeOf(sources(), missing), undefined);
});

void test('a DataVolume: its claim, else its storage request', () => {
  const dv: Volume = { name: 'dv', dataVolume: { name: 'dv1' } };
  const dataVolume = () => ({
    metadata: { name: 'dv1' },
    spec: { storage: { resources: { requests: { storage: '30Gi' } } } },
  });
  assert.equal(diskSizeOf(sources({ dataVolume }), dv), 30 * GiB);
  const pvc = () => claim('dv1', '31Gi');
  assert.equal(diskSizeOf(sources({ dataVolume, pvc }), dv), 31 * GiB);
});

void test('an emptyDisk states its capacity', () => {
  assert.equal(diskSizeOf(sources(), { name: 's', emptyDisk: { capacity: '2Gi' } }), 2 * GiB);
});

void test('ISO volumes: the size the running instance measured, none while off', () => {
  assert.equal(diskSizeOf(sources({ vmi: vmi('Running') }), cloudinit), MiB);
  assert.equal(diskSizeOf(sources(), cloudinit), undefined, 'off: no ISO exists yet');
  assert.equal(diskSizeOf(sources({ vmi: vmi('Scheduled') }), cloudinit), undefined);
  assert.equal(diskSizeOf(sources({ vmi: vmi('Succeeded') }), cloudinit), undefined);
});

void test('a containerDisk has no size, running or not; a claim never takes the measured one', () => {
  assert.equal(diskSizeOf(sources({ vmi: vmi('Running') }), image), undefined);
  assert.equal(diskSizeOf(sources(), image), undefined);
  assert.equal(diskSizeOf(sources({ vmi: vmi('Running') }), root), 20 * GiB);
  assert.equal(diskSizeOf(sources(), undefined), undefined);
});
