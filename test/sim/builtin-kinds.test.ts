// The built-in kinds an installation creates (Deployment, Service, RBAC, PodDisruptionBudget,
// ServiceAccount, Secret) over HTTP: discovery and scope, CRUD, the API server's defaulting and
// validation, label-selected lists (Helm's release storage), and protobuf bodies.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { TypeKeys } from '../../src/sim/resource-types.ts';
import type { TestApi } from '../../src/sim/testing.ts';
import { startTestApi } from '../../src/sim/testing.ts';

const json = { 'content-type': 'application/json' };
const deployments = '/apis/apps/v1/namespaces/demo/deployments';
const services = '/api/v1/namespaces/demo/services';
const secrets = '/api/v1/namespaces/demo/secrets';
const rbac = '/apis/rbac.authorization.k8s.io/v1';

const deployment = (name: string, selector: Record<string, string>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    selector: { matchLabels: selector },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        containers: [{ name: 'main', image: 'quay.io/x/y:1.0', ports: [{ containerPort: 80 }] }],
      },
    },
  },
});

// Protobuf wire encoding, field numbers from k8s.io/api core/v1 and apimachinery generated.proto.
const varint = (n: number): Buffer => {
  const out: number[] = [];
  for (let v = n; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      out.push(v);
      return Buffer.from(out);
    }
    out.push((v % 128) | 128);
  }
};
const bytesField = (num: number, value: Buffer | string): Buffer => {
  const data = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
  return Buffer.concat([varint((num << 3) | 2), varint(data.length), data]);
};
const entry = (num: number, key: string, value: Buffer | string): Buffer =>
  bytesField(num, Buffer.concat([bytesField(1, key), bytesField(2, value)]));
const envelope = (apiVersion: string, kind: string, raw: Buffer): Buffer =>
  Buffer.concat([
    Buffer.from('k8s\0', 'latin1'),
    bytesField(1, Buffer.concat([bytesField(1, apiVersion), bytesField(2, kind)])),
    bytesField(2, raw),
  ]);

