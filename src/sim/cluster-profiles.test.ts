// Release profiles of the simulator over HTTP: gate defaults per KubeVirt release, the KubeVirt
// and CDI CRs, CRD pruning of rebootPolicy before v1.8, the webhook denial without the gate, and
// a cluster without CDI (no discovery, no DataVolume API).
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import {
  gateEnabled,
  kubevirtRelease,
  resolveClusterConfig,
  type ClusterOverrides,
} from './cluster-config.ts';
import { startSimulator, type Simulator } from './simulator.ts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const start = async (cluster: ClusterOverrides) => {
  sim = await startSimulator({ scenario: false, tls: false, delays: 'instant', cluster });
  await fetch(`${sim.url}/api/v1/namespaces`, {
    method: 'POST',
    headers: headers(sim),
    body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } }),
  });
  return sim;
};

const headers = (s: Simulator) => ({
  Authorization: `Bearer ${s.token}`,
  'Content-Type': 'application/json',
});

const get = async (s: Simulator, path: string) => {
  const reply = await fetch(`${s.url}${path}`, { headers: headers(s) });
  return { status: reply.status, body: (await reply.json()) as any };
};

const vm = (name: string, rebootPolicy?: string) => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: { name, namespace: 'ns' },
  spec: {
    runStrategy: 'Halted',
    template: {
      spec: {
        domain: { devices: {}, ...(rebootPolicy ? { rebootPolicy } : {}) },
      },
    },
  },
});

const createVm = async (s: Simulator, body: unknown) => {
  const reply = await fetch(`${s.url}/apis/kubevirt.io/v1/namespaces/ns/virtualmachines`, {
    method: 'POST',
    headers: headers(s),
    body: JSON.stringify(body),
  });
  return { status: reply.status, body: (await reply.json()) as any };
};

void describe('cluster profiles', () => {
  void test('gate defaults follow the release table', () => {
    assert.equal(kubevirtRelease('1.8'), 'v1.8.4');
    assert.equal(kubevirtRelease('v1.6'), 'v1.6.6');
    assert.equal(gateEnabled('v1.9.0', 'RebootPolicy', []), true, 'Beta, on by default in 1.9');
    assert.equal(gateEnabled('v1.9.0', 'RebootPolicy', [], ['RebootPolicy']), false);
    assert.equal(gateEnabled('v1.8.4', 'RebootPolicy', []), false, 'Alpha in 1.8');
    assert.equal(gateEnabled('v1.8.4', 'RebootPolicy', ['RebootPolicy']), true);
    assert.equal(gateEnabled('v1.7.4', 'RebootPolicy', ['RebootPolicy']), false, 'no such gate');
    const v16 = resolveClusterConfig({ kubevirtVersion: '1.6' });
    assert.deepEqual(
      [v16.declarativeHotplug, v16.rebootPolicyField, v16.rebootPolicy, v16.cdi],
      [false, false, false, true],
    );
    const v18 = resolveClusterConfig({
      kubevirtVersion: '1.8',
      featureGates: ['RebootPolicy', 'DeclarativeHotplugVolumes'],
    });
    assert.deepEqual([v18.declarativeHotplug, v18.rebootPolicy], [true, true]);
  });

  void test('the KubeVirt CR carries the release and the gate list; the CDI CR its version', async () => {
    const s = await start({
      kubevirtVersion: '1.8',
      featureGates: ['RebootPolicy'],
      cdiVersion: 'v1.62.0',
    });
    const kv = await get(s, '/apis/kubevirt.io/v1/namespaces/kubevirt/kubevirts/kubevirt');
    assert.equal(kv.status, 200);
    assert.equal(kv.body.status.observedKubeVirtVersion, 'v1.8.4');
    assert.deepEqual(kv.body.spec.configuration.developerConfiguration.featureGates, [
      'RebootPolicy',
    ]);
    const cdi = await get(s, '/apis/cdi.kubevirt.io/v1beta1/cdis');
    assert.equal(cdi.body.items[0].status.observedVersion, 'v1.62.0');
  });

  void test('before v1.8 rebootPolicy is pruned silently, and the pruning is recorded', async () => {
    const s = await start({ kubevirtVersion: '1.7' });
    const created = await createVm(s, vm('old', 'Terminate'));
    assert.equal(created.status, 201);
    assert.equal(created.body.spec.template.spec.domain.rebootPolicy, undefined);
    assert.deepEqual(
      s.admissions.map((a) => [a.outcome, a.name, a.detail]),
      [['pruned', 'old', 'spec.template.spec.domain.rebootPolicy']],
    );
  });

  void test('v1.8 without the RebootPolicy gate: the webhook denies the field with its message', async () => {
    const s = await start({ kubevirtVersion: '1.8' });
    const denied = await createVm(s, vm('gated', 'Terminate'));
    assert.equal(denied.status, 422);
    assert.equal(
      denied.body.message,
      'admission webhook "virtualmachine-validator.kubevirt.io" denied the request: RebootPolicy is specified but the RebootPolicy feature gate is not enabled',
    );
    assert.equal(denied.body.details.causes[0].field, 'spec.template.spec.domain.rebootPolicy');
    assert.equal(s.admissions[0]?.outcome, 'denied');
  });

  void test('v1.8 with the gate admits rebootPolicy', async () => {
    const s = await start({ kubevirtVersion: '1.8', featureGates: ['RebootPolicy'] });
    const created = await createVm(s, vm('ok', 'Terminate'));
    assert.equal(created.status, 201);
    assert.equal(created.body.spec.template.spec.domain.rebootPolicy, 'Terminate');
    assert.deepEqual(s.admissions, []);
  });

  void test('without CDI the cdi.kubevirt.io API does not exist', async () => {
    const s = await start({ cdi: false });
    const groups = await get(s, '/apis');
    assert.equal(
      groups.body.groups.some((g: { name: string }) => g.name === 'cdi.kubevirt.io'),
      false,
    );
    assert.equal((await get(s, '/apis/cdi.kubevirt.io/v1beta1')).status, 404);
    assert.equal(
      (await get(s, '/apis/cdi.kubevirt.io/v1beta1/namespaces/ns/datavolumes')).status,
      404,
    );
    assert.equal((await get(s, '/apis/kubevirt.io/v1/kubevirts')).status, 200);
  });
});
