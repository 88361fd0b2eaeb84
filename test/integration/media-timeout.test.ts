// datavolume.iso_download_timeout and vm_update_timeout are enforced: an import that never
// finishes, or imported media a running VM never takes in, ends as a Task in Exception within
// the timeout with what the cluster last said; the DataVolume is then removed and the CD-ROM
// detached by the service itself, the slot keeps reading failed, and a later insert works.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { instantDelays } from '../../src/sim/controllers/delays.ts';
import { Keys } from '../../src/sim/controllers/kubevirt-objects.ts';
import type { Simulator } from '../../src/sim/simulator.ts';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import {
  eventually,
  eventuallyOf,
  startMediaRig,
  type MediaRig,
  type Reply,
  type Service,
} from './virtual-media-rig.ts';

const cd = (vm: string) => `/redfish/v1/Systems/lab-a.${vm}/VirtualMedia/Cd`;
const timeoutMs = 1500;

/** The VM's CD-ROM volume in the stored spec (undefined: the drive is empty). */
const mediaVolume = (sim: Simulator, vm: string) =>
  ((sim.store.get(Keys.vm, 'lab-a', vm)?.spec as any)?.template?.spec?.volumes ?? []).find(
    (v: { name: string }) => v.name === 'redfish-cd',
  );

/** Inserts, then waits for the task to end; answers the finished task and when it began. */
const insertAndWait = async (
  service: Service,
  vm: string,
  image: string,
): Promise<{ task: Reply; started: number }> => {
  const started = Date.now();
  const accepted = await service.request('POST', `${cd(vm)}/Actions/VirtualMedia.InsertMedia`, {
    body: { Image: image },
  });
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  const monitor = accepted.headers.get('location') ?? '';
  const task = await eventually(
    () => service.request('GET', monitor),
    (r) => r.status === 200,
    'the task to end',
  );
  validateRedfish(task.body);
  return { task, started };
};

describe('virtual media: iso_download_timeout', () => {
  let rig: MediaRig;

  before(async () => {
    rig = await startMediaRig(
      { declarativeHotplug: true, vms: { 'lab-a/slow': { runStrategy: 'Halted' } } },
      { importTimeoutMs: timeoutMs },
    );
  });
  after(() => rig.close());

  it('a download that never ends is an Exception once the timeout passes, and is cleaned up', async () => {
    const { task, started } = await insertAndWait(
      rig.service,
      'slow',
      `${rig.images.base}/held/stuck.iso`,
    );
    assert.ok(Date.now() - started >= timeoutMs, 'not before the timeout');
    assert.equal(task.body.TaskState, 'Exception');
    assert.match(
      JSON.stringify(task.body.Messages),
      /the import did not finish within 2 s \(DataVolume phase ImportInProgress\)/,
    );
    // The service removes what it made, without an EjectMedia.
    await eventuallyOf(
      () => rig.sim.store.list(Keys.dv, 'lab-a').items.length,
      (n) => n === 0,
      'the DataVolume to be deleted',
    );
    assert.equal(mediaVolume(rig.sim, 'slow'), undefined, 'the CD-ROM is detached');
    const slot = await rig.service.request('GET', cd('slow'));
    assert.equal(slot.status, 200);
    validateRedfish(slot.body);
    assert.equal(slot.body.Inserted, false);
    assert.equal(slot.body.Status.Health, 'Critical');
    assert.equal(slot.body.Image, `${rig.images.base}/held/stuck.iso`);
    // The task still reads the same, from the record the service left on the VM.
    const again = await rig.service.request('GET', task.body['@odata.id']);
    assert.equal(again.body.TaskState, 'Exception');
    assert.deepEqual(again.body.Messages, task.body.Messages);
    const system = await rig.service.request('GET', '/redfish/v1/Systems/lab-a.slow');
    assert.equal(system.body.Status.Health, 'OK', 'nothing stops a power-on any more');
  });

  it('EjectMedia clears the failure and a later insert completes', async () => {
    assert.equal(
      (
        await rig.service.request('POST', `${cd('slow')}/Actions/VirtualMedia.EjectMedia`, {
          body: {},
        })
      ).status,
      204,
    );
    const slot = await rig.service.request('GET', cd('slow'));
    assert.equal(slot.body.Image, null);
    assert.equal(slot.body.Status.Health, 'OK');
    rig.images.release('/held/stuck.iso');
    const { task } = await insertAndWait(rig.service, 'slow', `${rig.images.base}/ok/fine.iso`);
    assert.equal(task.body.TaskState, 'Completed');
    assert.equal(
      rig.sim.store.get(Keys.vm, 'lab-a', 'slow')?.metadata.annotations?.[
        'kubevirt-redfish.io/media-failure'
      ],
      undefined,
    );
  });
});

describe('virtual media: vm_update_timeout', () => {
  let rig: MediaRig;

  before(async () => {
    // The import is instant; hot-plugging the volume into the running VMI takes for ever.
    rig = await startMediaRig(
      {
        declarativeHotplug: true,
        delays: { ...instantDelays, hotplugStep: 3_600_000 },
        vms: { 'lab-a/live': { runStrategy: 'Always', emptyDrive: true } },
      },
      { importTimeoutMs: 60_000, attachTimeoutMs: timeoutMs },
    );
    await eventuallyOf(
      () => (rig.sim.store.get(Keys.vmi, 'lab-a', 'live')?.status as any)?.phase,
      (phase) => phase === 'Running',
      'a running VMI',
    );
  });
  after(() => rig.close());

  it('media the running VM never takes in is an Exception after the timeout, and is cleaned up', async () => {
    const { task, started } = await insertAndWait(
      rig.service,
      'live',
      `${rig.images.base}/ok/live.iso`,
    );
    assert.ok(Date.now() - started >= timeoutMs, 'not before the timeout');
    assert.equal(task.body.TaskState, 'Exception');
    assert.match(
      JSON.stringify(task.body.Messages),
      /the running VM did not take the media in within 2 s \(hotplug volume phase Pending\)/,
    );
    await eventuallyOf(
      () => rig.sim.store.list(Keys.dv, 'lab-a').items.length,
      (n) => n === 0,
      'the DataVolume to be deleted',
    );
    assert.equal(mediaVolume(rig.sim, 'live'), undefined, 'the CD-ROM is empty in the spec');
    const disks = (rig.sim.store.get(Keys.vm, 'lab-a', 'live')?.spec as any).template.spec.domain
      .devices.disks as { name: string }[];
    assert.ok(
      disks.some((d) => d.name === 'redfish-cd'),
      'the empty drive stays (declarative hotplug)',
    );
    const slot = await rig.service.request('GET', cd('live'));
    validateRedfish(slot.body);
    assert.equal(slot.body.Inserted, false);
  });
});
