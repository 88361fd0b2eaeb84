// RBAC for ServiceAccount tokens: TokenRequest issues them, requests made with them are
// authorised by the stored Roles, ClusterRoles and bindings (verbs, groups, resources,
// subresources, resourceNames, wildcards) and refused with the API server's 403, and a
// SelfSubjectAccessReview answers what the request itself would get. The admin token stays
// all-powerful.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { TestApi } from '../../src/sim/testing.ts';
import { namespace, startTestApi } from '../../src/sim/testing.ts';

const json = { 'content-type': 'application/json' };
const rbac = '/apis/rbac.authorization.k8s.io/v1';
const user = 'system:serviceaccount:demo:bot';
const ssar = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

describe('RBAC for ServiceAccount tokens', () => {
  let api: TestApi;
  let token: string;
  before(async () => {
    api = await startTestApi();
    api.store.create('namespaces', namespace('other'));
    for (const ns of ['demo', 'other']) {
      for (const name of ['one', 'two']) {
        api.store.create('secrets', {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name, namespace: ns },
        });
      }
    }
    const sa = await admin('POST', '/api/v1/namespaces/demo/serviceaccounts', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'bot' },
    });
    assert.equal(sa.status, 201, sa.text);
    token = await mint('bot');
  });
  after(() => api.server.close());

  const admin = (method: string, path: string, body?: unknown) =>
    api.request(method, path, {
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headers: json,
    });
  const asBot = (method: string, path: string, body?: unknown, bearer = token) =>
    api.request(method, path, {
      auth: false,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headers: { ...json, authorization: `Bearer ${bearer}` },
    });
  const mint = async (name: string, expirationSeconds?: number): Promise<string> => {
    const res = await admin('POST', `/api/v1/namespaces/demo/serviceaccounts/${name}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: expirationSeconds === undefined ? {} : { expirationSeconds },
    });
    assert.equal(res.status, 201, res.text);
    return res.json.status.token as string;
  };
  const review = async (resourceAttributes: Record<string, string>) => {
    const res = await asBot('POST', ssar, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes },
    });
    assert.equal(res.status, 201, res.text);
    return res.json.status as { allowed: boolean; reason?: string };
  };
  const bind = async (
    scope: 'namespaced' | 'cluster',
    name: string,
    rules: unknown[],
    ns = 'demo',
  ) => {
    const cluster = scope === 'cluster';
    const where = cluster ? rbac : `${rbac}/namespaces/${ns}`;
    if (rules.length > 0) {
      const role = await admin('POST', `${where}/${cluster ? 'clusterroles' : 'roles'}`, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: cluster ? 'ClusterRole' : 'Role',
        metadata: { name },
        rules,
      });
      assert.equal(role.status, 201, role.text);
    }
    const binding = await admin(
      'POST',
      `${where}/${cluster ? 'clusterrolebindings' : 'rolebindings'}`,
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: cluster ? 'ClusterRoleBinding' : 'RoleBinding',
        metadata: { name },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: cluster ? 'ClusterRole' : 'Role',
          name,
        },
        subjects: [{ kind: 'ServiceAccount', name: 'bot', namespace: 'demo' }],
      },
    );
    assert.equal(binding.status, 201, binding.text);
  };

  it('TokenRequest issues a bound token and validates the expiry', async () => {
    const res = await admin('POST', '/api/v1/namespaces/demo/serviceaccounts/bot/token', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {},
    });
    assert.equal(res.json.kind, 'TokenRequest');
    assert.equal(res.json.spec.expirationSeconds, 3600);
    const claims = JSON.parse(
      Buffer.from(String(res.json.status.token).split('.')[1] ?? '', 'base64url').toString(),
    );
    assert.equal(claims.sub, user);
    assert.equal(claims['kubernetes.io'].serviceaccount.name, 'bot');
    const short = await admin('POST', '/api/v1/namespaces/demo/serviceaccounts/bot/token', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 60 },
    });
    assert.equal(short.status, 422);
    assert.equal(
      short.json.message,
      'TokenRequest.authentication.k8s.io "bot" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
    );
    const missing = await admin('POST', '/api/v1/namespaces/demo/serviceaccounts/ghost/token', {
      kind: 'TokenRequest',
    });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.message, 'serviceaccounts "ghost" not found');
  });

  it('without a binding every request is 403 with the API server message', async () => {
    const res = await asBot('GET', '/api/v1/namespaces/demo/secrets');
    assert.equal(res.status, 403);
    assert.deepEqual(res.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `secrets is forbidden: User "${user}" cannot list resource "secrets" in API group "" in the namespace "demo"`,
      reason: 'Forbidden',
      details: { kind: 'secrets' },
      code: 403,
    });
    const named = await asBot('GET', '/apis/apps/v1/deployments');
    assert.equal(
      named.json.message,
      `deployments.apps is forbidden: User "${user}" cannot list resource "deployments" in API group "apps" at the cluster scope`,
    );
    const path = await asBot('GET', '/metrics');
    assert.equal(path.json.message, `forbidden: User "${user}" cannot get path "/metrics"`);
    // Discovery and reviews are every authenticated user's (bootstrap policy).
    assert.equal((await asBot('GET', '/apis')).status, 200);
    assert.deepEqual(await review({ verb: 'list', resource: 'secrets', namespace: 'demo' }), {
      allowed: false,
    });
  });

  it('a RoleBinding grants its verbs in its namespace only; the review agrees', async () => {
    await bind('namespaced', 'secret-reader', [
      { apiGroups: [''], resources: ['secrets'], verbs: ['list', 'watch'] },
    ]);
    assert.equal((await asBot('GET', '/api/v1/namespaces/demo/secrets')).status, 200);
    assert.equal((await asBot('GET', '/api/v1/namespaces/demo/secrets/one')).status, 403);
    assert.equal((await asBot('GET', '/api/v1/namespaces/other/secrets')).status, 403);
    assert.deepEqual(await review({ verb: 'list', resource: 'secrets', namespace: 'demo' }), {
      allowed: true,
      reason:
        'RBAC: allowed by RoleBinding "secret-reader/demo" of Role "secret-reader" to ServiceAccount "bot/demo"',
    });
    assert.deepEqual(await review({ verb: 'list', resource: 'secrets', namespace: 'other' }), {
      allowed: false,
    });
  });

  it('resourceNames limit a rule to the named objects', async () => {
    await bind(
      'namespaced',
      'one-getter',
      [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['one'], verbs: ['get'] }],
      'other',
    );
    assert.equal((await asBot('GET', '/api/v1/namespaces/other/secrets/one')).status, 200);
    const two = await asBot('GET', '/api/v1/namespaces/other/secrets/two');
    assert.equal(two.status, 403);
    assert.equal(
      two.json.message,
      `secrets "two" is forbidden: User "${user}" cannot get resource "secrets" in API group "" in the namespace "other"`,
    );
    assert.deepEqual(two.json.details, { name: 'two', kind: 'secrets' });
  });

  it('subresources are separate resources; wildcards match groups, resources and verbs', async () => {
    await bind('cluster', 'vm-starter', [
      {
        apiGroups: ['subresources.kubevirt.io'],
        resources: ['virtualmachines/start'],
        verbs: ['update'],
      },
      { apiGroups: ['*'], resources: ['deployments'], verbs: ['*'] },
    ]);
    const verbs = '/apis/subresources.kubevirt.io/v1/namespaces/demo/virtualmachines/vm';
    // Authorised, so routed: no simulated virt-api here answers 404.
    assert.equal((await asBot('PUT', `${verbs}/start`, {})).status, 404);
    const stop = await asBot('PUT', `${verbs}/stop`, {});
    assert.equal(stop.status, 403);
    assert.match(
      stop.json.message,
      /cannot update resource "virtualmachines\/stop" in API group "subresources\.kubevirt\.io"/,
    );
    assert.equal((await asBot('GET', '/apis/apps/v1/namespaces/other/deployments')).status, 200);
    const review1 = await review({
      verb: 'update',
      group: 'subresources.kubevirt.io',
      resource: 'virtualmachines',
      subresource: 'start',
      namespace: 'demo',
    });
    assert.equal(review1.allowed, true);
    assert.equal(
      review1.reason,
      'RBAC: allowed by ClusterRoleBinding "vm-starter" of ClusterRole "vm-starter" to ServiceAccount "bot/demo"',
    );
  });

  it('a binding to a missing role names it in the 403', async () => {
    await bind('cluster', 'ghost', []);
    const res = await asBot('GET', '/api/v1/namespaces/demo/configmaps');
    assert.equal(
      res.json.message,
      `configmaps is forbidden: User "${user}" cannot list resource "configmaps" in API group "" in the namespace "demo": RBAC: clusterrole.rbac.authorization.k8s.io "ghost" not found`,
    );
  });

  it('the admin token may do everything; bad, expired and orphaned tokens are 401', async () => {
    assert.equal((await admin('GET', '/api/v1/namespaces/other/secrets/two')).status, 200);
    const adminReview = await api.request('POST', ssar, {
      body: JSON.stringify({
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { verb: 'delete', resource: 'nodes' } },
      }),
      headers: json,
    });
    assert.deepEqual(adminReview.json.status, { allowed: true });
    assert.equal((await asBot('GET', '/apis', undefined, `${token}x`)).status, 401);
    const shortLived = await mint('bot', 600);
    await api.clock.advance(601_000);
    assert.equal((await asBot('GET', '/apis', undefined, shortLived)).status, 401);
    assert.equal((await asBot('GET', '/apis')).status, 200);
    await admin('DELETE', '/api/v1/namespaces/demo/serviceaccounts/bot');
    assert.equal((await asBot('GET', '/apis')).status, 401);
  });
});
