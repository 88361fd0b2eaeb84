// Watch streams over HTTP: initial ADDED, resume from a resourceVersion, selector transitions,
// bookmarks, WatchList, timeoutSeconds, Table events and 410 Expired.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { TypeKeys } from '../resource-types.ts';
import type { TestApi } from '../testing.ts';
import { minimalVm, startTestApi } from '../testing.ts';

const VM = TypeKeys.virtualMachines;
const vms = '/apis/kubevirt.io/v1/namespaces/demo/virtualmachines';

describe('watch', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ watchWindow: 50 });
  });
  after(() => api.server.close());

  it('starts with ADDED for current objects, then streams changes as chunked NDJSON', async () => {
    api.store.create(VM, minimalVm('w1', 'demo', { suite: 'w' }));
    const w = await api.watch(`${vms}?watch=true&labelSelector=suite%3Dw`);
    assert.equal(w.status, 200);
    const first = await w.next();
    assert.equal(first?.type, 'ADDED');
    assert.equal(first?.object.metadata.name, 'w1');
    api.store.mutate(VM, 'demo', 'w1', (d) => {
      d.metadata.annotations = { a: 'b' };
    });
    assert.equal((await w.next())?.type, 'MODIFIED');
    api.store.mutate(VM, 'demo', 'w1', (d) => {
      d.metadata.labels = {};
    });
    const left = await w.next();
    assert.equal(left?.type, 'DELETED', 'leaving the selection reads as DELETED');
    api.store.mutate(VM, 'demo', 'w1', (d) => {
      d.metadata.labels = { suite: 'w' };
    });
    assert.equal((await w.next())?.type, 'ADDED', 'entering the selection reads as ADDED');
    const deleted = api.store.delete(VM, 'demo', 'w1');
    const gone = await w.next();
    assert.equal(gone?.type, 'DELETED');
    assert.ok(
      Number(gone?.object.metadata.resourceVersion) > Number(deleted.metadata.resourceVersion),
    );
    w.close();
  });

  it('resumes from a resourceVersion without replaying older events', async () => {
    api.store.create(VM, minimalVm('r1', 'demo'));
    const rv = api.store.currentResourceVersion();
    api.store.create(VM, minimalVm('r2', 'demo'));
    const w = await api.watch(`${vms}?watch=1&resourceVersion=${rv}`);
    const event = await w.next();
    assert.equal(event?.type, 'ADDED');
    assert.equal(event?.object.metadata.name, 'r2');
    w.close();
  });

  it('sends an ERROR 410 Expired event for a compacted resourceVersion and ends the stream', async () => {
    const w = await api.watch(`${vms}?watch=true&resourceVersion=1`);
    assert.equal(w.status, 200);
    for (let i = 0; i < 60; i += 1)
      api.store.create('configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `c${i}`, namespace: 'demo' },
      });
    w.close();
    const old = await api.watch(`${vms}?watch=true&resourceVersion=2`);
    const error = await old.next();
    assert.equal(error?.type, 'ERROR');
    assert.equal(error?.object.code, 410);
    assert.equal(error?.object.reason, 'Expired');
    assert.match(error?.object.message, /^too old resource version: 2 \(\d+\)$/);
    await old.ended;
  });

  it('sends bookmarks when allowed and ends after timeoutSeconds', async () => {
    const w = await api.watch(
      `${vms}?watch=true&resourceVersion=${api.store.currentResourceVersion()}&allowWatchBookmarks=true&timeoutSeconds=90`,
    );
    await api.clock.advance(60_000);
    const bookmark = await w.next();
    assert.equal(bookmark?.type, 'BOOKMARK');
    assert.deepEqual(Object.keys(bookmark?.object), ['kind', 'apiVersion', 'metadata']);
    assert.equal(bookmark?.object.metadata.resourceVersion, api.store.currentResourceVersion());
    await api.clock.advance(30_000);
    await w.ended;
    assert.equal(await w.next(), undefined);
  });

  it('serves WatchList: initial ADDED events then the initial-events-end bookmark', async () => {
    api.store.create(VM, minimalVm('wl', 'demo', { suite: 'wl' }));
    const w = await api.watch(
      `${vms}?watch=true&labelSelector=suite%3Dwl&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
    );
    assert.equal((await w.next())?.object.metadata.name, 'wl');
    const end = await w.next();
    assert.equal(end?.type, 'BOOKMARK');
    assert.deepEqual(end?.object.metadata.annotations, { 'k8s.io/initial-events-end': 'true' });
    w.close();
  });

  it('streams one-row Tables when asked (kubectl get -w), columns only in the first', async () => {
    api.store.create(VM, minimalVm('tw', 'demo', { suite: 'tw' }));
    const w = await api.watch(`${vms}?watch=true&labelSelector=suite%3Dtw`, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    });
    const first = await w.next();
    assert.equal(first?.object.kind, 'Table');
    assert.equal(first?.object.rows[0].cells[0], 'tw');
    assert.ok(first?.object.columnDefinitions.length > 0);
    api.store.mutate(VM, 'demo', 'tw', (d) => {
      d.metadata.annotations = { x: 'y' };
    });
    const second = await w.next();
    assert.equal(second?.type, 'MODIFIED');
    assert.deepEqual(second?.object.columnDefinitions, []);
    w.close();
  });
});
