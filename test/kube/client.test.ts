// The API client: one shared keep-alive agent for generated and raw calls (client-node 1.4 would
// open a TLS connection per call, kubernetes-client/javascript#2893) and every call counted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Agent } from 'node:https';
import { RequestContext, HttpMethod } from '@kubernetes/client-node';
import {
  createKubeClients,
  describeRequest,
  loadKubeConfig,
  type SharedAgentKubeConfig,
} from '../../src/kube/client.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { startSimulator, type Simulator } from '../../src/sim/simulator.ts';

void describe('kube client', () => {
  let sim: Simulator;
  let kc: SharedAgentKubeConfig;
  before(async () => {
    sim = await startSimulator({ delays: 'instant' });
    kc = loadKubeConfig({ kind: 'yaml', yaml: sim.kubeconfig() });
  });
  after(async () => {
    kc.destroyAgents();
    await sim.close();
  });

  void it('hands the same keep-alive agent to every call path', async () => {
    const a: { agent?: unknown } = {};
    const b: { agent?: unknown } = {};
    await kc.applyToHTTPSOptions(a);
    await kc.applyToHTTPSOptions(b);
    const c1 = new RequestContext(`${sim.url}/api/v1/namespaces`, HttpMethod.GET);
    const c2 = new RequestContext(`${sim.url}/api/v1/namespaces`, HttpMethod.GET);
    await kc.applySecurityAuthentication(c1);
    await kc.applySecurityAuthentication(c2);
    assert.ok(a.agent);
    assert.equal(a.agent, b.agent);
    assert.equal(c1.getAgent(), a.agent);
    assert.equal(c2.getAgent(), a.agent);
    assert.equal((a.agent as Agent & { keepAlive?: boolean }).keepAlive, true);
  });

  void it('reuses one TLS connection for sequential calls and counts each call', async () => {
    const metrics = createMetrics();
    const clients = createKubeClients({ kubeConfig: kc, metrics });
    const holder: { agent?: Agent } = {};
    await kc.applyToHTTPSOptions(holder);
    const agent = holder.agent!;
    let connections = 0;
    const original = agent.createConnection.bind(agent);
    agent.createConnection = (...args: Parameters<Agent['createConnection']>) => {
      connections++;
      return original(...args);
    };
    for (let i = 0; i < 10; i++) {
      await clients.custom.listNamespacedCustomObject({
        group: 'kubevirt.io',
        version: 'v1',
        namespace: 'demo-a',
        plural: 'virtualmachines',
      });
      await clients.request('GET', '/api/v1/namespaces/demo-a/persistentvolumeclaims');
    }
    assert.ok(connections <= 1, `${connections} connections for 20 calls`);
    const values =
      (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'kube_api_requests_total')
        ?.values ?? [];
    const count = (resource: string) =>
      values.find(
        (v) =>
          v.labels.resource === resource && v.labels.verb === 'list' && v.labels.code === '200',
      )?.value;
    assert.equal(count('virtualmachines.kubevirt.io'), 10);
    assert.equal(count('persistentvolumeclaims'), 10);
  });

  void it("retires idle sockets before the server's keep-alive timeout closes them", async () => {
    const clients = createKubeClients({ kubeConfig: kc, metrics: createMetrics() });
    const holder: { agent?: Agent } = {};
    await kc.applyToHTTPSOptions(holder);
    await clients.request('GET', '/api/v1/namespaces/demo-a/persistentvolumeclaims');
    const idle = Object.values(holder.agent!.freeSockets).flat();
    assert.ok(idle.length > 0, 'the connection is kept for reuse');
    // The simulator, like any Node server, announces `Keep-Alive: timeout=5`; the agent must
    // drop the socket a second before, or a reuse can race the server's close (ECONNRESET).
    for (const socket of idle) assert.equal(socket?.timeout, 4_000);
  });

  void it('counts failed calls with their code', async () => {
    const metrics = createMetrics();
    const clients = createKubeClients({ kubeConfig: kc, metrics });
    await assert.rejects(
      clients.request(
        'PUT',
        '/apis/subresources.kubevirt.io/v1/namespaces/demo-a/virtualmachines/nope/start',
        {},
      ),
    );
    const values =
      (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'kube_api_requests_total')
        ?.values ?? [];
    assert.deepEqual(
      values.map((v) => v.labels),
      [{ verb: 'update', resource: 'virtualmachines.subresources.kubevirt.io/start', code: '404' }],
    );
  });

  void it('labels requests by verb and resource, never by name', () => {
    const base = 'https://127.0.0.1:6443';
    assert.deepEqual(
      describeRequest('GET', `${base}/apis/kubevirt.io/v1/namespaces/a/virtualmachines`),
      { verb: 'list', resource: 'virtualmachines.kubevirt.io' },
    );
    assert.deepEqual(
      describeRequest('GET', `${base}/apis/kubevirt.io/v1/namespaces/a/virtualmachines?watch=true`),
      { verb: 'watch', resource: 'virtualmachines.kubevirt.io' },
    );
    assert.deepEqual(
      describeRequest('PATCH', `${base}/apis/kubevirt.io/v1/namespaces/a/virtualmachines/vm1`),
      { verb: 'patch', resource: 'virtualmachines.kubevirt.io' },
    );
    assert.deepEqual(describeRequest('GET', `${base}/api/v1/namespaces/a/secrets/s1`), {
      verb: 'get',
      resource: 'secrets',
    });
    assert.deepEqual(describeRequest('POST', `${base}/api/v1/namespaces/a/secrets`), {
      verb: 'create',
      resource: 'secrets',
    });
    assert.deepEqual(
      describeRequest(
        'PUT',
        `${base}/apis/subresources.kubevirt.io/v1/namespaces/a/virtualmachineinstances/vm1/pause`,
      ),
      { verb: 'update', resource: 'virtualmachineinstances.subresources.kubevirt.io/pause' },
    );
  });
});
