// Issue 11 item 15 over HTTP: a short watch drop keeps answering from the cache, a long outage
// answers 503 + Retry-After, and serving resumes within 2 s of the API server's return. The
// service runs on a manual clock, so "10 s" and "2 s" are clock steps, not sleeps.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/util/clock.ts';
import { errorIds } from '../conformance/redfish-errors.ts';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import { startService, type TestService } from '../helpers/service.ts';

const systems = '/redfish/v1/Systems';

void describe('recovery from API outages', () => {
  let service: TestService;
  const clock = new ManualClock();
  /** Restarts counted so far: each informer whose watch fails counts one and then waits for
   *  the manual clock, so "every informer noticed" is a count, not a sleep. */
  const restarts = async (): Promise<number> => {
    const metric = (await service.service.metrics.registry.getMetricsAsJSON()).find(
      (m) => m.name === 'kube_informer_restarts_total',
    );
    return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
  };
  /** VMs, VMIs, DataVolumes, PVCs of demo-a and demo-b; the session and settings stores. */
  const informers = 10;

  before(async () => {
    service = await startService({ clock });
    await service.waitFor(async () => (await service.request('/readyz')).status === 200);
  });
  after(() => service.close());

  void it('serves from the cache through a short drop, 503 after 10 s, again 2 s after the return', async () => {
    const sim = service.service.simulator!;
    const cached = await service.getValid(systems);
    const before = await restarts();
    sim.faults.refuseConnectionsFor(3_600_000);
    sim.faults.dropAllWatches();
    await service.waitFor(async () => (await restarts()) >= before + informers, 20_000);

    await clock.advance(9_000);
    const during = await service.request(systems, { user: 'admin' });
    assert.equal(during.status, 200, 'a drop under 10 s answers from the cache');
    validateRedfish(during.body);
    assert.deepEqual(during.body.Members, cached.Members);
    assert.equal((await service.request('/readyz')).status, 200);

    await clock.advance(1_500);
    const stale = await service.request(systems, { user: 'admin' });
    assert.deepEqual(errorIds(stale, 503), ['ServiceTemporarilyUnavailable']);
    assert.match(stale.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    assert.equal((await service.request('/readyz')).status, 503);

    // A long outage: many failed attempts, which must not push the next one far out.
    for (let i = 0; i < 20; i++) await clock.advance(1_500);
    sim.faults.clear();
    // The clock moves 2 s and no further: only retries due within 2 s can bring it back.
    await clock.advance(2_000);
    await service.waitFor(
      async () => (await service.request(systems, { user: 'admin' })).status === 200,
      20_000,
    );
    assert.equal((await service.request('/readyz')).status, 200);
  });
});
