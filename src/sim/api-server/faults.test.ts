// Fault switches as the server applies them: dropped watches, forced 410, failing writes,
// outages with Retry-After, refused connections, latency, and request counting.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { TypeKeys } from '../resource-types.ts';
import type { TestApi } from '../testing.ts';
import { minimalVm, startTestApi } from '../testing.ts';

const vms = '/apis/kubevirt.io/v1/namespaces/demo/virtualmachines';
const json = { 'content-type': 'application/json' };

describe('faults', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.server.close());

  it('dropAllWatches ends every open stream cleanly', async () => {
    const a = await api.watch(`${vms}?watch=true`);
    const b = await api.watch('/api/v1/namespaces?watch=true');
    await b.next();
    api.faults.dropAllWatches();
    await Promise.all([a.ended, b.ended]);
  });

  it('expireResourceVersions sends ERROR 410 on open watches and expires older versions', async () => {
    const rv = api.store.currentResourceVersion();
    const w = await api.watch(`${vms}?watch=true&resourceVersion=${rv}`);
    api.store.create(TypeKeys.virtualMachines, minimalVm('before-expiry', 'demo'));
    assert.equal((await w.next())?.type, 'ADDED');
    api.faults.expireResourceVersions();
    const error = await w.next();
    assert.equal(error?.type, 'ERROR');
    assert.equal(error?.object.code, 410);
    await w.ended;
    const again = await api.watch(`${vms}?watch=true&resourceVersion=${rv}`);
    assert.equal((await again.next())?.object.code, 410);
    const fresh = await api.watch(
      `${vms}?watch=true&resourceVersion=${api.store.currentResourceVersion()}`,
    );
    api.store.create(TypeKeys.virtualMachines, minimalVm('after-expiry', 'demo'));
    assert.equal((await fresh.next())?.type, 'ADDED');
    fresh.close();
  });

  it('failNextWrites fails exactly the next k writes with 409 (or the given code)', async () => {
    api.faults.failNextWrites(2);
    const body = JSON.stringify(minimalVm('fw', 'demo'));
    assert.equal((await api.request('GET', vms)).status, 200, 'reads are not affected');
    const first = await api.request('POST', vms, { body, headers: json });
    assert.equal(first.status, 409);
    assert.equal(first.json.reason, 'Conflict');
    assert.equal((await api.request('POST', vms, { body, headers: json })).status, 409);
    assert.equal((await api.request('POST', vms, { body, headers: json })).status, 201);
    api.faults.failNextWrites(1, 500);
    const failed = await api.request('DELETE', `${vms}/fw`);
    assert.equal(failed.status, 500);
    assert.equal(failed.json.reason, 'InternalError');
    assert.ok(api.store.get(TypeKeys.virtualMachines, 'demo', 'fw'));
  });

  it('unavailableFor answers 503 with Retry-After until the period ends', async () => {
    api.faults.unavailableFor(10_000);
    const down = await api.request('GET', vms);
    assert.equal(down.status, 503);
    assert.equal(down.json.reason, 'ServiceUnavailable');
    assert.equal(down.headers['retry-after'], '10');
    await api.clock.advance(10_000);
    assert.equal((await api.request('GET', vms)).status, 200);
  });

  it('refuseConnectionsFor destroys new connections until the period ends', async () => {
    api.faults.refuseConnectionsFor(5_000);
    await assert.rejects(api.request('GET', vms, { headers: { connection: 'close' } }));
    await api.clock.advance(5_000);
    assert.equal((await api.request('GET', vms)).status, 200);
  });

  it('latencyMs holds every answer for that long on the injected clock', async () => {
    api.faults.latencyMs = 2_000;
    let answered = false;
    const pending = api.request('GET', vms).then((r) => {
      answered = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(answered, false);
    await api.clock.advance(2_000);
    assert.equal((await pending).status, 200);
    api.faults.clear();
  });

  it('watchDelayMs delivers watch events that much later, in order', async () => {
    const rv = api.store.currentResourceVersion();
    const w = await api.watch(`${vms}?watch=true&resourceVersion=${rv}`);
    api.faults.watchDelayMs = 1_000;
    api.store.create(TypeKeys.virtualMachines, minimalVm('late-1', 'demo'));
    api.store.create(TypeKeys.virtualMachines, minimalVm('late-2', 'demo'));
    const seen: { first?: { type: string; object: any } | undefined } = {};
    const arriving = w.next().then((event) => (seen.first = event));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(seen.first === undefined, 'nothing before the lag has passed');
    await api.clock.advance(1_000);
    const first = await arriving;
    assert.equal(first?.object.metadata.name, 'late-1');
    assert.equal((await w.next())?.object.metadata.name, 'late-2');
    api.faults.clear();
    w.close();
  });

  it('a change made once the lag is switched off waits behind the events still delayed', async () => {
    const rv = api.store.currentResourceVersion();
    const w = await api.watch(`${vms}?watch=true&resourceVersion=${rv}`);
    api.faults.watchDelayMs = 1_000;
    api.store.create(TypeKeys.virtualMachines, minimalVm('delayed', 'demo'));
    api.faults.watchDelayMs = 0;
    api.store.create(TypeKeys.virtualMachines, minimalVm('prompt', 'demo'));
    const seen: { first?: { type: string; object: any } | undefined } = {};
    const arriving = w.next().then((event) => (seen.first = event));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // A real watch never overtakes: a client would keep the older object as the newest.
    assert.ok(seen.first === undefined, 'the later change did not overtake the delayed one');
    await api.clock.advance(1_000);
    assert.equal((await arriving)?.object.metadata.name, 'delayed');
    assert.equal((await w.next())?.object.metadata.name, 'prompt');
    api.faults.clear();
    w.close();
  });

  it('counts requests by method and path prefix', async () => {
    const before = api.server.requestCount({ method: 'GET', pathPrefix: '/apis/kubevirt.io/' });
    await api.request('GET', vms);
    await api.request('GET', '/version');
    assert.equal(
      api.server.requestCount({ method: 'GET', pathPrefix: '/apis/kubevirt.io/' }),
      before + 1,
    );
    assert.ok(
      api.server.requestCount() > api.server.requestCount({ pathPrefix: '/apis/kubevirt.io/' }),
    );
  });
});