describe('built-in kinds', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.server.close());

  const post = (path: string, body: unknown) =>
    api.request('POST', path, { body: JSON.stringify(body), headers: json });

  it('are in discovery with their scope', async () => {
    const apps = await api.request('GET', '/apis/apps/v1');
    assert.deepEqual(
      apps.json.resources.map((r: { name: string; namespaced: boolean }) => [r.name, r.namespaced]),
      [
        ['deployments', true],
        ['deployments/status', true],
      ],
    );
    const roles = await api.request('GET', `${rbac}`);
    const scope = Object.fromEntries(
      roles.json.resources.map((r: { name: string; namespaced: boolean }) => [
        r.name,
        r.namespaced,
      ]),
    );
    assert.deepEqual(scope, {
      roles: true,
      clusterroles: false,
      rolebindings: true,
      clusterrolebindings: false,
    });
    const core = await api.request('GET', '/api/v1');
    const names = core.json.resources.map((r: { name: string }) => r.name);
    for (const name of ['serviceaccounts', 'services', 'secrets']) assert.ok(names.includes(name));
  });

  it('a Deployment is created with the defaults, listed, patched and deleted', async () => {
    const created = await post(deployments, deployment('web', { app: 'web' }));
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.spec.replicas, 1);
    assert.equal(created.json.spec.strategy.rollingUpdate.maxSurge, '25%');
    const container = created.json.spec.template.spec.containers[0];
    assert.equal(container.imagePullPolicy, 'IfNotPresent');
    assert.equal(container.ports[0].protocol, 'TCP');
    const listed = await api.request('GET', '/apis/apps/v1/deployments');
    assert.deepEqual(
      listed.json.items.map((d: { metadata: { name: string } }) => d.metadata.name),
      ['web'],
    );
    const patched = await api.request('PATCH', `${deployments}/web`, {
      body: JSON.stringify({ spec: { replicas: 3 } }),
      headers: { 'content-type': 'application/strategic-merge-patch+json' },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.json.spec.replicas, 3);
    assert.equal(patched.json.metadata.generation, 2);
    const deleted = await api.request('DELETE', `${deployments}/web`);
    assert.equal(deleted.json.status, 'Success');
    assert.equal(api.store.get(TypeKeys.deployments, 'demo', 'web'), undefined);
  });

  it('a Deployment whose selector misses its template labels is Invalid', async () => {
    const res = await post(deployments, deployment('bad', { app: 'other' }));
    assert.equal(res.status, 422);
    assert.equal(
      res.json.message,
      'Deployment.apps "bad" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"bad"}: `selector` does not match template `labels`',
    );
    assert.deepEqual(res.json.details.causes, [
      {
        reason: 'FieldValueInvalid',
        message:
          'Invalid value: map[string]string{"app":"bad"}: `selector` does not match template `labels`',
        field: 'spec.template.metadata.labels',
      },
    ]);
  });

  it('a Service gets a cluster IP it keeps, and ports are checked', async () => {
    const created = await post(services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 8443 }] },
    });
    assert.equal(created.status, 201, created.text);
    const { spec } = created.json;
    assert.match(spec.clusterIP, /^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    assert.deepEqual(spec.clusterIPs, [spec.clusterIP]);
    assert.deepEqual(spec.ports, [{ port: 8443, protocol: 'TCP', targetPort: 8443 }]);
    const replaced = await api.request('PUT', `${services}/web`, {
      body: JSON.stringify({ ...created.json, spec: { ports: [{ port: 80 }] } }),
      headers: json,
    });
    assert.equal(replaced.json.spec.clusterIP, spec.clusterIP);
    const other = await post(services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'two' },
      spec: { ports: [{ port: 80 }, { port: 0 }] },
    });
    assert.equal(other.status, 422);
    assert.equal(
      other.json.message,
      'Service "two" is invalid: [spec.ports[0].name: Required value, spec.ports[1].name: Required value, spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive]',
    );
  });

  it('RBAC objects are validated as rbac/validation does', async () => {
    const role = await post(`${rbac}/namespaces/demo/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'r' },
      rules: [
        { apiGroups: [''], resources: ['secrets'] },
        { nonResourceURLs: ['/healthz'], verbs: ['get'] },
      ],
    });
    assert.equal(role.status, 422);
    assert.equal(
      role.json.message,
      'Role.rbac.authorization.k8s.io "r" is invalid: [rules[0].verbs: Required value: verbs must contain at least one value, rules[1].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs]',
    );
    const binding = await post(`${rbac}/clusterrolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'b' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
      subjects: [{ kind: 'ServiceAccount', name: 'sa' }],
    });
    assert.equal(binding.status, 422);
    assert.equal(
      binding.json.message,
      'ClusterRoleBinding.rbac.authorization.k8s.io "b" is invalid: [roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole", subjects[0].namespace: Required value]',
    );
    const ok = await post(`${rbac}/clusterrolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'b' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'r' },
      subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: 'demo' }],
    });
    assert.equal(ok.status, 201, ok.text);
    const changed = await api.request('PATCH', `${rbac}/clusterrolebindings/b`, {
      body: JSON.stringify({ roleRef: { name: 'other' } }),
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    assert.equal(changed.status, 422);
    assert.match(changed.json.message, /roleRef: Invalid value: .*: cannot change roleRef$/);
  });

  it('a Secret stores stringData as data, defaults its type and keeps the type', async () => {
    const created = await post(secrets, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cfg', labels: { owner: 'helm', name: 'cfg' } },
      stringData: { 'config.yaml': 'a: 1' },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.type, 'Opaque');
    assert.deepEqual(created.json.data, { 'config.yaml': Buffer.from('a: 1').toString('base64') });
    assert.equal(created.json.stringData, undefined);
    const retyped = await api.request('PATCH', `${secrets}/cfg`, {
      body: JSON.stringify({ type: 'kubernetes.io/tls' }),
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    assert.equal(retyped.status, 422);
    assert.equal(
      retyped.json.message,
      'Secret "cfg" is invalid: type: Invalid value: "kubernetes.io/tls": field is immutable',
    );
  });

  it('a protobuf Secret (as Helm stores releases) is decoded and found by label', async () => {
    const metadata = Buffer.concat([
      bytesField(1, 'sh.helm.release.v1.r.v1'),
      entry(11, 'owner', 'helm'),
    ]);
    const secret = Buffer.concat([
      bytesField(1, metadata),
      entry(2, 'release', Buffer.from('H4sI')),
      bytesField(3, 'helm.sh/release.v1'),
    ]);
    const res = await api.request('POST', secrets, {
      body: envelope('v1', 'Secret', secret),
      headers: {
        'content-type': 'application/vnd.kubernetes.protobuf',
        accept: 'application/vnd.kubernetes.protobuf, application/json',
      },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(res.json.type, 'helm.sh/release.v1');
    assert.deepEqual(res.json.data, { release: Buffer.from('H4sI').toString('base64') });
    const found = await api.request('GET', `${secrets}?labelSelector=owner%3Dhelm,name%21%3Dcfg`);
    assert.deepEqual(
      found.json.items.map((s: { metadata: { name: string } }) => s.metadata.name),
      ['sh.helm.release.v1.r.v1'],
    );
    // No field table for Deployments: the 415 a server without that serializer gives.
    const unsupported = await api.request('POST', deployments, {
      body: envelope('apps/v1', 'Deployment', Buffer.alloc(0)),
      headers: { 'content-type': 'application/vnd.kubernetes.protobuf' },
    });
    assert.equal(unsupported.status, 415);
    assert.equal(unsupported.json.reason, 'UnsupportedMediaType');
  });
});
