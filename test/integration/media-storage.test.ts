// Storage realities over real HTTP against the simulator's CDI: no StorageClass, a StorageProfile
// CDI cannot complete a claim from, an image larger than the claim, a claim of the same name
// still terminating, and WaitForFirstConsumer. Each failing case ends as a Task in Exception
// with CDI's own message within iso_download_timeout; then the DataVolume and the credentials
// Secret are gone, the VM spec has no media, the slot reads failed, and once the storage is
// fixed a later insert works.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mediaDataVolumeName } from '../../src/kube/media-naming.ts';
import { Keys } from '../../src/sim/controllers/kubevirt-objects.ts';
import { TypeKeys } from '../../src/sim/resource-types.ts';
import type { Simulator } from '../../src/sim/simulator.ts';
import type { StorageScenario } from '../../src/sim/storage-classes.ts';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import {
  eventually,
  eventuallyOf,
  imagePassword,
  startMediaRig,
  type MediaRig,
  type Reply,
} from './virtual-media-rig.ts';

const vm = 'node';
const cd = `/redfish/v1/Systems/lab-a.${vm}/VirtualMedia/Cd`;
const timeoutMs = 1500;

type Rig = MediaRig;

const startRig = (storage: StorageScenario, storageSize?: string): Promise<Rig> =>
  startMediaRig(
    { declarativeHotplug: false, storage, vms: { [`lab-a/${vm}`]: { runStrategy: 'Halted' } } },
    { importTimeoutMs: timeoutMs, ...(storageSize ? { storageSize } : {}) },
  );

const insertAndWait = async (
  rig: Rig,
  body: Record<string, unknown>,
): Promise<{ task: Reply; elapsed: number }> => {
  const started = Date.now();
  const accepted = await rig.service.request('POST', `${cd}/Actions/VirtualMedia.InsertMedia`, {
    body,
  });
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  validateRedfish(accepted.body);
  const task = await eventually(
    () => rig.service.request('GET', accepted.headers.get('location') ?? ''),
    (r) => r.status === 200,
    'the task to end',
  );
  validateRedfish(task.body);
  return { task, elapsed: Date.now() - started };
};

/** The failed insertion is cleaned up: no DataVolume, no Secret, no media in the VM spec; the
 *  slot is readable and reports the failure. */
const assertCleanedUp = async (rig: Rig, message: RegExp) => {
  const { sim, service } = rig;
  // The DataVolume goes first, then the credentials Secret.
  await eventuallyOf(
    () =>
      sim.store.list(Keys.dv, 'lab-a').items.length +
      sim.store.list(Keys.secret, 'lab-a').items.length,
    (n) => n === 0,
    'the DataVolume and the Secret to be deleted',
  );
  const template = (sim.store.get(Keys.vm, 'lab-a', vm)?.spec as any).template.spec;
  assert.deepEqual(
    template.volumes.map((v: { name: string }) => v.name),
    ['root'],
  );
  assert.deepEqual(
    template.domain.devices.disks.map((d: { name: string }) => d.name),
    ['root'],
    'without declarative hotplug the drive goes with its volume',
  );
  const slot = await service.request('GET', cd);
  assert.equal(slot.status, 200);
  validateRedfish(slot.body);
  assert.equal(slot.body.Inserted, false);
  assert.equal(slot.body.Status.Health, 'Critical');
  const tasks = await service.request('GET', '/redfish/v1/TaskService/Tasks');
  validateRedfish(tasks.body);
  const [member] = tasks.body.Members as { '@odata.id': string }[];
  const task = await service.request('GET', member?.['@odata.id'] ?? '');
  assert.equal(task.body.TaskState, 'Exception');
  assert.match(JSON.stringify(task.body.Messages), message);
};

const eventsOf = (sim: Simulator, reason: string) =>
  sim.store
    .list(TypeKeys.events, 'lab-a')
    .items.filter((e) => e.reason === reason)
    .map((e) => e.message);

const withCredentials = (image: string) => ({
  Image: image,
  UserName: 'user',
  Password: imagePassword,
});

describe('virtual media: no StorageClass', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig('none');
  });
  after(() => rig.close());

  it("ends in Exception with CDI's ErrClaimNotValid message and is cleaned up", async () => {
    const { task, elapsed } = await insertAndWait(
      rig,
      withCredentials(`${rig.images.base}/auth/a.iso`),
    );
    assert.ok(elapsed >= timeoutMs);
    assert.equal(task.body.TaskState, 'Exception');
    const cdi = 'PVC spec is missing accessMode and no storageClass to choose profile';
    assert.match(JSON.stringify(task.body.Messages), new RegExp(cdi));
    assert.deepEqual(eventsOf(rig.sim, 'ErrClaimNotValid'), [cdi]);
    await assertCleanedUp(rig, new RegExp(cdi));
  });

  it('once the class exists, a later insert works', async () => {
    rig.sim.store.create(TypeKeys.storageClasses, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'fast' },
      provisioner: 'kubevirt.io.hostpath-provisioner',
      volumeBindingMode: 'Immediate',
    });
    rig.sim.store.create(TypeKeys.storageProfiles, {
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'StorageProfile',
      metadata: { name: 'fast' },
      status: { claimPropertySets: [{ accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem' }] },
    });
    const { task } = await insertAndWait(rig, withCredentials(`${rig.images.base}/auth/b.iso`));
    assert.equal(task.body.TaskState, 'Completed');
    const slot = await rig.service.request('GET', cd);
    assert.equal(slot.body.Inserted, true);
    assert.equal(slot.body.Status.Health, 'OK');
    assert.equal(rig.sim.store.list(Keys.secret, 'lab-a').items.length, 1, 'its Secret');
  });
});

