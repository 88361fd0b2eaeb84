// Issue 11 item 10: InsertMedia refuses image URLs that would make the in-cluster importer fetch
// the metadata service, the API server or cluster-internal services, in any notation, with a 400
// naming Image, and leaves no DataVolume, Secret or VM change behind.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config/load.ts';
import { errorIds } from '../conformance/redfish-errors.ts';
import { defaultConfigYaml, startService, type TestService } from '../helpers/service.ts';

const allowLine = '    allow: ["127.0.0.1"]';
const configYaml = defaultConfigYaml().replace(
  allowLine,
  `${allowLine}\n    deny: ["203.0.113.0/24", "*.blocked.example"]`,
);

const insertPath = (system: string) =>
  `/redfish/v1/Systems/${system}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`;

describe('datavolume.image_url_policy', () => {
  let service: TestService;
  before(async () => {
    assert.match(configYaml, /blocked\.example/, 'the fixture added the deny list');
    service = await startService({ configYaml });
  });
  after(() => service.close());

  const store = () => service.service.simulator!.store;
  const mediaObjects = () => [
    ...store()
      .list('datavolumes.cdi.kubevirt.io', 'demo-a')
      .items.filter((d) => d.metadata.name?.includes('-vmedia-')),
    ...store()
      .list('secrets', 'demo-a')
      .items.filter((s) => s.metadata.name?.includes('-vmedia-')),
  ];
  const vmVersion = () =>
    store().get('virtualmachines.kubevirt.io', 'demo-a', 'db-primary')?.metadata.resourceVersion;

  it('answers 400 ActionParameterValueError on Image and creates nothing', async () => {
    const before = vmVersion();
    for (const image of [
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'http://0xa9fea9fe/latest/meta-data/',
      'http://[::ffff:169.254.169.254]/latest/meta-data/',
      'https://kubernetes.default.svc/api/v1/secrets',
      'https://kubernetes.default.svc.cluster.local./api',
      'http://minio.storage.svc:9000/bucket/x.iso',
      'http://registry/x.iso',
      'http://127.0.0.2/x.iso',
      'http://2130706434/x.iso',
      'http://[::1]/x.iso',
      'http://0/x.iso',
      'http://203.0.113.9/x.iso',
      'http://mirror.blocked.example/x.iso',
    ]) {
      for (const credentials of [{}, { UserName: 'u', Password: 'p' }]) {
        const reply = await service.request(insertPath('demo-a.db-primary'), {
          method: 'POST',
          user: 'admin',
          body: { Image: image, ...credentials },
        });
        assert.deepEqual(errorIds(reply, 400), ['ActionParameterValueError'], image);
        const [info] = reply.body.error['@Message.ExtendedInfo'];
        assert.deepEqual(info.MessageArgs, ['Image', 'VirtualMedia.InsertMedia']);
        assert.deepEqual(info.RelatedProperties, ['#/Image']);
        assert.doesNotMatch(reply.text, /169\.254|kubernetes|minio|blocked/, 'no URL echoed');
      }
    }
    assert.deepEqual(mediaObjects(), [], 'no DataVolume and no credentials Secret');
    assert.equal(vmVersion(), before, 'the VM was not touched');
    const slot = await service.getValid('/redfish/v1/Systems/demo-a.db-primary/VirtualMedia/Cd');
    assert.equal(slot.Inserted, false);
    assert.equal(slot.Image, null);
  });

  it('accepts an allowed loopback image server and ordinary hosts', async () => {
    for (const [system, image] of [
      ['demo-a.legacy-bios', 'http://127.0.0.1:9/boot.iso'],
      ['demo-a.build-runner', 'https://images.example.com/boot.iso'],
    ] as const) {
      const reply = await service.request(insertPath(system), {
        method: 'POST',
        user: 'admin',
        body: { Image: image },
      });
      assert.equal(reply.status, 202, reply.text);
      const dvs = store()
        .list('datavolumes.cdi.kubevirt.io', 'demo-a')
        .items.filter((d) => (d as any).spec.source?.http?.url === image);
      assert.equal(dvs.length, 1, image);
    }
  });

  it('refuses a config whose entries are not hosts or CIDRs, naming the path', () => {
    const bad = defaultConfigYaml().replace(allowLine, '    allow: ["10.0.0.0/33", "a b"]');
    assert.throws(
      () => parseConfig(bad, 'test'),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.length === 2 &&
        error.problems.every((p) => p.startsWith('datavolume.image_url_policy.allow: ')),
    );
  });
});
