// If-Match end to end (issue 11 item 6): the version behind the ETag is the write's precondition
// all the way to the API server, so a write racing another writer answers 412 even while the
// service's watch cache still shows the old object, instead of being retried from a fresh read
// (a lost update).
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { VirtualMachine } from '../../src/kube/types.ts';
import { messageId } from '../../src/redfish/messages.ts';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import { startService, type Reply, type TestService } from '../helpers/service.ts';
import { resetUrl, simulatorOf, storedVm, systemUrl, templateOf, vmKey } from './systems-http.ts';

const ns = 'demo-a';
const id = 'demo-a.db-primary';

/** Another writer (kubectl, a controller) edits the VM behind the service's back. */
const editBehindTheService = (service: TestService, name: string): void => {
  simulatorOf(service).store.mutate(vmKey, ns, name, (draft) => {
    const vm = draft as unknown as VirtualMachine;
    vm.metadata.annotations = {
      ...vm.metadata.annotations,
      'example.com/edited': String(Date.now()),
    };
  });
};

const assertPreconditionFailed = (reply: Reply): void => {
  assert.equal(reply.status, 412, reply.text);
  validateRedfish(reply.body);
  assert.equal(reply.body.error.code, messageId('PreconditionFailed'));
  assert.equal(
    reply.body.error['@Message.ExtendedInfo'][0].MessageId,
    messageId('PreconditionFailed'),
  );
};

void describe('If-Match with a lagging watch', () => {
  let service: TestService;
  before(async () => {
    service = await startService();
  });
  after(() => service.close());

  void it('a boot PATCH with the ETag of an object changed since answers 412 and writes nothing', async () => {
    const seen = await service.request(systemUrl(id), { user: 'admin' });
    const etag = seen.headers.get('etag') ?? '';
    const mode = seen.body.Boot.BootSourceOverrideMode === 'UEFI' ? 'Legacy' : 'UEFI';
    simulatorOf(service).faults.watchDelayMs = 1_000;
    try {
      editBehindTheService(service, 'db-primary');
      const before = storedVm(service, ns, 'db-primary');
      const patch = await service.request(systemUrl(id), {
        method: 'PATCH',
        user: 'admin',
        headers: { 'if-match': etag },
        body: { Boot: { BootSourceOverrideMode: mode } },
      });
      assertPreconditionFailed(patch);
      const after = storedVm(service, ns, 'db-primary');
      assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion, 'no write');
    } finally {
      simulatorOf(service).faults.watchDelayMs = 0;
    }
  });

  void it('a Reset with the ETag of an object changed since answers 412 and starts nothing', async () => {
    const seen = await service.request(systemUrl(id), { user: 'admin' });
    assert.equal(seen.body.PowerState, 'Off');
    simulatorOf(service).faults.watchDelayMs = 1_000;
    try {
      editBehindTheService(service, 'db-primary');
      const before = storedVm(service, ns, 'db-primary');
      const reset = await service.request(resetUrl(id), {
        method: 'POST',
        user: 'admin',
        headers: { 'if-match': seen.headers.get('etag') ?? '' },
        body: { ResetType: 'On' },
      });
      assertPreconditionFailed(reset);
      const after = storedVm(service, ns, 'db-primary');
      assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion, 'no write');
      const status = after.status as { stateChangeRequests?: unknown } | undefined;
      assert.equal(status?.stateChangeRequests, undefined, 'no start requested');
    } finally {
      simulatorOf(service).faults.watchDelayMs = 0;
    }
  });

  void it('SecureBoot and IndicatorLED PATCHes with the ETag of an object changed since answer 412', async () => {
    const secureBoot = `${systemUrl(id)}/SecureBoot`;
    const seenSecureBoot = await service.request(secureBoot, { user: 'admin' });
    const seenSystem = await service.request(systemUrl(id), { user: 'admin' });
    simulatorOf(service).faults.watchDelayMs = 1_000;
    try {
      editBehindTheService(service, 'db-primary');
      const before = storedVm(service, ns, 'db-primary');
      assertPreconditionFailed(
        await service.request(secureBoot, {
          method: 'PATCH',
          user: 'admin',
          headers: { 'if-match': seenSecureBoot.headers.get('etag') ?? '' },
          body: { SecureBootEnable: !seenSecureBoot.body.SecureBootEnable },
        }),
      );
      assertPreconditionFailed(
        await service.request(systemUrl(id), {
          method: 'PATCH',
          user: 'admin',
          headers: { 'if-match': seenSystem.headers.get('etag') ?? '' },
          body: { IndicatorLED: seenSystem.body.IndicatorLED === 'Lit' ? 'Off' : 'Lit' },
        }),
      );
      const after = storedVm(service, ns, 'db-primary');
      assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion, 'no write');
    } finally {
      simulatorOf(service).faults.watchDelayMs = 0;
    }
  });

  void it('the current ETag still writes once the cache has caught up', async () => {
    await service.waitFor(async () => {
      const current = await service.request(systemUrl(id), { user: 'admin' });
      const reply = await service.request(systemUrl(id), {
        method: 'PATCH',
        user: 'admin',
        headers: { 'if-match': current.headers.get('etag') ?? '' },
        body: { Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once' } },
      });
      assert.ok([204, 412].includes(reply.status), reply.text);
      return reply.status === 204;
    });
    const system = await service.getValid(systemUrl(id));
    assert.equal(system.Boot.BootSourceOverrideTarget, 'Pxe');
  });
});

