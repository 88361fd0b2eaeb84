// Issue 11 item 11: an image URL's userinfo and query string (a pre-signed X-Amz-Signature) are
// never shown below Administrator — VirtualMedia Image, Tasks, failure messages, system Status —
// and never stored outside the credentials Secret except spec.source.http.url, which CDI must read.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { startService, type TestService, type TestUser } from '../helpers/service.ts';

const signature = 'X-Amz-Signature=0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const password = 'iso-pa55-word';
const insertPath = (system: string) =>
  `/redfish/v1/Systems/${system}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`;

describe('image URL secrets', () => {
  let service: TestService;
  before(async () => {
    service = await startService();
  });
  after(() => service.close());

  const store = () => service.service.simulator!.store;
  const insert = async (system: string, image: string) => {
    const reply = await service.request(insertPath(system), {
      method: 'POST',
      user: 'admin',
      body: { Image: image },
    });
    assert.equal(reply.status, 202, reply.text);
  };
  /** Every body `user` can read about the system: both VirtualMedia views, the system, tasks. */
  const visibleBodies = async (user: TestUser, system: string): Promise<any[]> => {
    const manager = `/redfish/v1/Managers/${system}`;
    const paths = [
      `/redfish/v1/Systems/${system}/VirtualMedia/Cd`,
      `${manager}/VirtualMedia/Cd`,
      `/redfish/v1/Systems/${system}`,
    ];
    const tasks = await service.getValid('/redfish/v1/TaskService/Tasks', user);
    for (const member of tasks.Members as { '@odata.id': string }[])
      paths.push(member['@odata.id']);
    const bodies = [];
    for (const path of paths) bodies.push(await service.getValid(path, user));
    return bodies;
  };

  it('shows the query to Administrators only, and userinfo to nobody', async () => {
    const image = `https://isouser:${password}@images.example.com/rhcos.iso?${signature}&X-Amz-Expires=900`;
    await insert('demo-b.app-server-1', image);
    const path = '/redfish/v1/Systems/demo-b.app-server-1/VirtualMedia/Cd';
    await service.waitFor(async () => (await service.getValid(path)).Inserted === true);

    const admin = await service.getValid(path, 'admin');
    assert.equal(
      admin.Image,
      `https://images.example.com/rhcos.iso?${signature}&X-Amz-Expires=900`,
    );
    const viewer = await visibleBodies('viewer-b', 'demo-b.app-server-1');
    const seen = JSON.stringify(viewer);
    assert.doesNotMatch(seen, /0f1e2d3c4b5a|X-Amz-Expires=900|iso-pa55|isouser/);
    assert.equal(
      viewer[0].Image,
      'https://images.example.com/rhcos.iso?X-Amz-Signature=REDACTED&X-Amz-Expires=REDACTED',
    );
    assert.equal(viewer[0].ImageName, 'rhcos.iso');

    // Stored: the Secret holds the userinfo; only the DataVolume spec holds the query.
    const [dv] = store()
      .list('datavolumes.cdi.kubevirt.io', 'demo-b')
      .items.filter((d) => d.metadata.name?.startsWith('app-server-1-vmedia-')) as any[];
    assert.ok(dv);
    assert.match(dv.spec.source.http.url, /0f1e2d3c4b5a/);
    assert.doesNotMatch(JSON.stringify(dv.spec), /iso-pa55|isouser/);
    assert.doesNotMatch(JSON.stringify(dv.metadata), /0f1e2d3c4b5a|iso-pa55/);
    const secret = store().get('secrets', 'demo-b', dv.spec.source.http.secretRef) as any;
    assert.equal(Buffer.from(secret.data.secretKey, 'base64').toString(), password);
    const vm = store().get('virtualmachines.kubevirt.io', 'demo-b', 'app-server-1');
    assert.doesNotMatch(JSON.stringify(vm), /0f1e2d3c4b5a|iso-pa55/);
  });

  it('redacts the URL the importer quotes in a failure for everyone below Administrator', async () => {
    // Nothing listens on port 9: the simulated importer fails like CDI, quoting the URL.
    const image = `http://127.0.0.1:9/missing.iso?${signature}`;
    await insert('demo-a.legacy-bios', image);
    const path = '/redfish/v1/Systems/demo-a.legacy-bios/VirtualMedia/Cd';
    await service.waitFor(async () => (await service.getValid(path)).Status.Health === 'Critical');

    const admin = await service.getValid(path, 'admin');
    assert.match(admin.Image, /0f1e2d3c4b5a/);
    const message = JSON.stringify(admin.Status.Conditions);
    assert.match(message, /127\.0\.0\.1:9\/missing\.iso\?X-Amz-Signature=REDACTED/);
    const operator = JSON.stringify(await visibleBodies('operator-a', 'demo-a.legacy-bios'));
    assert.doesNotMatch(operator, /0f1e2d3c4b5a/);
    assert.match(operator, /X-Amz-Signature=REDACTED/);
  });
});
