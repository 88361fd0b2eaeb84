// The machine's kubectl against the simulated API server (HTTPS, kubeconfig from the server):
// get with printer columns, apply, server-side dry runs, create with protobuf bodies, a
// ServiceAccount token under RBAC (and auth can-i), patch (merge, json, and the 415 of strategic
// merge on a KubeVirt object), delete and get -w.
import { strict as assert } from 'node:assert';
import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { existsSync } from 'node:fs';
import YAML from 'yaml';
import { ManualClock } from '../../src/util/clock.ts';
import type { ApiServer } from '../../src/sim/api-server/server.ts';
import { startApiServer } from '../../src/sim/api-server/server.ts';
import { TypeKeys } from '../../src/sim/resource-types.ts';
import { createStore } from '../../src/sim/store.ts';
import { minimalVm, namespace } from '../../src/sim/testing.ts';
import type { ObjectStore } from '../../src/sim/types.ts';

const VM = TypeKeys.virtualMachines;
const kubectlPath = (process.env.PATH ?? '')
  .split(delimiter)
  .map((dir) => join(dir, 'kubectl'))
  .find((candidate) => existsSync(candidate));
const mustRun = process.env.CI === 'true';
const skip =
  kubectlPath === undefined && !mustRun
    ? 'kubectl is not installed on this machine (in CI, .ci/run installs it and this test must run)'
    : false;

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('kubectl against the simulator', { skip }, () => {
  let store: ObjectStore;
  let server: ApiServer;
  let dir: string;
  let args: string[];
  const children = new Set<ChildProcess>();

  const kubectl = (...command: string[]): Promise<Result> =>
    new Promise((resolve) => {
      execFile(
        kubectlPath ?? 'kubectl',
        [...args, ...command],
        { timeout: 60_000 },
        (error, stdout, stderr) => {
          resolve({
            code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
            stdout,
            stderr,
          });
        },
      );
    });

  before(async () => {
    const clock = new ManualClock(Date.now());
    store = createStore({ clock });
    store.create('namespaces', namespace('demo'));
    store.create(VM, minimalVm('vm1', 'demo'));
    store.mutate(
      VM,
      'demo',
      'vm1',
      (d) => {
        d.status = { printableStatus: 'Stopped', conditions: [{ type: 'Ready', status: 'False' }] };
      },
      { subresource: 'status' },
    );
    server = await startApiServer({ store, subresources: new Map(), clock });
    dir = await mkdtemp(join(tmpdir(), 'sim-kubectl-'));
    await server.writeKubeconfig(join(dir, 'kubeconfig'));
    args = ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache')];
  });

  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('get vm -A prints the CRD printer columns from the Table', async () => {
    const { code, stdout, stderr } = await kubectl('get', 'vm', '-A');
    assert.equal(code, 0, stderr);
    const [header = '', row = ''] = stdout.trim().split('\n');
    assert.deepEqual(header.split(/\s+/), ['NAMESPACE', 'NAME', 'AGE', 'STATUS', 'READY']);
    assert.deepEqual(
      row.split(/\s+/).filter((_, i) => i !== 2),
      ['demo', 'vm1', 'Stopped', 'False'],
    );
  });

  it('apply -f creates a VM (through the OpenAPI and discovery endpoints)', async () => {
    const file = join(dir, 'vm2.yaml');
    await writeFile(file, YAML.stringify(minimalVm('vm2', 'demo')));
    const created = await kubectl('apply', '-f', file);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /virtualmachine\.kubevirt\.io\/vm2 created/);
    const annotations = store.get(VM, 'demo', 'vm2')?.metadata.annotations ?? {};
    assert.ok('kubectl.kubernetes.io/last-applied-configuration' in annotations);
    const again = await kubectl('apply', '-f', file);
    assert.match(again.stdout, /unchanged/);
  });

  it('apply and delete with --dry-run=server answer as if done and change nothing', async () => {
    const file = join(dir, 'vm3.yaml');
    await writeFile(file, YAML.stringify(minimalVm('vm3', 'demo')));
    const applied = await kubectl('apply', '--dry-run=server', '-f', file);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /virtualmachine\.kubevirt\.io\/vm3 created \(server dry run\)/);
    assert.equal(store.get(VM, 'demo', 'vm3'), undefined);
    const deleted = await kubectl('delete', '--dry-run=server', 'vm', 'vm1', '-n', 'demo');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /deleted \(server dry run\)/);
    assert.ok(store.get(VM, 'demo', 'vm1'));
  });

  it('create namespace and create secret send protobuf bodies the simulator decodes', async () => {
    const ns = await kubectl('create', 'namespace', 'pb');
    assert.equal(ns.code, 0, ns.stderr);
    assert.ok(store.get('namespaces', undefined, 'pb'));
    const secret = await kubectl(
      'create',
      'secret',
      'generic',
      'creds',
      '-n',
      'pb',
      '--from-literal=user=admin',
    );
    assert.equal(secret.code, 0, secret.stderr);
    const stored = store.get(TypeKeys.secrets, 'pb', 'creds');
    assert.equal(stored?.type, 'Opaque');
    assert.deepEqual(stored?.data, { user: Buffer.from('admin').toString('base64') });
  });

  it('a TokenRequest issues a ServiceAccount token that RBAC then governs', async () => {
    const sa = await kubectl('create', 'serviceaccount', 'bot', '-n', 'pb');
    assert.equal(sa.code, 0, sa.stderr);
    // create --raw rather than create token (kubectl >= 1.24), so that older kubectl runs it too.
    const request = join(dir, 'token-request.json');
    await writeFile(
      request,
      JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} }),
    );
    const minted = await kubectl(
      'create',
      '--raw',
      '/api/v1/namespaces/pb/serviceaccounts/bot/token',
      '-f',
      request,
    );
    assert.equal(minted.code, 0, minted.stderr);
    const token = (JSON.parse(minted.stdout) as { status: { token: string } }).status.token;
    const denied = await kubectl('get', 'secrets', '-n', 'pb', '--token', token);
    assert.notEqual(denied.code, 0);
    assert.match(
      denied.stderr,
      /secrets is forbidden: User "system:serviceaccount:pb:bot" cannot list resource "secrets" in API group "" in the namespace "pb"/,
    );
    const bound = await kubectl(
      'create',
      'rolebinding',
      'bot-view',
      '-n',
      'pb',
      '--clusterrole=secret-lister',
      '--serviceaccount=pb:bot',
    );
    assert.equal(bound.code, 0, bound.stderr);
    const role = await kubectl(
      'create',
      'clusterrole',
      'secret-lister',
      '--verb=list',
      '--resource=secrets',
    );
    assert.equal(role.code, 0, role.stderr);
    const allowed = await kubectl('get', 'secrets', '-n', 'pb', '--token', token, '-o', 'name');
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /secret\/creds/);
    // auth can-i asks a SelfSubjectAccessReview, answered from the same rules.
    const canList = await kubectl('auth', 'can-i', 'list', 'secrets', '-n', 'pb', '--token', token);
    assert.equal(canList.stdout.trim(), 'yes', canList.stderr);
    const canDelete = await kubectl(
      'auth',
      'can-i',
      'delete',
      'secrets',
      '-n',
      'pb',
      '--token',
      token,
    );
    assert.equal(canDelete.stdout.trim(), 'no', canDelete.stderr);
  });

  it('patch --type merge and --type json change the stored object', async () => {
    const merge = await kubectl(
      'patch',
      'vm',
      'vm2',
      '-n',
      'demo',
      '--type',
      'merge',
      '-p',
      '{"metadata":{"labels":{"redfish-enabled":"true"}}}',
    );
    assert.equal(merge.code, 0, merge.stderr);
    assert.equal(store.get(VM, 'demo', 'vm2')?.metadata.labels?.['redfish-enabled'], 'true');
    const json = await kubectl(
      'patch',
      'vm',
      'vm2',
      '-n',
      'demo',
      '--type',
      'json',
      '-p',
      '[{"op":"test","path":"/spec/runStrategy","value":"Halted"},{"op":"replace","path":"/spec/runStrategy","value":"Manual"}]',
    );
    assert.equal(json.code, 0, json.stderr);
    assert.equal(
      (store.get(VM, 'demo', 'vm2')?.spec as { runStrategy: string }).runStrategy,
      'Manual',
    );
  });

  it('patch without --type (strategic merge) fails with the 415 a real API server gives', async () => {
    const smp = await kubectl(
      'patch',
      'vm',
      'vm2',
      '-n',
      'demo',
      '-p',
      '{"metadata":{"labels":{"x":"y"}}}',
    );
    assert.notEqual(smp.code, 0);
    assert.match(
      smp.stderr,
      /the body of the request was in an unknown format - accepted media types include: application\/json-patch\+json, application\/merge-patch\+json, application\/apply-patch\+yaml/,
    );
    assert.equal(store.get(VM, 'demo', 'vm2')?.metadata.labels?.x, undefined);
  });

  it('delete removes the VM, and a second delete is NotFound', async () => {
    const deleted = await kubectl('delete', 'vm', 'vm2', '-n', 'demo');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(store.get(VM, 'demo', 'vm2'), undefined);
    const again = await kubectl('delete', 'vm', 'vm2', '-n', 'demo');
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /NotFound.*virtualmachines\.kubevirt\.io "vm2" not found/);
  });

  it('get -w sees a change made while it watches', async () => {
    const child = spawn(kubectlPath ?? 'kubectl', [...args, 'get', 'vm', '-n', 'demo', '-w'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let output = '';
    const checks = new Set<() => void>();
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const check of [...checks]) check();
    });
    const waitFor = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(output)) {
            checks.delete(check);
            resolve();
          }
        };
        checks.add(check);
        child.once('exit', () => reject(new Error(`kubectl exited early: ${output}`)));
        check();
      });
    await waitFor(/vm1\s+\S+\s+Stopped/);
    store.mutate(
      VM,
      'demo',
      'vm1',
      (d) => {
        d.status = {
          printableStatus: 'Starting',
          conditions: [{ type: 'Ready', status: 'False' }],
        };
      },
      { subresource: 'status' },
    );
    await waitFor(/vm1\s+\S+\s+Starting/);
    child.kill('SIGTERM');
    children.delete(child);
  });
});
