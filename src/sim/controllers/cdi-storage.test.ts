// CDI against the storage it finds: no StorageClass, a StorageProfile it cannot complete a claim
// from (ErrClaimNotValid), WaitForFirstConsumer binding, an image larger than the claim, and a
// claim of the same name still terminating — phases, conditions and Events as CDI writes them.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { TypeKeys } from '../resource-types.ts';
import type { KubeObject } from '../types.ts';
import { Keys } from './kubevirt-objects.ts';
import { pvcProtectionFinalizer } from './pvc-protection.ts';
import { startTestCluster, type TestCluster } from './test-support.ts';

let cluster: TestCluster;
afterEach(() => {
  cluster.close();
  assert.deepEqual(cluster.errors, []);
});

type DvStatus = {
  phase?: string;
  restartCount?: number;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
};
const status = (): DvStatus => cluster.store.get(Keys.dv, 'ns', 'dv1')?.status ?? {};
const conditionOf = (type: string) => {
  const c = status().conditions?.find((x) => x.type === type);
  return c && [c.status, c.reason, c.message];
};
const events = () =>
  cluster.store
    .list(TypeKeys.events, 'ns')
    .items.map((e) => [e.type, e.reason, e.message, e.count, (e.source as any)?.component]);

const createDv = (
  storage: Record<string, unknown>,
  annotations?: Record<string, string>,
): KubeObject =>
  cluster.store.create(Keys.dv, {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: { name: 'dv1', namespace: 'ns', ...(annotations ? { annotations } : {}) },
    spec: {
      source: { http: { url: 'https://images.example.com/a.iso' } },
      storage: { resources: { requests: { storage: '2Gi' } }, ...storage },
    },
  });

/** A VMI (its virt-launcher pod) mounting the claim `dv1`. */
const consumer = (): KubeObject =>
  cluster.store.create(Keys.vmi, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'consumer', namespace: 'ns' },
    spec: {
      domain: { devices: { disks: [{ name: 'd', disk: { bus: 'virtio' } }] } },
      volumes: [{ name: 'd', dataVolume: { name: 'dv1' } }],
    },
  });

void test('no StorageClass: no phase, no PVC, ErrClaimNotValid; a default class later unblocks it', async () => {
  cluster = startTestCluster({ delays: 'instant', storage: 'none' });
  createDv({});
  await cluster.advance(0);
  const message = 'PVC spec is missing accessMode and no storageClass to choose profile';
  assert.equal(status().phase, undefined);
  assert.deepEqual(conditionOf('Bound'), ['False', 'ErrClaimNotValid', message]);
  assert.deepEqual(conditionOf('Ready'), ['False', undefined, undefined]);
  assert.equal(cluster.store.get(Keys.pvc, 'ns', 'dv1'), undefined);
  // CDI records it twice (while rendering, then from the reconciler); the recorder counts.
  assert.deepEqual(events(), [
    ['Warning', 'ErrClaimNotValid', message, 2, 'datavolume-import-controller'],
  ]);
  await cluster.advance(60_000);
  assert.equal(events()[0]?.[3], 2, 'no event storm while nothing changes');

  cluster.store.create(TypeKeys.storageClasses, {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name: 'late',
      annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
    },
    provisioner: 'kubevirt.io.hostpath-provisioner',
    volumeBindingMode: 'Immediate',
  });
  cluster.store.create(TypeKeys.storageProfiles, {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'StorageProfile',
    metadata: { name: 'late' },
    status: { claimPropertySets: [{ accessModes: ['ReadWriteMany'], volumeMode: 'Block' }] },
  });
  await cluster.advance(0);
  assert.equal(status().phase, 'Succeeded');
  const pvc = cluster.store.get(Keys.pvc, 'ns', 'dv1')?.spec as any;
  assert.deepEqual(
    [pvc.storageClassName, pvc.accessModes, pvc.volumeMode],
    ['late', ['ReadWriteMany'], 'Block'],
  );
});

void test('a StorageProfile without claim properties: ErrClaimNotValid with both of CDI messages', async () => {
  cluster = startTestCluster({ delays: 'instant', storage: 'incomplete-profile' });
  createDv({ storageClassName: 'fast' });
  await cluster.advance(0);
  assert.equal(status().phase, undefined);
  assert.deepEqual(conditionOf('Bound'), [
    'False',
    'ErrClaimNotValid',
    'no accessMode specified in StorageProfile fast',
  ]);
  assert.deepEqual(
    events().map((e) => e[2]),
    [
      'Spec is missing accessMode and volumeMode, cannot get access mode from StorageProfile fast',
      'no accessMode specified in StorageProfile fast',
    ],
  );
  // Access modes in the spec need no profile.
  cluster.store.delete(Keys.dv, 'ns', 'dv1');
  createDv({ storageClassName: 'fast', accessModes: ['ReadWriteOnce'] });
  await cluster.advance(0);
  assert.equal(status().phase, 'Succeeded');
});

void test('WaitForFirstConsumer: PendingPopulation until a VMI uses the claim; immediate binding does not wait', async () => {
  cluster = startTestCluster({ delays: 'instant', storage: 'wait-for-first-consumer' });
  createDv({});
  await cluster.advance(10_000);
  assert.equal(status().phase, 'PendingPopulation');
  assert.deepEqual(conditionOf('Bound'), ['False', 'Pending', 'PVC dv1 Pending']);
  assert.equal((cluster.store.get(Keys.pvc, 'ns', 'dv1')?.status as any)?.phase, 'Pending');
  consumer();
  await cluster.advance(0);
  assert.equal(status().phase, 'Succeeded');
  assert.equal(
    cluster.store.get(Keys.pvc, 'ns', 'dv1')?.metadata.annotations?.[
      'volume.kubernetes.io/selected-node'
    ],
    'sim-node-1',
  );

  cluster.store.delete(Keys.vmi, 'ns', 'consumer');
  cluster.store.delete(Keys.dv, 'ns', 'dv1');
  await cluster.advance(0);
  createDv({}, { 'cdi.kubevirt.io/storage.bind.immediate.requested': 'true' });
  await cluster.advance(0);
  assert.equal(status().phase, 'Succeeded');
});

