// CDI installed or removed while the service runs: capability discovery asks again whether CDI's
// API is served, so VirtualMedia stops and starts being offered without a restart, while power
// keeps working throughout.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Keys } from '../../src/sim/controllers/kubevirt-objects.ts';
import {
  cd,
  eventually,
  insert,
  startMediaRig,
  sys,
  valid,
  type MediaRig,
} from './virtual-media-rig.ts';

describe('CDI installed and removed at run time', () => {
  let rig: MediaRig;

  before(async () => {
    rig = await startMediaRig(
      { declarativeHotplug: true, vms: { 'lab-a/node': { runStrategy: 'Halted' } } },
      { cdiDiscoveryIntervalMs: 100 },
    );
  });
  after(() => rig.close());

  const tryInsert = (image: string) =>
    rig.service.request('POST', insert('node'), {
      body: { Image: `${rig.images.base}/ok/${image}` },
    });

  it('installed: an insertion completes', async () => {
    const accepted = await tryInsert('first.iso');
    assert.equal(accepted.status, 202);
    await eventually(
      () => rig.service.request('GET', cd('node')),
      (r) => r.body.Inserted === true,
      'the media inserted',
    );
  });

  it('removed: EjectMedia still detaches the CD-ROM left on the VM', async () => {
    rig.sim.setCdi(false);
    await eventually(
      () => tryInsert('a.iso'),
      (r) => r.status === 400,
      'InsertMedia to be refused',
    );
    const stale = valid(await rig.service.request('GET', cd('node')));
    assert.equal(stale.body.Inserted, false, 'its DataVolume went with CDI');
    assert.equal(stale.body.Status.Health, 'Critical');
    const ejected = await rig.service.request(
      'POST',
      `${cd('node')}/Actions/VirtualMedia.EjectMedia`,
      {
        body: {},
      },
    );
    assert.equal(ejected.status, 204, JSON.stringify(ejected.body));
    const volumes = (rig.sim.store.get(Keys.vm, 'lab-a', 'node')?.spec as any).template.spec
      .volumes as { name: string }[];
    assert.deepEqual(
      volumes.map((v) => v.name),
      ['root'],
    );
    const slot = valid(await rig.service.request('GET', cd('node')));
    assert.equal(slot.body.Image, null);
  });

  it('removed: InsertMedia answers the Redfish error naming CDI; power still works', async () => {
    const refused = await eventually(
      () => tryInsert('a.iso'),
      (r) => r.status === 400,
      'InsertMedia to be refused',
    );
    valid(refused);
    assert.match(
      JSON.stringify(refused.body),
      /CDI \(containerized-data-importer\)[^"]* is not installed/,
    );
    assert.equal(rig.sim.store.list(Keys.dv, 'lab-a').items.length, 0);
    const slot = valid(await rig.service.request('GET', cd('node')));
    assert.equal(slot.body.Inserted, false);
    const on = await rig.service.request('POST', `${sys('node')}/Actions/ComputerSystem.Reset`, {
      body: { ResetType: 'On' },
    });
    assert.equal(on.status, 204);
    await eventually(
      () => rig.service.request('GET', sys('node')),
      (r) => r.body.PowerState === 'On',
      'the VM to run',
    );
    assert.equal(rig.service.backend.isReady(), true, 'readiness does not depend on CDI');
  });

  it('installed again: VirtualMedia is offered and an import completes', async () => {
    rig.sim.setCdi(true);
    const accepted = await eventually(
      () => tryInsert('b.iso'),
      (r) => r.status === 202,
      'InsertMedia to be accepted',
    );
    valid(accepted);
    const done = await eventually(
      () => rig.service.request('GET', accepted.headers.get('location') ?? ''),
      (r) => r.status === 200,
      'the task to end',
    );
    valid(done);
    assert.equal(done.body.TaskState, 'Completed');
    assert.equal(rig.sim.store.list(Keys.dv, 'lab-a').items.length, 1);
    assert.equal(rig.service.backend.clusterFacts().cdiVersion, 'v1.66.0');
  });
});
