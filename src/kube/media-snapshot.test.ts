// Unit tests: the virtual-media slot derived from VM, VMI and DataVolume objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageNameOf, parseProgress, toMediaSnapshot, withMediaHealth } from './media-snapshot.ts';
import type {
  DataVolume,
  VirtualMachine,
  VirtualMachineInstance,
  Volume,
  VolumeStatus,
} from './types.ts';

const vm = (volume?: Volume, withDisk = true): VirtualMachine => ({
  metadata: { name: 'web', namespace: 'demo-a', uid: 'uid-1', resourceVersion: '1' },
  spec: {
    template: {
      spec: {
        domain: {
          devices: { disks: withDisk ? [{ name: 'redfish-cd', cdrom: { bus: 'sata' } }] : [] },
        },
        volumes: volume ? [volume] : [],
      },
    },
  },
});

const dv = (status: DataVolume['status'], url = 'https://h/isos/boot%20x.iso'): DataVolume => ({
  metadata: {
    name: 'dv1',
    uid: 'aaaa-bbbb',
    creationTimestamp: '2026-01-01T00:00:00Z',
    annotations: {
      'kubevirt-redfish.io/media-image': url,
      'kubevirt-redfish.io/media-inserted-at': '2026-01-01T00:00:01Z',
    },
  },
  spec: { source: { http: { url } } },
  ...(status ? { status } : {}),
});

const lookup = (found?: DataVolume) => (name: string) =>
  name === found?.metadata.name ? found : undefined;
const plain: Volume = { name: 'redfish-cd', dataVolume: { name: 'dv1' } };
const hot: Volume = { name: 'redfish-cd', dataVolume: { name: 'dv1', hotpluggable: true } };

const running = (spec: object, volumeStatus?: VolumeStatus[]): VirtualMachineInstance => ({
  metadata: { name: 'web' },
  spec,
  status: { phase: 'Running', ...(volumeStatus ? { volumeStatus } : {}) },
});

void test('no volume on the CD-ROM is an empty slot', () => {
  assert.deepEqual(toMediaSnapshot(vm(), undefined, lookup()), {
    state: 'Empty',
    inserted: false,
    writeProtected: true,
    pendingRestart: false,
  });
});

void test('a DataVolume not yet in the cache reads as importing, not failed', () => {
  const media = toMediaSnapshot(vm(plain), undefined, lookup());
  assert.equal(media.state, 'Importing');
  assert.equal(media.inserted, false);
});

void test('importing reports CDI progress and is never inserted', () => {
  const media = toMediaSnapshot(
    vm(plain),
    undefined,
    lookup(dv({ phase: 'ImportInProgress', progress: '45.67%', restartCount: 0 })),
  );
  assert.equal(media.state, 'Importing');
  assert.equal(media.percentComplete, 45.67);
  assert.equal(media.inserted, false);
  assert.equal(media.image, 'https://h/isos/boot%20x.iso');
  assert.equal(media.imageName, 'boot x.iso');
  assert.equal(media.transferProtocol, 'HTTPS');
  assert.equal(media.taskId, 'aaaabbbb');
  assert.equal(media.insertedAt, '2026-01-01T00:00:01Z');
  assert.equal(
    toMediaSnapshot(vm(plain), undefined, lookup(dv({ phase: 'Pending', progress: 'N/A' })))
      .percentComplete,
    undefined,
  );
});

void test('a succeeded import on a stopped VM is inserted and ready', () => {
  const media = toMediaSnapshot(
    vm(plain),
    undefined,
    lookup(
      dv({
        phase: 'Succeeded',
        progress: '100.0%',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:05:00Z' }],
      }),
    ),
  );
  assert.equal(media.state, 'Ready');
  assert.equal(media.inserted, true);
  assert.equal(media.percentComplete, 100);
  assert.equal(media.finishedAt, '2026-01-01T00:05:00Z');
  assert.equal(media.pendingRestart, false);
});

