// A client that writes and at once reads sees its write, even when the watch cache lags behind
// the API server (Ironic PATCHes the boot mode and re-reads it straight away; redfishtool polls
// the task monitor right after the 202).
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import { startService, type TestService } from '../helpers/service.ts';

const system = '/redfish/v1/Systems/demo-a.db-primary';
const slot = `${system}/VirtualMedia/Cd`;

describe('read-your-writes with a lagging watch', () => {
  let service: TestService;
  before(async () => {
    service = await startService();
    service.service.simulator!.faults.watchDelayMs = 400;
  });
  after(() => service.close());

  it('a boot mode PATCH reads back at once', async () => {
    const before = await service.getValid(system);
    const mode = before.Boot.BootSourceOverrideMode === 'UEFI' ? 'Legacy' : 'UEFI';
    const patch = await service.request(system, {
      method: 'PATCH',
      user: 'admin',
      body: { Boot: { BootSourceOverrideMode: mode } },
    });
    assert.equal(patch.status, 204, patch.text);
    const after = await service.getValid(system);
    assert.equal(after.Boot.BootSourceOverrideMode, mode);
  });

  it('the task monitor of a fresh insert answers at once, and an eject reads back empty', async () => {
    const insert = await service.request(`${slot}/Actions/VirtualMedia.InsertMedia`, {
      method: 'POST',
      user: 'admin',
      body: { Image: 'http://images.example.com/lag.iso' },
    });
    assert.equal(insert.status, 202, insert.text);
    const monitor = await service.request(insert.headers.get('location') ?? '', { user: 'admin' });
    assert.ok([200, 202].includes(monitor.status), `monitor answered ${monitor.status}`);
    validateRedfish(monitor.body);
    const media = await service.getValid(slot);
    assert.equal(media.Image, 'http://images.example.com/lag.iso');

    const eject = await service.request(`${slot}/Actions/VirtualMedia.EjectMedia`, {
      method: 'POST',
      user: 'admin',
    });
    assert.equal(eject.status, 204, eject.text);
    const empty = await service.getValid(slot);
    assert.equal(empty.Inserted, false);
    assert.ok(empty.Image === null || empty.Image === undefined, `Image is ${empty.Image}`);
  });
});
