// datavolume.iso_download_timeout is enforced: an import that never finishes ends as a Task in
// Exception within the timeout, with what CDI last said; the slot stays readable, EjectMedia
// removes the DataVolume, and a later insert works.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Keys } from '../../src/sim/controllers/kubevirt-objects.ts';
import type { Simulator } from '../../src/sim/simulator.ts';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import {
  eventually,
  startImageServer,
  startLabSimulator,
  startService,
  type ImageServer,
  type Service,
} from './virtual-media-rig.ts';

const cd = '/redfish/v1/Systems/lab-a.slow/VirtualMedia/Cd';
const timeoutMs = 1500;

describe('virtual media: iso_download_timeout', () => {
  let sim: Simulator;
  let service: Service;
  let images: ImageServer;

  before(async () => {
    sim = await startLabSimulator({
      declarativeHotplug: true,
      vms: { 'lab-a/slow': { runStrategy: 'Halted' } },
    });
    service = await startService(sim, { importTimeoutMs: timeoutMs });
    images = await startImageServer();
  });
  after(async () => {
    await service.close();
    await images.close();
    await sim.close();
  });

  it('a download that never ends is an Exception once the timeout passes', async () => {
    const started = Date.now();
    const accepted = await service.request('POST', `${cd}/Actions/VirtualMedia.InsertMedia`, {
      body: { Image: `${images.base}/held/stuck.iso` },
    });
    assert.equal(accepted.status, 202);
    const monitor = accepted.headers.get('location') ?? '';
    const done = await eventually(
      () => service.request('GET', monitor),
      (r) => r.status === 200 && r.body.TaskState === 'Exception',
      'the task to fail',
    );
    assert.ok(Date.now() - started >= timeoutMs, 'not before the timeout');
    validateRedfish(done.body);
    assert.match(
      JSON.stringify(done.body.Messages),
      /the import did not finish within 2 s \(DataVolume phase ImportInProgress\)/,
    );
    const slot = await service.request('GET', cd);
    assert.equal(slot.status, 200);
    validateRedfish(slot.body);
    assert.equal(slot.body.Inserted, false);
  });

  it('EjectMedia removes the DataVolume and a later insert completes', async () => {
    assert.equal(
      (await service.request('POST', `${cd}/Actions/VirtualMedia.EjectMedia`, { body: {} })).status,
      204,
    );
    assert.deepEqual(sim.store.list(Keys.dv, 'lab-a').items.length, 0);
    images.release('/held/stuck.iso');
    const accepted = await service.request('POST', `${cd}/Actions/VirtualMedia.InsertMedia`, {
      body: { Image: `${images.base}/ok/fine.iso` },
    });
    assert.equal(accepted.status, 202);
    const done = await eventually(
      () => service.request('GET', accepted.headers.get('location') ?? ''),
      (r) => r.status === 200 && r.body.TaskState !== 'Running' && r.body.TaskState !== 'New',
      'the second task to end',
    );
    assert.equal(done.body.TaskState, 'Completed');
  });
});