void test("an importer that restarted after an Error is a failure with CDI's message (a 404 URL)", () => {
  const message =
    'Unable to connect to http data source: expected status code 200, got 404. Status: 404 Not Found';
  const failing = dv({
    phase: 'ImportInProgress',
    progress: 'N/A',
    restartCount: 1,
    conditions: [{ type: 'Running', status: 'False', reason: 'Error', message }],
  });
  const media = toMediaSnapshot(vm(plain), undefined, lookup(failing));
  assert.equal(media.state, 'Failed');
  assert.equal(media.inserted, false);
  assert.equal(media.message, message);
  const ok = { powerState: 'Off', health: 'OK' } as const;
  assert.deepEqual(withMediaHealth(ok, media), {
    powerState: 'Off',
    health: 'Critical',
    healthMessage: `virtual media import failed: ${message}`,
  });
  const critical = { health: 'Critical', healthMessage: 'DataVolumeError: x' } as const;
  assert.equal(withMediaHealth(critical, media), critical);
  // The first Error before any restart is not yet a verdict.
  const first = dv({
    phase: 'ImportInProgress',
    restartCount: 0,
    conditions: [{ type: 'Running', status: 'False', reason: 'Error' }],
  });
  assert.equal(toMediaSnapshot(vm(plain), undefined, lookup(first)).state, 'Importing');
  assert.equal(
    toMediaSnapshot(vm(plain), undefined, lookup(dv({ phase: 'Failed' }))).state,
    'Failed',
  );
  assert.equal(withMediaHealth(ok, toMediaSnapshot(vm(plain), undefined, lookup(first))), ok);
});

void test('a running VM without hotplug gets the media at its next start', () => {
  const media = toMediaSnapshot(
    vm(plain),
    running({ volumes: [] }),
    lookup(dv({ phase: 'Succeeded' })),
  );
  assert.equal(media.state, 'Ready');
  assert.equal(media.pendingRestart, true);
  assert.match(media.message ?? '', /next start/);
});

void test('a running VM that booted with the volume sees it', () => {
  const media = toMediaSnapshot(
    vm(plain),
    running({ volumes: [plain] }),
    lookup(dv({ phase: 'Succeeded' })),
  );
  assert.equal(media.state, 'Ready');
  assert.equal(media.inserted, true);
  assert.equal(media.pendingRestart, false);
});

void test('declarative hotplug: attaching until the VMI volume is Ready', () => {
  const disks = {
    domain: { devices: { disks: [{ name: 'redfish-cd', cdrom: { bus: 'sata' } }] } },
  };
  const succeeded = lookup(dv({ phase: 'Succeeded' }));
  const before = toMediaSnapshot(vm(hot), running({ ...disks, volumes: [] }), succeeded);
  assert.equal(before.state, 'Importing');
  assert.equal(before.inserted, false);
  assert.equal(before.percentComplete, 100);
  const mounting = toMediaSnapshot(
    vm(hot),
    running({ ...disks, volumes: [hot] }, [{ name: 'redfish-cd', phase: 'MountedToPod' }]),
    succeeded,
  );
  assert.equal(mounting.inserted, false);
  const ready = toMediaSnapshot(
    vm(hot),
    running({ ...disks, volumes: [hot] }, [{ name: 'redfish-cd', phase: 'Ready' }]),
    succeeded,
  );
  assert.equal(ready.state, 'Ready');
  assert.equal(ready.inserted, true);
  // A VMI that booted without the drive cannot take a hot-plugged CD-ROM.
  const noDrive = toMediaSnapshot(vm(hot), running({ volumes: [] }), succeeded);
  assert.equal(noDrive.pendingRestart, true);
});