void test('WaitForFirstConsumer without populators (the DV opts out): phase WaitForFirstConsumer', async () => {
  cluster = startTestCluster({ delays: 'instant', storage: 'wait-for-first-consumer' });
  createDv({}, { 'cdi.kubevirt.io/storage.usePopulator': 'false' });
  await cluster.advance(0);
  assert.equal(status().phase, 'WaitForFirstConsumer');
});

void test('an image larger than the claim: ImportInProgress, restarts, CDI message, Running back to True', async () => {
  cluster = startTestCluster({ delays: 'instant', imageSizeBytes: 5 * 2 ** 30 });
  createDv({});
  await cluster.advance(0);
  assert.equal(status().phase, 'ImportInProgress');
  assert.equal(status().restartCount, 1);
  assert.deepEqual(conditionOf('Running'), [
    'False',
    'Error',
    'DataVolume too small to contain image',
  ]);
  assert.deepEqual(events(), [
    [
      'Warning',
      'Error',
      'DataVolume too small to contain image',
      1,
      'datavolume-import-controller',
    ],
  ]);
  // The restarted importer runs (Running True) and fails the same way again.
  await cluster.advance(10_000);
  assert.equal(status().phase, 'ImportInProgress');
  assert.equal(status().restartCount, 2);
  assert.equal(events()[0]?.[3], 2);
});

void test('the restarted importer reports Running=True before it fails again', async () => {
  cluster = startTestCluster({
    delays: { importRetryBackoff: 1000, importDuration: 5000 },
    imageSizeBytes: 5 * 2 ** 30,
  });
  createDv({});
  await cluster.advance(3500);
  assert.equal(status().restartCount, 1);
  const seen: string[] = [];
  const stop = cluster.store.subscribe((e) => {
    if (e.typeKey !== Keys.dv) return;
    const running = (e.object.status as DvStatus).conditions?.find((c) => c.type === 'Running');
    seen.push(`${running?.status}/${running?.reason}`);
  });
  await cluster.advance(1000);
  stop();
  assert.deepEqual(seen, ['True/Pod is running', 'False/Error']);
});

void test('a claim of the same name still terminating: ErrResourceMarkedForDeletion until it goes', async () => {
  cluster = startTestCluster({ delays: 'instant' });
  cluster.store.create(Keys.pvc, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'dv1', namespace: 'ns', finalizers: [pvcProtectionFinalizer] },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } },
  });
  consumer();
  cluster.store.delete(Keys.pvc, 'ns', 'dv1');
  await cluster.advance(0);
  assert.ok(cluster.store.get(Keys.pvc, 'ns', 'dv1')?.metadata.deletionTimestamp, 'Terminating');
  createDv({});
  await cluster.advance(0);
  assert.equal(status().phase, undefined);
  // CDI derives the conditions from the old claim it finds.
  assert.deepEqual(conditionOf('Bound'), ['False', 'Pending', 'PVC dv1 Pending']);
  assert.deepEqual(events()[0], [
    'Warning',
    'ErrResourceMarkedForDeletion',
    'Resource "dv1" marked for deletion',
    // Again on the reconcile its own status update caused, as in CDI.
    2,
    'datavolume-import-controller',
  ]);
  cluster.store.delete(Keys.vmi, 'ns', 'consumer');
  await cluster.advance(0);
  assert.equal(status().phase, 'Succeeded');
  assert.equal(
    (cluster.store.get(Keys.pvc, 'ns', 'dv1')?.metadata.ownerReferences ?? [])[0]?.kind,
    'DataVolume',
  );
});

void test('WaitForFirstConsumer: the VM starts its VMI, which runs once its disk is imported', async () => {
  cluster = startTestCluster({ delays: 'instant', storage: 'wait-for-first-consumer' });
  createDv({});
  cluster.store.create(Keys.vm, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'vm1', namespace: 'ns' },
    spec: {
      runStrategy: 'Halted',
      template: {
        spec: {
          domain: { devices: { disks: [{ name: 'd', disk: { bus: 'virtio' } }] } },
          volumes: [{ name: 'd', dataVolume: { name: 'dv1' } }],
        },
      },
    },
  });
  await cluster.advance(0);
  assert.equal(status().phase, 'PendingPopulation');
  const seen: string[] = [];
  const stop = cluster.store.subscribe((e) => {
    if (e.typeKey === Keys.vmi && e.object.metadata.name === 'vm1') {
      const phase = (e.object.status as { phase?: string } | undefined)?.phase ?? '';
      if (seen.at(-1) !== phase) seen.push(phase);
    }
    if (e.typeKey === Keys.dv && seen.at(-1) !== `dv:${status().phase}`)
      seen.push(`dv:${status().phase}`);
  });
  assert.equal(cluster.call('virtualmachines/start', 'vm1'), 202);
  await cluster.advance(0);
  stop();
  assert.equal(cluster.vmi('vm1')?.status && (cluster.vmi('vm1')?.status as any).phase, 'Running');
  assert.ok(seen.includes('dv:Succeeded') && seen.includes('Scheduled'), seen.join(' '));
  assert.ok(
    seen.indexOf('Scheduled') < seen.indexOf('dv:Succeeded') &&
      seen.indexOf('dv:Succeeded') < seen.indexOf('Running'),
    `the import ends before the VMI runs: ${seen.join(' ')}`,
  );
});