describe('virtual media: a StorageProfile CDI cannot complete a claim from', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig('incomplete-profile');
  });
  after(() => rig.close());

  it("ends in Exception with CDI's message and is cleaned up; a completed profile lets a later insert work", async () => {
    const { task } = await insertAndWait(rig, { Image: `${rig.images.base}/ok/a.iso` });
    assert.equal(task.body.TaskState, 'Exception');
    const cdi = 'no accessMode specified in StorageProfile fast';
    assert.match(JSON.stringify(task.body.Messages), new RegExp(cdi));
    assert.deepEqual(eventsOf(rig.sim, 'ErrClaimNotValid'), [
      'Spec is missing accessMode and volumeMode, cannot get access mode from StorageProfile fast',
      cdi,
    ]);
    await assertCleanedUp(rig, new RegExp(cdi));

    rig.sim.store.mutate(
      TypeKeys.storageProfiles,
      undefined,
      'fast',
      (draft) => {
        draft.status = {
          ...(draft.status as object),
          claimPropertySets: [{ accessModes: ['ReadWriteMany'], volumeMode: 'Filesystem' }],
        };
      },
      { subresource: 'status' },
    );
    const later = await insertAndWait(rig, { Image: `${rig.images.base}/ok/a.iso` });
    assert.equal(later.task.body.TaskState, 'Completed');
    const [dv] = rig.sim.store.list(Keys.dv, 'lab-a').items;
    const pvc = rig.sim.store.get(Keys.pvc, 'lab-a', dv?.metadata.name ?? '');
    assert.deepEqual((pvc?.spec as any).accessModes, ['ReadWriteMany'], 'from the profile');
  });
});

describe('virtual media: an image larger than the claim', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig('standard', '1Gi');
  });
  after(() => rig.close());

  it("fails at once with CDI's message; CDI keeps restarting it until the timeout cleans it up", async () => {
    const { task, elapsed } = await insertAndWait(rig, {
      Image: `${rig.images.base}/big/huge.iso`,
    });
    assert.ok(elapsed < timeoutMs, `before the timeout (${elapsed} ms)`);
    assert.equal(task.body.TaskState, 'Exception');
    assert.match(JSON.stringify(task.body.Messages), /DataVolume too small to contain image/);
    const [dv] = rig.sim.store.list(Keys.dv, 'lab-a').items;
    assert.equal((dv?.status as any).phase, 'ImportInProgress', 'CDI never says Failed');
    assert.equal((dv?.status as any).restartCount, 1);
    assert.deepEqual(eventsOf(rig.sim, 'Error'), ['DataVolume too small to contain image']);
    await assertCleanedUp(rig, /DataVolume too small to contain image/);
  });

  it('a later insert of an image that fits works', async () => {
    const { task } = await insertAndWait(rig, { Image: `${rig.images.base}/ok/small.iso` });
    assert.equal(task.body.TaskState, 'Completed');
  });
});

describe('virtual media: a claim of the same name still terminating', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig('standard');
  });
  after(() => rig.close());

  it('waits for it as CDI does, then ends in Exception naming it and is cleaned up; once it is gone a later insert works', async () => {
    const image = `${rig.images.base}/ok/again.iso`;
    const uid = rig.sim.store.get(Keys.vm, 'lab-a', vm)?.metadata.uid ?? '';
    const name = mediaDataVolumeName(vm, uid, image);
    // The claim of an earlier insertion of the same image, kept by a finalizer.
    rig.sim.store.create(Keys.pvc, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: 'lab-a', finalizers: ['example.com/backup-in-progress'] },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } },
    });
    rig.sim.store.delete(Keys.pvc, 'lab-a', name);
    const { task } = await insertAndWait(rig, { Image: image });
    assert.equal(task.body.TaskState, 'Exception');
    const cdi = `Resource \\\\"${name}\\\\" marked for deletion`;
    assert.match(JSON.stringify(task.body.Messages), new RegExp(cdi));
    assert.deepEqual(eventsOf(rig.sim, 'ErrResourceMarkedForDeletion'), [
      `Resource "${name}" marked for deletion`,
    ]);
    await assertCleanedUp(rig, new RegExp(cdi));

    rig.sim.store.mutate(Keys.pvc, 'lab-a', name, (draft) => {
      draft.metadata.finalizers = [];
    });
    const later = await insertAndWait(rig, { Image: image });
    assert.equal(later.task.body.TaskState, 'Completed');
  });
});

describe('virtual media: WaitForFirstConsumer storage', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig('wait-for-first-consumer');
  });
  after(() => rig.close());

  it('the import runs while the VM is off: the DataVolume asks CDI for immediate binding', async () => {
    const { task } = await insertAndWait(rig, { Image: `${rig.images.base}/ok/wffc.iso` });
    assert.equal(task.body.TaskState, 'Completed');
    const [dv] = rig.sim.store.list(Keys.dv, 'lab-a').items;
    assert.equal(
      dv?.metadata.annotations?.['cdi.kubevirt.io/storage.bind.immediate.requested'],
      'true',
    );
    assert.equal(rig.sim.store.get(Keys.vmi, 'lab-a', vm), undefined, 'no consumer was needed');
  });
});