void test('progress and image names parse CDI and URL forms', () => {
  assert.equal(parseProgress('37.50%'), 37.5);
  assert.equal(parseProgress('100.0%'), 100);
  assert.equal(parseProgress('N/A'), undefined);
  assert.equal(parseProgress(undefined), undefined);
  assert.equal(imageNameOf('http://h/a/b/c.iso?x=1'), 'c.iso');
  assert.equal(imageNameOf('http://h/'), undefined);
});

void test('an importer CDI restarted stays failed while CDI reports it running again', () => {
  const retrying = dv({
    phase: 'ImportInProgress',
    restartCount: 2,
    conditions: [{ type: 'Running', status: 'True', reason: 'Pod is running' }],
  });
  const media = toMediaSnapshot(vm(plain), undefined, lookup(retrying));
  assert.equal(media.state, 'Failed');
  assert.equal(media.message, 'the importer failed and CDI restarted it 2 times');
  const recovered = dv({ phase: 'Succeeded', restartCount: 2, conditions: [] });
  assert.equal(toMediaSnapshot(vm(plain), undefined, lookup(recovered)).state, 'Ready');
});

void test('at the timeout, a DataVolume waiting for a terminating claim names it as CDI does', () => {
  const waiting = dv(undefined);
  const deadline = { now: Date.parse('2026-01-01T00:10:00Z'), timeoutMs: 60_000 };
  const claim = (name: string) =>
    name === 'dv1'
      ? { metadata: { name, deletionTimestamp: '2026-01-01T00:00:00Z' }, spec: {} }
      : undefined;
  const media = toMediaSnapshot(vm(plain), undefined, lookup(waiting), deadline, claim);
  assert.equal(
    media.message,
    'the import did not finish within 60 s (DataVolume phase unknown): Resource "dv1" marked for deletion',
  );
});

void test('a failure record on a VM without media reads as a failed slot', () => {
  const record = {
    taskId: 'aaaabbbb',
    image: 'https://h/isos/a.iso',
    insertedAt: '2026-01-01T00:00:01Z',
    finishedAt: '2026-01-01T00:30:01Z',
    message: 'the import did not finish within 1800 s',
    writeProtected: true,
  };
  const failed = vm();
  failed.metadata.annotations = { 'kubevirt-redfish.io/media-failure': JSON.stringify(record) };
  assert.deepEqual(toMediaSnapshot(failed, undefined, lookup()), {
    state: 'Failed',
    inserted: false,
    writeProtected: true,
    pendingRestart: false,
    taskId: 'aaaabbbb',
    message: record.message,
    finishedAt: record.finishedAt,
    image: record.image,
    imageName: 'a.iso',
    transferProtocol: 'HTTPS',
    insertedAt: record.insertedAt,
  });
  failed.metadata.annotations = { 'kubevirt-redfish.io/media-failure': '{"taskId": 1}' };
  assert.equal(toMediaSnapshot(failed, undefined, lookup()).state, 'Empty', 'not a record');
});

void test('imported media a running VM has not attached within vm_update_timeout is failed', () => {
  const imported = dv({
    phase: 'Succeeded',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:01:00Z' }],
  });
  const vmi = running({ domain: { devices: { disks: [{ name: 'redfish-cd', cdrom: {} }] } } }, [
    { name: 'redfish-cd', phase: 'Bound' },
  ]);
  const at = (iso: string) => ({
    now: Date.parse(iso),
    timeoutMs: 3_600_000,
    attachTimeoutMs: 120_000,
  });
  const before = toMediaSnapshot(vm(hot), vmi, lookup(imported), at('2026-01-01T00:02:59Z'));
  assert.equal(before.state, 'Importing');
  const afterwards = toMediaSnapshot(vm(hot), vmi, lookup(imported), at('2026-01-01T00:03:01Z'));
  assert.equal(afterwards.state, 'Failed');
  assert.equal(
    afterwards.message,
    'the running VM did not take the media in within 120 s (hotplug volume phase Bound)',
  );
  assert.equal(afterwards.finishedAt, '2026-01-01T00:03:00.999Z');
});
