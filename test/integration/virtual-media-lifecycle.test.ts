// Virtual media and the VM's lifecycle over real HTTP against the simulator (declarative CD-ROM
// hotplug on): power-on during an import, hot insert on a running VM, a VM without the drive,
// concurrent inserts (one process and two replicas), VM deletion, a service restart mid-import,
// scope and privileges.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Keys } from '../../src/sim/controllers/kubevirt-objects.ts';
import type { Simulator } from '../../src/sim/simulator.ts';
import {
  cd,
  eventually,
  imagePassword,
  insert,
  mediaDataVolumes,
  startMediaSuite,
  startService,
  sys,
  valid,
  vmTemplate,
  type ImageServer,
  type Service,
} from './virtual-media-rig.ts';

describe('virtual media across the VM lifecycle (declarative hotplug on)', () => {
  let sim: Simulator;
  let service: Service;
  let images: ImageServer;
  let close: () => Promise<void>;

  before(async () => {
    ({ sim, service, images, close } = await startMediaSuite({
      declarativeHotplug: true,
      vms: {
        'lab-a/stopped': { runStrategy: 'Halted' },
        'lab-a/paths': { runStrategy: 'Halted' },
        'lab-a/creds': { runStrategy: 'Halted' },
        'lab-a/inline': { runStrategy: 'Halted' },
        'lab-a/failing': { runStrategy: 'Halted' },
        'lab-a/booter': { runStrategy: 'Halted' },
        'lab-a/hot': { runStrategy: 'Always', emptyDrive: true },
        'lab-a/nodrive': { runStrategy: 'Always' },
        'lab-a/racer': { runStrategy: 'Halted' },
        'lab-a/duel': { runStrategy: 'Halted' },
        'lab-a/doomed': { runStrategy: 'Halted' },
        'lab-a/restart': { runStrategy: 'Halted' },
        'lab-b/other': { runStrategy: 'Halted' },
      },
    }));
  });
  after(() => close());

  it('power-on during the import reads PoweringOn until the VM really runs', async () => {
    const accepted = await service.request('POST', insert('booter'), {
      body: { Image: `${images.base}/held/boot.iso` },
    });
    assert.equal(accepted.status, 202);
    await eventually(
      () => service.request('GET', accepted.headers.get('location') ?? ''),
      (r) => r.body.PercentComplete === 37,
      'importing',
    );
    const on = await service.request('POST', `${sys('booter')}/Actions/ComputerSystem.Reset`, {
      body: { ResetType: 'On' },
    });
    assert.ok([200, 202, 204].includes(on.status));
    await eventually(
      () => service.request('GET', sys('booter')),
      (r) => r.body.PowerState === 'PoweringOn',
      'PoweringOn',
    );
    const vmi = sim.store.get(Keys.vmi, 'lab-a', 'booter');
    assert.notEqual(
      (vmi?.status as any)?.phase,
      'Running',
      'the guest does not boot before its media is ready',
    );
    images.release('/held/boot.iso');
    await eventually(
      () => service.request('GET', sys('booter')),
      (r) => r.body.PowerState === 'On',
      'On',
    );
    const media = await service.request('GET', cd('booter'));
    assert.equal(media.body.Inserted, true);
  });

  it('a running VM that booted with the drive gets the media hot-plugged', async () => {
    await service.waitForVm(
      { namespace: 'lab-a', name: 'hot' },
      (vm) => vm.powerState === 'On',
      'running',
    );
    const accepted = await service.request('POST', insert('hot'), {
      body: { Image: `${images.base}/ok/hot.iso` },
    });
    assert.equal(accepted.status, 202);
    assert.equal(accepted.body.Messages.length, 1, 'no restart needed');
    const done = await eventually(
      () => service.request('GET', accepted.headers.get('location') ?? ''),
      (r) => r.status === 200,
      'done',
    );
    assert.equal(done.body.TaskState, 'Completed');
    const volume = vmTemplate(sim, 'hot').volumes.find((v) => v.name === 'redfish-cd');
    assert.equal(volume.dataVolume.hotpluggable, true);
    const vmi = sim.store.get(Keys.vmi, 'lab-a', 'hot');
    const status = (vmi?.status as any).volumeStatus.find(
      (s: { name: string }) => s.name === 'redfish-cd',
    );
    assert.equal(status.phase, 'Ready');
    const media = await service.request('GET', cd('hot'));
    assert.equal(media.body.Inserted, true);
  });

  it('a running VM without the drive gets the media on its next start, and says so', async () => {
    await service.waitForVm(
      { namespace: 'lab-a', name: 'nodrive' },
      (vm) => vm.powerState === 'On',
      'running',
    );
    const accepted = await service.request('POST', insert('nodrive'), {
      body: { Image: `${images.base}/ok/later.iso` },
    });
    assert.equal(accepted.status, 202);
    assert.equal(accepted.body.Messages[1].MessageId, 'Base.1.22.ResetRequired');
    const done = await eventually(
      () => service.request('GET', accepted.headers.get('location') ?? ''),
      (r) => r.status === 200,
      'done',
    );
    valid(done);
    assert.equal(done.body.TaskStatus, 'Warning');
    assert.equal(done.body.Messages[0].MessageId, 'TaskEvent.1.0.TaskCompletedWarning');
  });

  it('concurrent inserts of one image, on one replica and across two, make exactly one DataVolume', async () => {
    const replica = await startService(sim);
    try {
      const image = { Image: `${images.base}/ok/race.iso` };
      const replies = await Promise.all([
        service.request('POST', insert('racer'), { body: image }),
        service.request('POST', insert('racer'), { body: image }),
        replica.request('POST', insert('racer'), { body: image }),
        replica.request('POST', insert('racer'), { body: image }),
      ]);
      const statuses = replies.map((r) => r.status);
      assert.ok(
        statuses.every((s) => s === 202 || s === 204),
        `statuses ${statuses.join()}`,
      );
      assert.ok(statuses.includes(202));
      assert.equal(mediaDataVolumes(sim, 'lab-a', 'racer').length, 1);

      const different = await Promise.all([
        service.request('POST', insert('duel'), { body: { Image: `${images.base}/ok/one.iso` } }),
        replica.request('POST', insert('duel'), { body: { Image: `${images.base}/ok/two.iso` } }),
      ]);
      assert.deepEqual(different.map((r) => r.status).sort(), [202, 409]);
      assert.equal(
        mediaDataVolumes(sim, 'lab-a', 'duel').length,
        1,
        'the loser leaves nothing behind',
      );
    } finally {
      await replica.close();
    }
  });

  it('deleting the VM removes its DataVolume and Secret (ownerReferences)', async () => {
    const accepted = await service.request('POST', insert('doomed'), {
      body: { Image: `${images.base}/auth/doomed.iso`, UserName: 'user', Password: imagePassword },
    });
    assert.equal(accepted.status, 202);
    const [dv] = mediaDataVolumes(sim, 'lab-a', 'doomed');
    const name = dv?.metadata.name ?? '';
    assert.ok(sim.store.get(Keys.secret, 'lab-a', `${name}-auth`));
    sim.store.delete(Keys.vm, 'lab-a', 'doomed');
    await eventually(
      () =>
        Promise.resolve([
          sim.store.get(Keys.dv, 'lab-a', name),
          sim.store.get(Keys.secret, 'lab-a', `${name}-auth`),
        ]),
      (objects) => objects.every((o) => o === undefined),
      'garbage collection',
    );
  });

  it('a service restart in the middle of an import loses nothing', async () => {
    const accepted = await service.request('POST', insert('restart'), {
      body: { Image: `${images.base}/held/long.iso` },
    });
    assert.equal(accepted.status, 202);
    const monitor = accepted.headers.get('location') ?? '';
    await eventually(
      () => service.request('GET', monitor),
      (r) => r.body.PercentComplete === 37,
      'importing',
    );
    const fresh = await startService(sim);
    try {
      const still = await fresh.request('GET', monitor);
      assert.equal(still.status, 202);
      assert.equal(still.body.TaskState, 'Running');
      assert.equal(still.body.Id, accepted.body.Id);
      images.release('/held/long.iso');
      const done = await eventually(
        () => fresh.request('GET', monitor),
        (r) => r.status === 200,
        'done',
      );
      assert.equal(done.body.TaskState, 'Completed');
    } finally {
      await fresh.close();
    }
  });

  it("tasks and slots follow the caller's scope and privileges", async () => {
    const task = await service.request('GET', '/redfish/v1/TaskService/Tasks');
    const someTask = task.body.Members[0]['@odata.id'] as string;
    assert.equal((await service.request('GET', someTask, { user: 'viewer-b' })).status, 404);
    assert.equal(
      (
        await service.request('GET', someTask.replace('/Tasks/', '/TaskMonitors/'), {
          user: 'viewer-b',
        })
      ).status,
      404,
    );
    const theirs = await service.request('GET', '/redfish/v1/TaskService/Tasks', {
      user: 'viewer-b',
    });
    assert.equal(theirs.body['Members@odata.count'], 0);
    assert.equal(
      (
        await service.request('POST', insert('stopped'), {
          user: 'admin-b',
          body: { Image: 'http://127.0.0.1/x.iso' },
        })
      ).status,
      404,
    );
    const readOnly = await service.request(
      'POST',
      '/redfish/v1/Systems/lab-b.other/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia',
      {
        user: 'viewer-b',
        body: { Image: 'http://127.0.0.1/x.iso' },
      },
    );
    assert.equal(readOnly.status, 403);
    assert.equal(
      (await service.request('GET', '/redfish/v1/Systems/lab-a.stopped/VirtualMedia/Usb')).status,
      404,
    );
    assert.equal(
      (await service.request('GET', '/redfish/v1/TaskService/Tasks/lab-a.stopped.0000')).status,
      404,
    );
  });
});
