// Virtual media on a cluster without declarative CD-ROM hotplug (KubeVirt < 1.9 defaults): a
// running VM gets its media on the next start and the Task says so; eject removes the drive
// (an empty CD-ROM is invalid there) and everything the insert created.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Keys } from '../../src/sim/controllers/kubevirt-objects.ts';
import type { Simulator } from '../../src/sim/simulator.ts';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import {
  cd,
  eject,
  eventually,
  insert,
  sys,
  vmTemplate,
  imagePassword,
  startImageServer,
  startLabSimulator,
  startService,
  type ImageServer,
  type Service,
} from './virtual-media-rig.ts';

describe('virtual media (declarative hotplug off)', () => {
  let sim: Simulator;
  let service: Service;
  let images: ImageServer;

  before(async () => {
    sim = await startLabSimulator({
      declarativeHotplug: false,
      vms: {
        'lab-a/running': { runStrategy: 'Always' },
        'lab-a/ejector': { runStrategy: 'Halted' },
      },
    });
    service = await startService(sim);
    images = await startImageServer();
  });
  after(async () => {
    await service.close();
    await images.close();
    await sim.close();
  });

  it('a running VM gets the media on its next start; the Task says a reset is required', async () => {
    const ref = { namespace: 'lab-a', name: 'running' };
    await service.waitForVm(ref, (vm) => vm.powerState === 'On', 'running');
    const accepted = await service.request('POST', insert('running'), {
      body: { Image: `${images.base}/ok/next.iso` },
    });
    assert.equal(accepted.status, 202);
    validateRedfish(accepted.body);
    assert.equal(accepted.body.Messages[1].MessageId, 'Base.1.22.ResetRequired');
    assert.equal(
      accepted.body.Messages[1].MessageArgs[0],
      `${sys('running')}/Actions/ComputerSystem.Reset`,
    );
    const volume = vmTemplate(sim, 'running').volumes.find((v) => v.name === 'redfish-cd');
    assert.equal(volume.dataVolume.hotpluggable, undefined, 'a plain volume: no hotplug here');
    const done = await eventually(
      () => service.request('GET', accepted.headers.get('location') ?? ''),
      (r) => r.status === 200,
      'the task to end',
    );
    validateRedfish(done.body);
    assert.equal(done.body.TaskState, 'Completed');
    assert.equal(done.body.TaskStatus, 'Warning');
    const vmi = sim.store.get(Keys.vmi, 'lab-a', 'running');
    assert.equal(
      ((vmi?.spec as any).volumes as any[]).some((v) => v.name === 'redfish-cd'),
      false,
      'the running instance does not have it yet',
    );

    const restart = await service.request(
      'POST',
      `${sys('running')}/Actions/ComputerSystem.Reset`,
      {
        body: { ResetType: 'ForceRestart' },
      },
    );
    assert.ok([200, 202, 204].includes(restart.status));
    await service.waitForVm(
      ref,
      (vm) => vm.powerState === 'On' && vm.media.inserted && !vm.media.pendingRestart,
      'the restarted VM to see the media',
    );
    const media = await service.request('GET', cd('running'));
    validateRedfish(media.body);
    assert.equal(media.body.Inserted, true);
  });

  it('eject with no body removes the drive, the DataVolume and the Secret; {} and an empty slot succeed', async () => {
    const accepted = await service.request('POST', insert('ejector'), {
      body: { Image: `${images.base}/auth/e.iso`, UserName: 'user', Password: imagePassword },
    });
    assert.equal(accepted.status, 202);
    await eventually(
      () => service.request('GET', cd('ejector')),
      (r) => r.body.Inserted === true,
      'inserted',
    );
    const dvName = vmTemplate(sim, 'ejector').volumes.find((v) => v.name === 'redfish-cd')
      .dataVolume.name as string;
    assert.ok(sim.store.get(Keys.secret, 'lab-a', `${dvName}-auth`));

    const noBody = await service.request('POST', eject('ejector'));
    assert.equal(noBody.status, 204);
    const template = vmTemplate(sim, 'ejector');
    assert.equal(
      template.volumes.some((v) => v.name === 'redfish-cd'),
      false,
    );
    assert.equal(
      template.domain.devices.disks.some((d) => d.name === 'redfish-cd'),
      false,
    );
    assert.deepEqual(
      template.domain.devices.disks.map((d: { name: string }) => d.name),
      ['root'],
      "the VM's own disk is untouched",
    );
    assert.equal(sim.store.get(Keys.dv, 'lab-a', dvName), undefined);
    assert.equal(sim.store.get(Keys.secret, 'lab-a', `${dvName}-auth`), undefined);
    await service.waitForVm(
      { namespace: 'lab-a', name: 'ejector' },
      (vm) => vm.media.state === 'Empty',
      'an empty slot',
    );
    const empty = await service.request('GET', cd('ejector'));
    validateRedfish(empty.body);
    assert.equal(empty.body.Inserted, false);
    assert.equal(empty.body.Image, null);
    assert.equal(empty.body.ConnectedVia, 'NotConnected');
    // The task went with its DataVolume.
    assert.equal(
      (await service.request('GET', accepted.headers.get('location') ?? '')).status,
      404,
    );

    assert.equal((await service.request('POST', eject('ejector'), { body: {} })).status, 204);
    assert.equal((await service.request('POST', eject('ejector'))).status, 204);
    const viaManager = await service.request(
      'POST',
      '/redfish/v1/Managers/lab-a.ejector/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia',
    );
    assert.equal(viaManager.status, 204);
  });
});
