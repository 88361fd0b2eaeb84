// dryRun=All on every write verb: admitted and answered as if persisted, nothing stored and no
// watch event; bad dryRun, fieldValidation, force and fieldManager options answered with the API
// server's 422.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { TypeKeys } from '../../src/sim/resource-types.ts';
import type { TestApi } from '../../src/sim/testing.ts';
import { minimalVm, startTestApi } from '../../src/sim/testing.ts';

const vms = '/apis/kubevirt.io/v1/namespaces/demo/virtualmachines';
const secrets = '/api/v1/namespaces/demo/secrets';
const json = { 'content-type': 'application/json' };
const VM = TypeKeys.virtualMachines;

describe('dryRun=All', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
    api.store.create(VM, minimalVm('kept', 'demo'));
  });
  after(() => api.server.close());

  /** Runs `write` and asserts that the store did not move. */
  const unchanged = async <T>(write: () => Promise<T>): Promise<T> => {
    const before = api.store.currentResourceVersion();
    const result = await write();
    assert.equal(api.store.currentResourceVersion(), before, 'a dry run stored something');
    return result;
  };

  it('create answers 201 with a uid but no resourceVersion, and stores nothing', async () => {
    const res = await unchanged(() =>
      api.request('POST', `${vms}?dryRun=All`, {
        body: JSON.stringify(minimalVm('dry', 'demo')),
        headers: json,
      }),
    );
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.metadata.name, 'dry');
    assert.match(res.json.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.ok(res.json.metadata.creationTimestamp);
    assert.equal(res.json.metadata.resourceVersion, undefined);
    // The mutating webhook still ran.
    assert.ok(res.json.spec.template.spec.domain.firmware.uuid);
    assert.equal(api.store.get(VM, 'demo', 'dry'), undefined);
  });

  it('create still runs admission: an invalid object is refused as without dryRun', async () => {
    const bad = { ...minimalVm('Bad_Name', 'demo') };
    const res = await unchanged(() =>
      api.request('POST', `${vms}?dryRun=All`, { body: JSON.stringify(bad), headers: json }),
    );
    assert.equal(res.status, 422);
    assert.equal(res.json.reason, 'Invalid');
    const exists = await unchanged(() =>
      api.request('POST', `${vms}?dryRun=All`, {
        body: JSON.stringify(minimalVm('kept', 'demo')),
        headers: json,
      }),
    );
    assert.equal(exists.status, 409);
    assert.equal(exists.json.reason, 'AlreadyExists');
  });

  it('update and patch answer the changed object, the stored one stays', async () => {
    const current = api.store.get(VM, 'demo', 'kept');
    const changed = { ...current, metadata: { ...current?.metadata, labels: { a: 'b' } } };
    const put = await unchanged(() =>
      api.request('PUT', `${vms}/kept?dryRun=All`, {
        body: JSON.stringify(changed),
        headers: json,
      }),
    );
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.json.metadata.labels, { a: 'b' });
    const patch = await unchanged(() =>
      api.request('PATCH', `${vms}/kept?dryRun=All`, {
        body: JSON.stringify({ metadata: { labels: { c: 'd' } } }),
        headers: { 'content-type': 'application/merge-patch+json' },
      }),
    );
    assert.equal(patch.status, 200, patch.text);
    assert.deepEqual(patch.json.metadata.labels, { c: 'd' });
    assert.equal(api.store.get(VM, 'demo', 'kept')?.metadata.labels, undefined);
  });

  it('server-side apply of a missing object answers 201 and creates nothing', async () => {
    const res = await unchanged(() =>
      api.request('PATCH', `${secrets}/applied?dryRun=All&fieldManager=test`, {
        body: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'applied' } }),
        headers: { 'content-type': 'application/apply-patch+yaml' },
      }),
    );
    assert.equal(res.status, 201, res.text);
    assert.equal(api.store.get(TypeKeys.secrets, 'demo', 'applied'), undefined);
  });

  it('delete, with dryRun in the query or in DeleteOptions, removes nothing', async () => {
    const query = await unchanged(() => api.request('DELETE', `${vms}/kept?dryRun=All`));
    assert.equal(query.status, 200, query.text);
    assert.equal(query.json.metadata.name, 'kept');
    const body = await unchanged(() =>
      api.request('DELETE', `${vms}/kept`, {
        body: JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'] }),
        headers: json,
      }),
    );
    assert.equal(body.status, 200, body.text);
    const collection = await unchanged(() => api.request('DELETE', `${vms}?dryRun=All`));
    assert.equal(collection.status, 200, collection.text);
    assert.deepEqual(
      collection.json.items.map((o: { metadata: { name: string } }) => o.metadata.name),
      ['kept'],
    );
    assert.ok(api.store.get(VM, 'demo', 'kept'));
  });

  it('a finalizer-held object answers with a deletionTimestamp and keeps none', async () => {
    api.store.create(TypeKeys.secrets, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'held', namespace: 'demo', finalizers: ['example.com/hold'] },
    });
    const res = await unchanged(() => api.request('DELETE', `${secrets}/held?dryRun=All`));
    assert.equal(res.status, 200, res.text);
    assert.ok(res.json.metadata.deletionTimestamp);
    assert.equal(
      api.store.get(TypeKeys.secrets, 'demo', 'held')?.metadata.deletionTimestamp,
      undefined,
    );
  });

  it('refuses unknown dryRun and fieldValidation values with 422 Invalid', async () => {
    const res = await unchanged(() =>
      api.request('POST', `${vms}?dryRun=Some&fieldValidation=Loose`, {
        body: JSON.stringify(minimalVm('x', 'demo')),
        headers: json,
      }),
    );
    assert.equal(res.status, 422);
    assert.deepEqual(res.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'CreateOptions.meta.k8s.io "" is invalid: [dryRun: Unsupported value: []string{"Some"}: supported values: "All", fieldValidation: Unsupported value: "Loose": supported values: "", "Ignore", "Strict", "Warn"]',
      reason: 'Invalid',
      details: {
        group: 'meta.k8s.io',
        kind: 'CreateOptions',
        causes: [
          {
            reason: 'FieldValueNotSupported',
            message: 'Unsupported value: []string{"Some"}: supported values: "All"',
            field: 'dryRun',
          },
          {
            reason: 'FieldValueNotSupported',
            message: 'Unsupported value: "Loose": supported values: "", "Ignore", "Strict", "Warn"',
            field: 'fieldValidation',
          },
        ],
      },
      code: 422,
    });
    const del = await unchanged(() =>
      api.request('DELETE', `${vms}/kept`, {
        body: JSON.stringify({ dryRun: ['Nope'] }),
        headers: json,
      }),
    );
    assert.equal(del.status, 422);
    assert.match(del.json.message, /^DeleteOptions\.meta\.k8s\.io "" is invalid: dryRun/);
  });

  it('PatchOptions: force only with apply, fieldManager required by apply', async () => {
    const merge = await unchanged(() =>
      api.request('PATCH', `${vms}/kept?force=true&dryRun=x`, {
        body: '{}',
        headers: { 'content-type': 'application/merge-patch+json' },
      }),
    );
    assert.equal(merge.status, 422);
    assert.equal(
      merge.json.message,
      'PatchOptions.meta.k8s.io "" is invalid: [force: Forbidden: may not be specified for non-apply patch, dryRun: Unsupported value: []string{"x"}: supported values: "All"]',
    );
    const apply = await unchanged(() =>
      api.request('PATCH', `${vms}/kept?force=true`, {
        body: '{}',
        headers: { 'content-type': 'application/apply-patch+yaml' },
      }),
    );
    assert.equal(
      apply.json.message,
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
  });
});
