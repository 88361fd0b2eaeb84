// Issue 11 items 4 and 5 over HTTP: unknown X-Auth-Tokens cost (almost) nothing on the API
// server and are throttled; an outage answers 503 + Retry-After; a session created while the
// watches are still down after an outage is readable and deletable at once on this replica, and
// ended sessions never count towards the per-user limit. The service runs on a manual clock, so
// informers whose watch failed stay down until the test moves time.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/util/clock.ts';
import { errorIds } from '../conformance/redfish-errors.ts';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import { startService, users, type TestService } from '../helpers/service.ts';

const sessionsUrl = '/redfish/v1/SessionService/Sessions';

void describe('sessions under load and faults', () => {
  let service: TestService;
  const clock = new ManualClock();
  const sim = () => service.service.simulator!;
  /** Lists of Secrets the service sent to the API server so far: token lookups, plus informer
   *  relists (which only a 410 or a start causes; watches are counted apart). */
  const secretReads = async (): Promise<number> => {
    const metric = (await service.service.metrics.registry.getMetricsAsJSON()).find(
      (m) => m.name === 'kube_api_requests_total',
    );
    return (metric?.values ?? [])
      .filter((v) => v.labels.verb === 'list' && v.labels.resource === 'secrets')
      .reduce((sum, v) => sum + v.value, 0);
  };
  const sessionSecrets = () =>
    sim()
      .store.list('secrets', 'kubevirt-redfish')
      .items.filter((s) => s.metadata.labels?.['kubevirt-redfish.io/kind'] === 'session');
  const login = (user: keyof typeof users = 'operator-a') =>
    service.request(sessionsUrl, {
      method: 'POST',
      body: { UserName: user, Password: users[user] },
    });
  const restarts = async (): Promise<number> => {
    const metric = (await service.service.metrics.registry.getMetricsAsJSON()).find(
      (m) => m.name === 'kube_informer_restarts_total',
    );
    return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
  };

  before(async () => {
    service = await startService({ clock });
    await service.waitFor(async () => (await service.request('/readyz')).status === 200);
  });
  after(() => service.close());

  void it('an unknown token costs at most one lookup, and a flood of them is throttled', async () => {
    const created = await login();
    assert.equal(created.status, 201);
    const token = created.headers.get('x-auth-token')!;
    const before = await secretReads();
    for (let i = 0; i < 5; i++)
      assert.equal((await service.request(sessionsUrl, { token })).status, 200);
    const stranger = 'S'.repeat(43);
    for (let i = 0; i < 20; i++) {
      const reply = await service.request(sessionsUrl, { token: stranger });
      assert.deepEqual(errorIds(reply, 401), ['AccessUnauthorized']);
    }
    assert.equal(await secretReads(), before + 1, 'a known token costs none, an unknown one once');
    // Distinct unknown tokens: a few lookups, then 401 with Retry-After and no lookup at all.
    const replies = [];
    for (let i = 0; i < 30; i++)
      replies.push(await service.request(sessionsUrl, { token: `${i}`.padStart(43, 'T') }));
    const lookups = (await secretReads()) - before;
    assert.ok(lookups <= 11, `${lookups} lookups`);
    const last = replies.at(-1)!;
    assert.equal(last.status, 401);
    assert.match(last.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    validateRedfish(last.body);
    // The real session is untouched by the flood.
    assert.equal((await service.request(sessionsUrl, { token })).status, 200);
  });

  void it('during an outage an unknown token answers 503 with Retry-After, a known one works', async () => {
    const created = await login('admin');
    const token = created.headers.get('x-auth-token')!;
    await clock.advance(60_000); // refill the lookup budget of the previous test
    sim().faults.unavailableFor(60_000);
    try {
      const reply = await service.request(sessionsUrl, { token: 'O'.repeat(43) });
      assert.deepEqual(errorIds(reply, 503), ['ServiceTemporarilyUnavailable']);
      assert.match(reply.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
      assert.equal((await service.request(sessionsUrl, { token })).status, 200);
    } finally {
      sim().faults.clear();
    }
  });

  void it('a session made while the watches are down is readable and deletable at once', async () => {
    const before = await restarts();
    sim().faults.unavailableFor(60_000);
    sim().faults.dropAllWatches();
    // Every informer noticed; its next attempt waits for the manual clock, so the watches stay
    // down after the API server is back.
    await service.waitFor(async () => (await restarts()) >= before + 10, 20_000);
    sim().faults.clear();
    const reads = await secretReads();
    // More create/delete rounds than the per-user limit (32): ended sessions must not count.
    for (let i = 0; i < 40; i++) {
      const created = await login();
      assert.equal(created.status, 201, created.text);
      const token = created.headers.get('x-auth-token')!;
      const location = created.headers.get('location')!;
      const read = await service.request(location, { token });
      assert.equal(read.status, 200, read.text);
      validateRedfish(read.body);
      assert.equal(read.body.UserName, 'operator-a');
      const listed = await service.request(sessionsUrl, { token });
      assert.ok(
        listed.body.Members.some((m: { '@odata.id': string }) => m['@odata.id'] === location),
      );
      assert.equal((await service.request(location, { method: 'DELETE', token })).status, 204);
      const after = await service.request(sessionsUrl, { token });
      assert.deepEqual(errorIds(after, 401), ['AccessUnauthorized']);
      const gone = await service.request(location, { user: 'admin' });
      assert.deepEqual(errorIds(gone, 404), ['ResourceNotFound']);
    }
    assert.equal(await secretReads(), reads, 'no lookups: every answer came from this replica');
    // Nothing lingers in the cluster, and after the watches resume nothing reappears.
    const ids = sessionSecrets().map((s) => s.metadata.name);
    await clock.advance(2_000);
    await service.waitFor(async () => (await service.request('/readyz')).status === 200, 20_000);
    const collection = await service.request(sessionsUrl, { user: 'admin' });
    assert.equal(collection.body.Members.length, ids.length);
  });
});