void describe('If-Match on virtual media actions', () => {
  let service: TestService;
  const slot = `${systemUrl(id)}/VirtualMedia/Cd`;
  const dataVolumes = () =>
    simulatorOf(service).store.list('datavolumes.cdi.kubevirt.io', ns).items.length;
  const secrets = () => simulatorOf(service).store.list('secrets', ns).items.length;
  const mediaVolume = () =>
    templateOf(storedVm(service, ns, 'db-primary'))?.volumes?.find((v) => v.dataVolume);
  before(async () => {
    service = await startService();
  });
  after(() => service.close());

  void it('InsertMedia and EjectMedia check the slot ETag', async () => {
    const empty = await service.request(slot, { user: 'admin' });
    const emptyTag = empty.headers.get('etag') ?? '';
    const before = dataVolumes();
    const insert = (tag: string) =>
      service.request(`${slot}/Actions/VirtualMedia.InsertMedia`, {
        method: 'POST',
        user: 'admin',
        headers: { 'if-match': tag },
        body: { Image: 'http://images.example.com/if-match.iso' },
      });
    assert.equal((await insert(emptyTag)).status, 202);
    assert.equal(dataVolumes(), before + 1);
    // The slot changed (it holds an image now): the old tag no longer matches.
    assertPreconditionFailed(await insert(emptyTag));

    const eject = (tag: string) =>
      service.request(`${slot}/Actions/VirtualMedia.EjectMedia`, {
        method: 'POST',
        user: 'admin',
        headers: { 'if-match': tag },
      });
    assertPreconditionFailed(await eject(emptyTag));
    assert.equal(dataVolumes(), before + 1, 'a refused eject deletes nothing');
    const current = await service.request(slot, { user: 'admin' });
    assert.equal((await eject(current.headers.get('etag') ?? '')).status, 204);
    assert.equal(dataVolumes(), before);
  });

  void it('an InsertMedia with the ETag of a VM changed since answers 412 and creates nothing', async () => {
    const seen = await service.request(slot, { user: 'admin' });
    assert.equal(seen.body.Inserted, false, 'the slot starts empty');
    const [volumes, secretCount] = [dataVolumes(), secrets()];
    simulatorOf(service).faults.watchDelayMs = 1_000;
    try {
      editBehindTheService(service, 'db-primary');
      const before = storedVm(service, ns, 'db-primary');
      const insert = await service.request(`${slot}/Actions/VirtualMedia.InsertMedia`, {
        method: 'POST',
        user: 'admin',
        headers: { 'if-match': seen.headers.get('etag') ?? '' },
        body: {
          Image: 'http://images.example.com/lagging.iso',
          UserName: 'reader',
          Password: 'secret-password',
        },
      });
      assertPreconditionFailed(insert);
      const after = storedVm(service, ns, 'db-primary');
      assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion, 'no patch');
      assert.equal(dataVolumes(), volumes, 'no DataVolume');
      assert.equal(secrets(), secretCount, 'no credentials Secret');
    } finally {
      simulatorOf(service).faults.watchDelayMs = 0;
    }
  });

  void it('an EjectMedia with the ETag of a VM changed since answers 412 and detaches nothing', async () => {
    const inserted = await service.request(`${slot}/Actions/VirtualMedia.InsertMedia`, {
      method: 'POST',
      user: 'admin',
      body: { Image: 'http://images.example.com/keep.iso' },
    });
    assert.equal(inserted.status, 202, inserted.text);
    let seen = await service.request(slot, { user: 'admin' });
    // The ETag of the slot once the cache has settled on the inserted image.
    await service.waitFor(async () => {
      const again = await service.request(slot, { user: 'admin' });
      const settled = again.headers.get('etag') === seen.headers.get('etag');
      seen = again;
      return settled && again.body.Inserted === true;
    });
    const volumes = dataVolumes();
    simulatorOf(service).faults.watchDelayMs = 1_000;
    try {
      editBehindTheService(service, 'db-primary');
      const eject = await service.request(`${slot}/Actions/VirtualMedia.EjectMedia`, {
        method: 'POST',
        user: 'admin',
        headers: { 'if-match': seen.headers.get('etag') ?? '' },
      });
      assertPreconditionFailed(eject);
      assert.ok(mediaVolume(), 'the image stays attached');
      assert.equal(dataVolumes(), volumes, 'its DataVolume stays');
    } finally {
      simulatorOf(service).faults.watchDelayMs = 0;
    }
  });
});
