// The API server over HTTP: discovery, CRUD status codes and bodies, lists and pagination,
// tables, kubevirt subresource routing and every bad-input case.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { TypeKeys } from '../resource-types.ts';
import type { HttpResult, TestApi } from '../testing.ts';
import { minimalVm, startTestApi } from '../testing.ts';
import { StatusError } from '../types.ts';

const vms = '/apis/kubevirt.io/v1/namespaces/demo/virtualmachines';
const json = { 'content-type': 'application/json' };

interface Entry {
  name?: string;
  namespaced?: boolean;
  metadata?: { name: string };
}
/** Names of list items, discovery entries or column definitions. */
const names = (list: unknown): string[] =>
  (list as Entry[]).map((x) => x.metadata?.name ?? x.name ?? '');
const entries = (list: unknown): Entry[] => list as Entry[];

describe('API server', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.server.close());

  const create = (name: string, labels?: Record<string, string>) =>
    api.request('POST', vms, {
      body: JSON.stringify(minimalVm(name, 'demo', labels)),
      headers: json,
    });
  const assertStatus = (
    res: HttpResult,
    code: number,
    reason: string,
    message?: string | RegExp,
  ) => {
    assert.equal(res.status, code, JSON.stringify(res.json));
    assert.equal(res.json.kind, 'Status');
    assert.equal(res.json.apiVersion, 'v1');
    assert.equal(res.json.status, 'Failure');
    assert.equal(res.json.code, code);
    assert.equal(res.json.reason, reason);
    if (typeof message === 'string') assert.equal(res.json.message, message);
    else if (message) assert.match(res.json.message, message);
  };

  it('serves discovery and OpenAPI documents', async () => {
    const groups = await api.request('GET', '/apis');
    assert.deepEqual(names(groups.json.groups).sort(), [
      'apps',
      'authorization.k8s.io',
      'cdi.kubevirt.io',
      'coordination.k8s.io',
      'instancetype.kubevirt.io',
      'kubevirt.io',
      'metal3.io',
      'monitoring.coreos.com',
      'networking.k8s.io',
      'policy',
      'rbac.authorization.k8s.io',
      'route.openshift.io',
      'storage.k8s.io',
      'subresources.kubevirt.io',
    ]);
    const kv = await api.request('GET', '/apis/kubevirt.io/v1');
    assert.deepEqual(names(kv.json.resources), [
      'virtualmachines',
      'virtualmachines/status',
      'virtualmachineinstances',
      'kubevirts',
      'kubevirts/status',
    ]);
    assert.deepEqual(kv.json.resources[0].shortNames, ['vm', 'vms']);
    const sub = await api.request('GET', '/apis/subresources.kubevirt.io/v1');
    assert.ok(
      entries(sub.json.resources).some(
        (r) => r.name === 'virtualmachines/start' && r.namespaced === true,
      ),
    );
    const core = await api.request('GET', '/api/v1');
    assert.ok(
      entries(core.json.resources).some((r) => r.name === 'namespaces' && r.namespaced === false),
    );
    assert.equal((await api.request('GET', '/api')).json.kind, 'APIVersions');
    assert.equal((await api.request('GET', '/version')).json.major, '1');
    const v2 = await api.request('GET', '/openapi/v2');
    assert.equal(v2.status, 200);
    assert.equal(v2.headers['content-type'], 'application/octet-stream');
    assert.deepEqual((await api.request('GET', '/openapi/v3')).json, { paths: {} });
  });

  it('creates (201), gets, updates with optimistic concurrency and deletes (200 + object)', async () => {
    const created = await create('crud');
    assert.equal(created.status, 201);
    assert.equal(created.json.metadata.generation, 1);
    assert.equal(created.json.status, undefined);
    const got = await api.request('GET', `${vms}/crud`);
    assert.equal(got.json.metadata.uid, created.json.metadata.uid);
    const body = { ...got.json, spec: { ...got.json.spec, runStrategy: 'Always' } };
    const put = await api.request('PUT', `${vms}/crud`, {
      body: JSON.stringify(body),
      headers: json,
    });
    assert.equal(put.status, 200);
    assert.equal(put.json.metadata.generation, 2);
    const stale = await api.request('PUT', `${vms}/crud`, {
      body: JSON.stringify(body),
      headers: json,
    });
    assertStatus(
      stale,
      409,
      'Conflict',
      'Operation cannot be fulfilled on virtualmachines.kubevirt.io "crud": the object has been modified; please apply your changes to the latest version and try again',
    );
    const noRv = { ...body, metadata: { ...body.metadata, resourceVersion: undefined } };
    assertStatus(
      await api.request('PUT', `${vms}/crud`, { body: JSON.stringify(noRv), headers: json }),
      422,
      'Invalid',
      /metadata\.resourceVersion: Invalid value: 0x0: must be specified for an update/,
    );
    assertStatus(
      await create('crud'),
      409,
      'AlreadyExists',
      'virtualmachines.kubevirt.io "crud" already exists',
    );
    const deleted = await api.request('DELETE', `${vms}/crud`, {
      body: '{"propagationPolicy":"Background"}',
      headers: json,
    });
    assert.equal(deleted.status, 200);
    assert.equal(deleted.json.kind, 'VirtualMachine');
    assertStatus(
      await api.request('GET', `${vms}/crud`),
      404,
      'NotFound',
      'virtualmachines.kubevirt.io "crud" not found',
    );
    const secret = await api.request('POST', '/api/v1/namespaces/demo/secrets', {
      body: '{"metadata":{"name":"s"},"stringData":{"a":"b"}}',
      headers: json,
    });
    assert.equal(secret.status, 201);
    const gone = await api.request('DELETE', '/api/v1/namespaces/demo/secrets/s');
    assert.equal(gone.json.kind, 'Status');
    assert.equal(gone.json.status, 'Success');
    assert.equal(gone.json.details.name, 's');
  });

  it('deletes a collection by label selector', async () => {
    await create('dc-1', { suite: 'dc' });
    await create('dc-2', { suite: 'dc' });
    await create('dc-keep');
    const res = await api.request('DELETE', `${vms}?labelSelector=suite%3Ddc`);
    assert.equal(res.status, 200);
    assert.equal(res.json.kind, 'VirtualMachineList');
    assert.deepEqual(names(res.json.items), ['dc-1', 'dc-2']);
    assert.equal(api.store.get(TypeKeys.virtualMachines, 'demo', 'dc-1'), undefined);
    assert.ok(api.store.get(TypeKeys.virtualMachines, 'demo', 'dc-keep'));
  });

  it('writes status only through /status, and drops status on create', async () => {
    await create('st');
    const got = await api.request('GET', `${vms}/st`);
    const withStatus = { ...got.json, status: { printableStatus: 'Running' } };
    const res = await api.request('PUT', `${vms}/st/status`, {
      body: JSON.stringify(withStatus),
      headers: json,
    });
    assert.equal(res.status, 200);
    assert.equal(res.json.status.printableStatus, 'Running');
    const patched = await api.request('PATCH', `${vms}/st/status`, {
      body: '{"status":{"printableStatus":"Stopped"}}',
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    assert.equal(patched.json.status.printableStatus, 'Stopped');
    assert.equal(patched.json.metadata.generation, 1);
  });

  it('patches with merge and JSON patch, 422 on a failed test, 415 on strategic merge of a CR', async () => {
    await create('p');
    const merge = await api.request('PATCH', `${vms}/p`, {
      body: '{"metadata":{"labels":{"a":"b"}}}',
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    assert.deepEqual(merge.json.metadata.labels, { a: 'b' });
    const ops = [
      { op: 'test', path: '/spec/runStrategy', value: 'Halted' },
      { op: 'replace', path: '/spec/runStrategy', value: 'Always' },
    ];
    const jp = await api.request('PATCH', `${vms}/p`, {
      body: JSON.stringify(ops),
      headers: { 'content-type': 'application/json-patch+json' },
    });
    assert.equal(jp.json.spec.runStrategy, 'Always');
    const failed = await api.request('PATCH', `${vms}/p`, {
      body: JSON.stringify(ops),
      headers: { 'content-type': 'application/json-patch+json' },
    });
    assertStatus(
      failed,
      422,
      'Invalid',
      'the server rejected our request due to an error in our request',
    );
    const smp = await api.request('PATCH', `${vms}/p`, {
      body: '{}',
      headers: { 'content-type': 'application/strategic-merge-patch+json' },
    });
    assertStatus(
      smp,
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
    const nsSmp = await api.request('PATCH', '/api/v1/namespaces/demo', {
      body: '{"metadata":{"labels":{"x":"y"}}}',
      headers: { 'content-type': 'application/strategic-merge-patch+json' },
    });
    assert.equal(nsSmp.status, 200);
    const stale = await api.request('PATCH', `${vms}/p`, {
      body: '{"metadata":{"resourceVersion":"1"}}',
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    assertStatus(stale, 409, 'Conflict');
    assertStatus(
      await api.request('PATCH', `${vms}/nope`, {
        body: '{}',
        headers: { 'content-type': 'application/merge-patch+json' },
      }),
      404,
      'NotFound',
    );
    const apply = await api.request('PATCH', `${vms}/applied?fieldManager=kubectl`, {
      body: JSON.stringify(minimalVm('applied', 'demo')),
      headers: { 'content-type': 'application/apply-patch+yaml' },
    });
    assert.equal(apply.status, 201);
    assertStatus(
      await api.request('PATCH', `${vms}/applied`, {
        body: '{}',
        headers: { 'content-type': 'application/apply-patch+yaml' },
      }),
      422,
      'Invalid',
      /fieldManager: Required value/,
    );
  });

  it('lists with selectors, pagination and cluster-wide paths', async () => {
    for (const [i, env] of ['prod', 'prod', 'dev'].entries())
      await create(`list-${i}`, { env, suite: 'list' });
    const all = await api.request(
      'GET',
      `/apis/kubevirt.io/v1/virtualmachines?labelSelector=suite%3Dlist`,
    );
    assert.equal(all.json.kind, 'VirtualMachineList');
    assert.equal(all.json.apiVersion, 'kubevirt.io/v1');
    assert.equal(all.json.metadata.resourceVersion, api.store.currentResourceVersion());
    assert.deepEqual(names(all.json.items), ['list-0', 'list-1', 'list-2']);
    const prod = await api.request(
      'GET',
      `${vms}?labelSelector=${encodeURIComponent('suite=list,env in (prod)')}`,
    );
    assert.equal(prod.json.items.length, 2);
    const byName = await api.request('GET', `${vms}?fieldSelector=metadata.name%3Dlist-2`);
    assert.deepEqual(names(byName.json.items), ['list-2']);
    assertStatus(
      await api.request('GET', `${vms}?fieldSelector=spec.running%3Dtrue`),
      400,
      'BadRequest',
    );
    const page1 = await api.request('GET', `${vms}?labelSelector=suite%3Dlist&limit=2`);
    assert.equal(page1.json.items.length, 2);
    assert.equal(page1.json.metadata.remainingItemCount, 1);
    const page2 = await api.request(
      'GET',
      `${vms}?labelSelector=suite%3Dlist&limit=2&continue=${page1.json.metadata.continue}`,
    );
    assert.deepEqual(names(page2.json.items), ['list-2']);
    assert.equal(page2.json.metadata.continue, undefined);
    assertStatus(await api.request('GET', `${vms}?continue=garbage`), 400, 'BadRequest');
    const core = await api.request('GET', '/api/v1/namespaces');
    assert.equal(core.json.kind, 'NamespaceList');
    assert.equal(core.json.items[0].kind, undefined, 'built-in list items carry no kind');
  });

  it('renders meta.k8s.io Tables with the CRD printer columns', async () => {
    await create('tbl');
    api.store.mutate(
      TypeKeys.virtualMachines,
      'demo',
      'tbl',
      (d) => {
        d.status = { printableStatus: 'Stopped', conditions: [{ type: 'Ready', status: 'False' }] };
      },
      { subresource: 'status' },
    );
    await api.clock.advance(5 * 60_000 + 14_000);
    const res = await api.request('GET', `${vms}/tbl`, {
      headers: {
        accept:
          'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
      },
    });
    assert.equal(res.json.kind, 'Table');
    assert.deepEqual(names(res.json.columnDefinitions), ['Name', 'Age', 'Status', 'Ready']);
    assert.deepEqual(res.json.rows[0].cells, ['tbl', '5m14s', 'Stopped', 'False']);
    assert.equal(res.json.rows[0].object.kind, 'PartialObjectMetadata');
    const dvs = await api.request('GET', '/apis/cdi.kubevirt.io/v1beta1/datavolumes', {
      headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
    });
    assert.deepEqual(names(dvs.json.columnDefinitions), [
      'Name',
      'Phase',
      'Progress',
      'Restarts',
      'Age',
    ]);
  });

  it('routes subresources.kubevirt.io verbs to the registry with the handler code and an empty body', async () => {
    const calls: unknown[] = [];
    api.subresources.set('virtualmachines/start', (req) => {
      calls.push(req);
      return 202;
    });
    api.subresources.set('virtualmachineinstances/pause', () => {
      throw new StatusError(
        'Conflict',
        'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "x": VM is not running',
        { name: 'x', group: 'kubevirt.io', kind: 'virtualmachineinstance' },
      );
    });
    const base = '/apis/subresources.kubevirt.io/v1/namespaces/demo';
    const ok = await api.request('PUT', `${base}/virtualmachines/x/start`, {
      body: '{"paused":true}',
    });
    assert.equal(ok.status, 202);
    assert.equal(ok.text, '');
    const empty = await api.request('PUT', `${base}/virtualmachines/x/start`);
    assert.equal(empty.status, 202);
    assert.deepEqual(calls, [
      { namespace: 'demo', name: 'x', body: { paused: true } },
      { namespace: 'demo', name: 'x', body: undefined },
    ]);
    assertStatus(
      await api.request('PUT', `${base}/virtualmachineinstances/x/pause`),
      409,
      'Conflict',
      /VM is not running/,
    );
    assertStatus(await api.request('PUT', `${base}/virtualmachines/x/teleport`), 404, 'NotFound');
    assertStatus(
      await api.request('GET', `${base}/virtualmachines/x/start`),
      405,
      'MethodNotAllowed',
    );
    assertStatus(
      await api.request('PUT', `${base}/virtualmachines/x/start`, { body: '{nope' }),
      400,
      'BadRequest',
      /Can not unmarshal Request body to struct/,
    );
  });

  it('answers bad input with Status bodies and the real codes', async () => {
    assertStatus(
      await api.request('POST', vms, { body: '{"metadata": {', headers: json }),
      400,
      'BadRequest',
    );
    assertStatus(await api.request('POST', vms, { body: '[1]', headers: json }), 400, 'BadRequest');
    assertStatus(
      await api.request('POST', vms, { body: 'x', headers: { 'content-type': 'text/plain' } }),
      415,
      'UnsupportedMediaType',
    );
    assertStatus(
      await api.request('POST', vms, {
        body: JSON.stringify({ ...minimalVm('k', 'demo'), kind: 'Pod' }),
        headers: json,
      }),
      400,
      'BadRequest',
    );
    assertStatus(
      await api.request('POST', vms, {
        body: JSON.stringify(minimalVm('ns', 'other')),
        headers: json,
      }),
      400,
      'BadRequest',
      'the namespace of the provided object does not match the namespace sent on the request',
    );
    assertStatus(
      await api.request('POST', '/apis/kubevirt.io/v1/namespaces/missing/virtualmachines', {
        body: JSON.stringify(minimalVm('m', 'missing')),
        headers: json,
      }),
      404,
      'NotFound',
      'namespaces "missing" not found',
    );
    const invalid = await api.request('POST', vms, {
      body: JSON.stringify({ ...minimalVm('inv', 'demo'), spec: { running: 'yes', template: {} } }),
      headers: json,
    });
    assertStatus(
      invalid,
      422,
      'Invalid',
      /^VirtualMachine\.kubevirt\.io "inv" is invalid: spec\.running: Invalid value: "string"/,
    );
    assert.equal(invalid.json.details.causes[0].field, 'spec.running');
    assertStatus(
      await api.request('GET', '/apis/kubevirt.io/v1/namespaces/demo/pods'),
      404,
      'NotFound',
      'the server could not find the requested resource',
    );
    assertStatus(await api.request('GET', '/apis/example.com/v1'), 404, 'NotFound');
    assertStatus(await api.request('GET', '/nonsense'), 404, 'NotFound');
    assertStatus(
      await api.request('POST', `${vms}/x`, { body: '{}', headers: json }),
      405,
      'MethodNotAllowed',
    );
    assertStatus(
      await api.request('PATCH', `${vms}/x`, { body: '{}' }),
      415,
      'UnsupportedMediaType',
    );
    assertStatus(
      await api.request('GET', vms, { headers: { accept: 'application/vnd.kubernetes.protobuf' } }),
      406,
      'NotAcceptable',
    );
    assertStatus(
      await api.request('GET', vms, { auth: false }),
      401,
      'Unauthorized',
      'Unauthorized',
    );
    const huge = await api.request('POST', vms, {
      body: Buffer.alloc(3 * 1024 * 1024 + 1, 32),
      headers: json,
    });
    assertStatus(huge, 413, 'RequestEntityTooLarge');
    assertStatus(
      await api.request('GET', `${vms}?watch=true&sendInitialEvents=true`),
      422,
      'Invalid',
    );
    assertStatus(
      await api.request('GET', `${vms}?resourceVersion=99999999`),
      504,
      'Timeout',
      /Too large resource version/,
    );
    assertStatus(await api.request('GET', '/api/v1/namespaces/%E0%A4%A'), 400, 'BadRequest');
    // Still serving after all of that.
    assert.equal((await api.request('GET', vms)).status, 200);
  });
});
