// Virtual media over real HTTP against the simulator (declarative CD-ROM hotplug on): insert,
// Task progress and completion, the objects in the cluster, both URL paths, idempotency and
// conflicts, eject forms, credentials, a 404 image, parameter checks. The VM lifecycle around
// media (power, hotplug, concurrency, deletion, restart, scope) is virtual-media-lifecycle.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Keys } from '../../src/sim/controllers/kubevirt-objects.ts';
import type { Simulator } from '../../src/sim/simulator.ts';
import {
  cd,
  eject,
  eventually,
  imagePassword,
  insert,
  mediaDataVolumes,
  startMediaSuite,
  sys,
  valid,
  vmTemplate,
  type ImageServer,
  type Service,
} from './virtual-media-rig.ts';

describe('virtual media (declarative hotplug on)', () => {
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

  it('insert answers 202 with a Task; the task runs with the import progress, then completes', async () => {
    const image = `${images.base}/held/installer.iso`;
    const accepted = await service.request('POST', insert('stopped'), { body: { Image: image } });
    assert.equal(accepted.status, 202);
    valid(accepted);
    const monitor = accepted.headers.get('location') ?? '';
    assert.match(
      monitor,
      /^\/redfish\/v1\/TaskService\/TaskMonitors\/lab-a\.stopped\.[0-9a-f]{32}$/,
    );
    assert.equal(accepted.body.TaskMonitor, monitor);
    assert.equal(accepted.body.TaskState, 'New');
    assert.equal(accepted.body.Messages[0].MessageId, 'TaskEvent.1.0.TaskStarted');
    const taskUri = accepted.body['@odata.id'] as string;

    // Half-way: 3000 of 8000 bytes is CDI's "37.50%".
    const running = await eventually(
      () => service.request('GET', monitor),
      (r) => r.status === 202 && r.body.PercentComplete === 37,
      'the task to report 37 %',
    );
    assert.equal(running.body.TaskState, 'Running');
    assert.equal(running.headers.get('location'), monitor);
    assert.ok(running.headers.get('retry-after'));
    const midway = valid(await service.request('GET', cd('stopped')));
    assert.equal(midway.body.Inserted, false, 'never inserted mid-download');
    assert.equal(midway.body.Image, image);
    assert.equal(midway.body.ConnectedVia, 'URI');
    assert.equal(midway.body.Status.State, 'Starting');

    images.release('/held/installer.iso');
    const done = await eventually(
      () => service.request('GET', monitor),
      (r) => r.status === 200,
      'the task to finish',
    );
    valid(done);
    assert.equal(done.body.TaskState, 'Completed');
    assert.equal(done.body.TaskStatus, 'OK');
    assert.equal(done.body.PercentComplete, 100);
    assert.ok(done.body.EndTime);
    assert.equal(done.body.Messages[0].MessageId, 'TaskEvent.1.0.TaskCompletedOK');
    const task = valid(await service.request('GET', taskUri));
    assert.equal(task.body.TaskState, 'Completed');
    const tasks = valid(await service.request('GET', '/redfish/v1/TaskService/Tasks'));
    assert.ok(tasks.body.Members.some((m: { '@odata.id': string }) => m['@odata.id'] === taskUri));
    valid(await service.request('GET', '/redfish/v1/TaskService'));

    const media = valid(await service.request('GET', cd('stopped')));
    assert.equal(media.body.Inserted, true);
    assert.equal(media.body.ImageName, 'installer.iso');
    assert.equal(media.body.TransferProtocolType, 'HTTP');
    assert.equal(media.body.WriteProtected, true);
    assert.deepEqual(media.body.MediaTypes, ['CD', 'DVD']);
    assert.equal(media.body.Status.State, 'Enabled');
    assert.match(media.headers.get('etag') ?? '', /^"[0-9a-f]+"$/);
    assert.deepEqual(
      media.body.Actions['#VirtualMedia.InsertMedia'][
        'TransferProtocolType@Redfish.AllowableValues'
      ],
      ['HTTP', 'HTTPS'],
    );

    // The cluster: a SATA CD-ROM with a plain dataVolume volume (a stopped VM waits for it),
    // one DataVolume owned by the VM, importing the URL into the configured storage.
    const spec = vmTemplate(sim, 'stopped');
    assert.deepEqual(
      spec.domain.devices.disks.find((d) => d.name === 'redfish-cd'),
      {
        name: 'redfish-cd',
        cdrom: { bus: 'sata', readonly: true },
      },
    );
    assert.equal(spec.domain.devices.disks[0].name, 'root', "the VM's own disk is untouched");
    const [dv, ...more] = mediaDataVolumes(sim, 'lab-a', 'stopped');
    assert.equal(more.length, 0);
    assert.deepEqual(
      spec.volumes.find((v) => v.name === 'redfish-cd'),
      {
        name: 'redfish-cd',
        dataVolume: { name: dv?.metadata.name },
      },
    );
    assert.ok((dv?.metadata.name ?? '').length <= 63);
    assert.deepEqual((dv?.spec as any).source, { http: { url: image } });
    assert.deepEqual((dv?.spec as any).storage, {
      resources: { requests: { storage: '2Gi' } },
      storageClassName: 'fast',
    });
    const owner = dv?.metadata.ownerReferences?.[0];
    assert.equal(owner?.kind, 'VirtualMachine');
    assert.equal(owner?.uid, sim.store.get(Keys.vm, 'lab-a', 'stopped')?.metadata.uid);
    assert.equal(owner?.controller, false);
    assert.equal(dv?.metadata.annotations?.['kubevirt-redfish.io/media-image'], image);
  });

  it('the system and its Manager show the same slot; both are linked', async () => {
    const image = `${images.base}/ok/paths.iso`;
    const viaManager = '/redfish/v1/Managers/lab-a.paths/VirtualMedia/Cd';
    const accepted = await service.request(
      'POST',
      `${viaManager}/Actions/VirtualMedia.InsertMedia`,
      {
        body: { Image: image, TransferProtocolType: 'HTTP', TransferMethod: 'Stream' },
      },
    );
    assert.equal(accepted.status, 202);
    const system = valid(await service.request('GET', sys('paths')));
    assert.equal(system.body.VirtualMedia['@odata.id'], `${sys('paths')}/VirtualMedia`);
    const manager = valid(await service.request('GET', '/redfish/v1/Managers/lab-a.paths'));
    assert.equal(
      manager.body.VirtualMedia['@odata.id'],
      '/redfish/v1/Managers/lab-a.paths/VirtualMedia',
    );
    for (const collection of [
      `${sys('paths')}/VirtualMedia`,
      '/redfish/v1/Managers/lab-a.paths/VirtualMedia',
    ]) {
      const reply = valid(await service.request('GET', collection));
      assert.deepEqual(reply.body.Members, [{ '@odata.id': `${collection}/Cd` }]);
    }
    const a = await eventually(
      () => service.request('GET', cd('paths')),
      (r) => r.body.Inserted === true,
      'inserted',
    );
    const b = valid(await service.request('GET', viaManager));
    valid(a);
    const strip = (body: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(body).filter(([key]) => key !== '@odata.id' && key !== 'Actions'),
      );
    assert.deepEqual(strip(b.body), strip(a.body));
    assert.equal(
      b.body.Actions['#VirtualMedia.EjectMedia'].target,
      `${viaManager}/Actions/VirtualMedia.EjectMedia`,
    );
  });

  it('the same image again is 204; a different one is 409 ResourceInUse', async () => {
    const same = await service.request('POST', insert('paths'), {
      body: { Image: `${images.base}/ok/paths.iso` },
    });
    assert.equal(same.status, 204);
    const other = await service.request('POST', insert('paths'), {
      body: { Image: `${images.base}/ok/other.iso` },
    });
    assert.equal(other.status, 409);
    assert.equal(other.body.error['@Message.ExtendedInfo'][0].MessageId, 'Base.1.22.ResourceInUse');
    assert.equal(mediaDataVolumes(sim, 'lab-a', 'paths').length, 1);
  });

  it('eject works with no body, with {}, and on an empty slot, keeping the empty drive', async () => {
    const noBody = await service.request('POST', eject('paths'));
    assert.equal(noBody.status, 204);
    await service.waitForVm(
      { namespace: 'lab-a', name: 'paths' },
      (vm) => vm.media.state === 'Empty',
      'an empty slot',
    );
    assert.equal(mediaDataVolumes(sim, 'lab-a', 'paths').length, 0, 'the DataVolume is deleted');
    const spec = vmTemplate(sim, 'paths');
    assert.equal(
      spec.volumes.some((v) => v.name === 'redfish-cd'),
      false,
    );
    // With declarative hotplug the empty drive stays, ready for a hot insert.
    assert.equal(
      spec.domain.devices.disks.some((d) => d.name === 'redfish-cd'),
      true,
    );
    const empty = valid(await service.request('GET', cd('paths')));
    assert.equal(empty.body.Inserted, false);
    assert.equal(empty.body.Image, null);
    assert.equal(empty.body.ConnectedVia, 'NotConnected');
    assert.equal((await service.request('POST', eject('paths'), { body: {} })).status, 204);
    assert.equal((await service.request('POST', eject('paths'))).status, 204);
    const unknown = await service.request('POST', eject('paths'), { body: { Force: true } });
    assert.equal(unknown.status, 400);
    assert.equal(
      unknown.body.error['@Message.ExtendedInfo'][0].MessageId,
      'Base.1.22.ActionParameterUnknown',
    );
  });

  it('credentials go to CDI through an owned Secret, never into annotations or the VM', async () => {
    const accepted = await service.request('POST', insert('creds'), {
      body: { Image: `${images.base}/auth/locked.iso`, UserName: 'user', Password: imagePassword },
    });
    assert.equal(accepted.status, 202);
    const done = await eventually(
      () => service.request('GET', accepted.headers.get('location') ?? ''),
      (r) => r.status === 200,
      'the task to end',
    );
    assert.equal(done.body.TaskState, 'Completed');
    assert.ok(
      images.requests.some(
        (r) => r.path === '/auth/locked.iso' && r.authorization?.startsWith('Basic '),
      ),
    );
    const [dv] = mediaDataVolumes(sim, 'lab-a', 'creds');
    const secretName = (dv?.spec as any).source.http.secretRef as string;
    const secret = sim.store.get(Keys.secret, 'lab-a', secretName);
    assert.equal(Buffer.from((secret?.data as any).secretKey, 'base64').toString(), imagePassword);
    assert.equal(secret?.metadata.ownerReferences?.[0]?.kind, 'VirtualMachine');
    assert.doesNotMatch(JSON.stringify(dv), new RegExp(imagePassword));
    assert.doesNotMatch(
      JSON.stringify(sim.store.get(Keys.vm, 'lab-a', 'creds')),
      new RegExp(imagePassword),
    );
    const media = valid(await service.request('GET', cd('creds')));
    assert.equal(media.body.UserName, null);
    assert.equal(media.body.Password, null);
  });

  it('credentials in the URL are moved to the Secret', async () => {
    const image = `${images.base.replace('http://', `http://user:${imagePassword}@`)}/auth/inline.iso`;
    const accepted = await service.request('POST', insert('inline'), { body: { Image: image } });
    assert.equal(accepted.status, 202);
    const media = await eventually(
      () => service.request('GET', cd('inline')),
      (r) => r.body.Inserted === true,
      'inserted',
    );
    assert.equal(media.body.Image, `${images.base}/auth/inline.iso`);
    assert.doesNotMatch(
      JSON.stringify(mediaDataVolumes(sim, 'lab-a', 'inline')),
      new RegExp(imagePassword),
    );
  });

  it('a 404 image: Task Exception, the slot shows the failure, and power-on does not boot', async () => {
    const accepted = await service.request('POST', insert('failing'), {
      body: { Image: `${images.base}/missing/gone.iso` },
    });
    assert.equal(accepted.status, 202);
    const failed = await eventually(
      () => service.request('GET', accepted.headers.get('location') ?? ''),
      (r) => r.status === 200,
      'the task to end',
    );
    valid(failed);
    assert.equal(failed.body.TaskState, 'Exception');
    assert.equal(failed.body.TaskStatus, 'Critical');
    assert.equal(failed.body.Messages[0].MessageId, 'TaskEvent.1.0.TaskAborted');
    assert.match(JSON.stringify(failed.body.Messages), /404/);
    const media = valid(await service.request('GET', cd('failing')));
    assert.equal(media.body.Inserted, false);
    assert.equal(media.body.Status.Health, 'Critical');

    const on = await service.request('POST', `${sys('failing')}/Actions/ComputerSystem.Reset`, {
      body: { ResetType: 'On' },
    });
    assert.ok([200, 202, 204].includes(on.status), `Reset On answered ${on.status}`);
    const system = await eventually(
      () => service.request('GET', sys('failing')),
      (r) => r.body.PowerState === 'PoweringOn',
      'a pending power-on',
    );
    assert.equal(system.body.Status.Health, 'Critical');
    const vmi = sim.store.get(Keys.vmi, 'lab-a', 'failing');
    assert.notEqual(
      (vmi?.status as any)?.phase,
      'Running',
      'KubeVirt never boots it without its media',
    );
  });

  it('InsertMedia parameters are checked with the precise Base message', async () => {
    const first = async (body: unknown) => {
      const reply = await service.request('POST', insert('stopped'), { body });
      assert.equal(reply.status, 400, JSON.stringify(reply.body));
      valid(reply);
      return reply.body.error['@Message.ExtendedInfo'][0] as {
        MessageId: string;
        RelatedProperties: string[];
      };
    };
    const missing = await first({});
    assert.equal(missing.MessageId, 'Base.1.22.ActionParameterMissing');
    assert.deepEqual(missing.RelatedProperties, ['#/Image']);
    assert.equal(
      (await first({ Image: 'http://h/a.iso', Bogus: 1 })).MessageId,
      'Base.1.22.ActionParameterUnknown',
    );
    assert.equal(
      (await first({ Image: 'http://h/a.iso', TransferProtocolType: 'NFS' })).MessageId,
      'Base.1.22.ActionParameterValueNotInList',
    );
    assert.equal(
      (await first({ Image: 'ftp://h/a.iso' })).MessageId,
      'Base.1.22.ActionParameterValueNotInList',
    );
    assert.equal(
      (await first({ Image: 'http://h/a.iso', Inserted: false })).MessageId,
      'Base.1.22.ActionParameterValueNotInList',
    );
    assert.equal(
      (await first({ Image: 'http://h/a.iso', WriteProtected: false })).MessageId,
      'Base.1.22.ActionParameterValueNotInList',
    );
    assert.equal(
      (await first({ Image: 'http://h/a.iso', TransferMethod: 'Copy' })).MessageId,
      'Base.1.22.ActionParameterValueNotInList',
    );
    assert.equal(
      (await first({ Image: 'not a url' })).MessageId,
      'Base.1.22.ActionParameterValueError',
    );
    assert.equal(
      (await first({ Image: 'http://h/a.iso', UserName: 'u' })).MessageId,
      'Base.1.22.ActionParameterMissing',
    );
    assert.equal((await first({ Image: 42 })).MessageId, 'Base.1.22.ActionParameterValueTypeError');
  });
});
