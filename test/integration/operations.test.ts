// Probes and metrics of the running service (deployment.md): /healthz, /readyz, /metrics, and the
// documented probe path /redfish/v1/ without credentials.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { startService, type TestService } from '../helpers/service.ts';

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

  it('exports request, Kubernetes and informer metrics in Prometheus text', async () => {
    await service.request('/redfish/v1/Systems', { user: 'admin' });
    const reply = await service.request('/metrics');
    assert.equal(reply.status, 200);
    assert.match(reply.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(
      reply.text,
      /redfish_http_requests_total\{[^}]*route="\/redfish\/v1\/Systems"[^}]*\} \d+/,
    );
    assert.match(reply.text, /kube_api_requests_total\{/);
    assert.match(reply.text, /kube_informer_synced\{resource="virtualmachines\.kubevirt\.io"\} 1/);
  });
});
