// The datavolume.* settings of the config reach the DataVolumes virtual media creates.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { defaultConfigYaml, startService, type TestService } from '../helpers/service.ts';

const configYaml = defaultConfigYaml().replace(
  'datavolume:\n  storage_class: ""\n  storage_size: "3Gi"',
  [
    'datavolume:',
    '  storage_class: "fast-ssd"',
    '  storage_size: "5Gi"',
    '  allow_insecure_tls: true',
    '  cert_config_map: "image-ca"',
  ].join('\n'),
);

describe('datavolume settings', () => {
  let service: TestService;
  before(async () => {
    assert.match(configYaml, /allow_insecure_tls: true/, 'the fixture replaced the section');
    service = await startService({ configYaml });
  });
  after(() => service.close());

  const insertInto = async (image: string) => {
    const system = '/redfish/v1/Systems/demo-a.db-primary';
    const reply = await service.request(
      `${system}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`,
      { method: 'POST', user: 'admin', body: { Image: image } },
    );
    assert.equal(reply.status, 202, reply.text);
    const store = service.service.simulator!.store;
    const [dv] = store
      .list('datavolumes.cdi.kubevirt.io', 'demo-a')
      .items.filter((d) => d.metadata.name?.startsWith('db-primary-vmedia-'));
    assert.ok(dv, 'a media DataVolume exists');
    return dv as any;
  };

  it('imports into the configured storage class and size, with the CA ConfigMap and insecure TLS', async () => {
    const dv = await insertInto('https://images.example.com/installer.iso');
    assert.equal(dv.spec.storage.storageClassName, 'fast-ssd');
    assert.equal(dv.spec.storage.resources.requests.storage, '5Gi');
    assert.equal(dv.spec.source.http.url, 'https://images.example.com/installer.iso');
    assert.equal(dv.spec.source.http.certConfigMap, 'image-ca');
    assert.equal(dv.spec.source.http.insecureSkipVerify, true);
    const metrics = { text: await (await fetch(`${service.service.metricsUrl}/metrics`)).text() };
    assert.match(metrics.text, /virtual_media_imports_total\{result="started"\} 1\n/);
  });
});
