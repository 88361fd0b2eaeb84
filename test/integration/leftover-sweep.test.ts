// Issue 11 item 12: a kill during a credentialed InsertMedia leaves a credentials Secret without
// its DataVolume, or a DataVolume the VM never referenced. The replica holding the leader Lease
// removes such leftovers (and those of VMs that are gone) once they are older than an insert can
// take, and never touches media in use or session Secrets. Of two service instances on one
// cluster exactly one leads; when it shuts down the other takes over.
import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serve, type RunningService } from '../../src/cli/serve.ts';
import { buildMediaDataVolume, buildMediaSecret } from '../../src/kube/media-manifests.ts';
import { mediaDataVolumeName } from '../../src/kube/media-naming.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { KubeObject } from '../../src/sim/types.ts';
import { systemClock, type Clock } from '../../src/util/clock.ts';
import { startService, type TestService } from '../helpers/service.ts';

const dvKey = 'datavolumes.cdi.kubevirt.io';
const fast = { retryPeriodMs: 100, leaseDurationMs: 1_000, leftoverIntervalMs: 100 };

describe('leftover sweep and leadership', () => {
  let offsetMs = 0;
  /** The service's clock: real time, moved forward when the test says "much later". */
  const clock: Clock = {
    now: () => Date.now() + offsetMs,
    setTimeout: (callback, ms) => systemClock.setTimeout(callback, ms),
  };
  let service: TestService;
  before(async () => {
    service = await startService({ clock, background: fast });
  });
  after(() => service.close());

  const store = () => service.service.simulator!.store;
  const vm = (name: string) => {
    const object = store().get('virtualmachines.kubevirt.io', 'demo-a', name);
    assert.ok(object?.metadata.uid);
    return { name, namespace: 'demo-a', uid: object.metadata.uid };
  };
  /** Writes an object exactly as an interrupted insert left it. */
  const leave = (object: object) => {
    const typed = object as KubeObject;
    store().create(typed.kind === 'Secret' ? 'secrets' : dvKey, typed);
    return typed.metadata.name ?? '';
  };
  const exists = (key: string, name: string) => store().get(key, 'demo-a', name) !== undefined;
  const storage = { size: '1Gi' };
  const dataVolume = (owner: ReturnType<typeof vm>, url: string) =>
    buildMediaDataVolume({
      name: mediaDataVolumeName(owner.name, owner.uid, url),
      vm: owner,
      url,
      withCredentials: true,
      storage,
      insertedAt: new Date().toISOString(),
      insertedBy: 'admin',
      writeProtected: true,
    });
  const secretFor = (owner: ReturnType<typeof vm>, url: string) =>
    buildMediaSecret({
      dataVolumeName: mediaDataVolumeName(owner.name, owner.uid, url),
      vm: owner,
      username: 'u',
      password: 'p',
    });

  it('removes what interrupted inserts left once it is old enough, and nothing in use', async () => {
    await service.waitFor(() => service.service.leader.isLeader());
    const inserted = await service.request(
      '/redfish/v1/Systems/demo-a.db-primary/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia',
      {
        method: 'POST',
        user: 'admin',
        body: { Image: 'https://images.example.com/in-use.iso', UserName: 'u', Password: 'p' },
      },
    );
    assert.equal(inserted.status, 202, inserted.text);
    const inUse = mediaDataVolumeName(
      'db-primary',
      vm('db-primary').uid,
      'https://images.example.com/in-use.iso',
    );
    const login = await service.request('/redfish/v1/SessionService/Sessions', {
      method: 'POST',
      body: { UserName: 'admin', Password: 'admin-password' },
    });
    assert.equal(login.status, 201);
    const sessionSecrets = () => store().list('secrets', 'kubevirt-redfish').items.length;
    const sessionsBefore = sessionSecrets();

    // Killed after the Secret, before the DataVolume.
    const lonelySecret = leave(secretFor(vm('legacy-bios'), 'https://images.example.com/a.iso'));
    // Killed after the DataVolume, before the VM patch (its Secret came first).
    const url = 'https://images.example.com/b.iso';
    const unattached = leave(dataVolume(vm('build-runner'), url));
    const unattachedSecret = leave(secretFor(vm('build-runner'), url));
    // Left behind for a VM that no longer exists.
    const gone = { name: 'gone', namespace: 'demo-a', uid: '0b5e7c1e-0000-4000-8000-00000000dead' };
    const goneDv = leave(dataVolume(gone, url));
    const goneSecret = leave(secretFor(gone, url));
    const leftovers: [string, string][] = [
      ['secrets', lonelySecret],
      [dvKey, unattached],
      ['secrets', unattachedSecret],
      [dvKey, goneDv],
      ['secrets', goneSecret],
    ];

    // Several sweeps run (every 100 ms) while the objects may still be an insert in flight.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const [key, name] of leftovers) assert.ok(exists(key, name), `${name} kept while young`);

    offsetMs = 11 * 60_000;
    await service.waitFor(() => leftovers.every(([key, name]) => !exists(key, name)));
    assert.ok(exists(dvKey, inUse), 'the attached DataVolume stays');
    assert.ok(exists('secrets', `${inUse}-auth`), 'its credentials Secret stays');
    assert.equal(sessionSecrets(), sessionsBefore, 'session Secrets are not media leftovers');
    const slot = await service.getValid('/redfish/v1/Systems/demo-a.db-primary/VirtualMedia/Cd');
    assert.equal(slot.Image, 'https://images.example.com/in-use.iso');
  });

  it('lets exactly one of two instances lead and hands over when the leader stops', async () => {
    const kubeconfigPath = join(service.configPath, '..', 'kubeconfig.yaml');
    await writeFile(kubeconfigPath, service.service.simulator!.kubeconfig());
    let second: RunningService | undefined = await serve({
      configPath: service.configPath,
      kubeconfigPath,
      simulate: false,
      port: 0,
      host: '127.0.0.1',
      logger: createLogger({ level: 'silent' }),
      clock,
      background: fast,
    });
    try {
      const first = service.service;
      await service.waitFor(() => first.leader.isLeader() || second!.leader.isLeader());
      for (let i = 0; i < 10; i++) {
        assert.equal(Number(first.leader.isLeader()) + Number(second.leader.isLeader()), 1);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const [leader, follower] = first.leader.isLeader() ? [first, second] : [second, first];
      await leader.leader.stop();
      await service.waitFor(() => follower.leader.isLeader());
      assert.ok(!leader.leader.isLeader());
      if (leader === second) {
        await second.close();
        second = undefined;
      }
    } finally {
      await second?.close();
    }
  });
});
