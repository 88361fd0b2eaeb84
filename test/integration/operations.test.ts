// Probes and metrics of the running service (deployment.md): /healthz, /readyz, /metrics on its
// own port (server.metrics_port), and the documented probe path /redfish/v1/ without credentials.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load.ts';
import { defaultConfigYaml, startService, type TestService } from '../helpers/service.ts';

describe('operational endpoints', () => {
  let service: TestService;
  before(async () => {
    service = await startService();
  });
  after(() => service.close());

  it('answers liveness and readiness without credentials', async () => {
    const live = await service.request('/healthz');
    assert.equal(live.status, 200);
    await service.waitFor(async () => (await service.request('/readyz')).status === 200);
    const probe = await service.request('/redfish/v1/');
    assert.equal(probe.status, 200);
  });

  it('reports not ready while the Kubernetes API is unreachable', async () => {
    const sim = service.service.simulator!;
    sim.faults.unavailableFor(60_000);
    sim.faults.dropAllWatches();
    try {
      // Not at once: a watch drop shorter than 10 s keeps serving from the cache.
      await service.waitFor(async () => (await service.request('/readyz')).status === 503, 30_000);
      const reply = await service.request('/readyz');
      assert.equal(reply.headers.get('retry-after'), '5');
    } finally {
      sim.faults.clear();
    }
    await service.waitFor(async () => (await service.request('/readyz')).status === 200, 20_000);
  });

  it('exports request, Kubernetes and informer metrics in Prometheus text on their own port', async () => {
    await service.request('/redfish/v1/Systems', { user: 'admin' });
    const reply = await fetch(`${service.service.metricsUrl}/metrics`);
    const text = await reply.text();
    assert.equal(reply.status, 200);
    assert.match(reply.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(
      text,
      /redfish_http_requests_total\{[^}]*route="\/redfish\/v1\/Systems"[^}]*\} \d+/,
    );
    assert.match(text, /kube_api_requests_total\{/);
    assert.match(text, /kube_informer_synced\{resource="virtualmachines\.kubevirt\.io"\} 1/);
  });

  it('reports the package version as every Manager FirmwareVersion', async () => {
    const { version } = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    const managers = await service.getValid('/redfish/v1/Managers');
    assert.ok(managers.Members.length > 0);
    for (const { '@odata.id': id } of managers.Members as { '@odata.id': string }[])
      assert.equal((await service.getValid(id)).FirmwareVersion, version);
  });

  it('keeps /metrics off the Redfish port, and serves nothing else on the metrics port', async () => {
    const onRedfishPort = await service.request('/metrics');
    assert.equal(onRedfishPort.status, 404);
    assert.doesNotMatch(onRedfishPort.text, /redfish_http_requests_total/);
    assert.notEqual(new URL(service.service.metricsUrl).port, new URL(service.url).port);
    const other = await fetch(`${service.service.metricsUrl}/redfish/v1/`);
    assert.equal(other.status, 404);
    const post = await fetch(`${service.service.metricsUrl}/metrics`, { method: 'POST' });
    assert.equal(post.status, 405);
  });
});

describe('server.metrics_port', () => {
  const load = (server: string) =>
    parseConfig(defaultConfigYaml().replace('  port: 8443\n', `  port: 8443\n${server}`), 't.yaml');
  it('defaults to 9090 and takes another port', () => {
    assert.equal(load('').config.server.metricsPort, 9090);
    assert.equal(load('  metrics_port: 9100\n').config.server.metricsPort, 9100);
  });
  it('rejects a value that is not a port, naming the key', () => {
    assert.throws(
      () => load('  metrics_port: 70000\n'),
      /server\.metrics_port: expected an integer port between 1 and 65535/,
    );
  });
});
