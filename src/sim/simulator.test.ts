// The composed simulator over real HTTPS (CA from the server, bearer token): the demo scenario,
// virt-api verbs answering as KubeVirt does on the wire, guest hooks, and a clean close.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../util/clock.ts';
import { settle } from './controllers/test-support.ts';
import { startSimulator, type Simulator } from './simulator.ts';

interface Reply {
  status: number;
  body: string;
  json(): Record<string, unknown>;
}

const call = (sim: Simulator, method: string, path: string, body?: unknown): Promise<Reply> =>
  new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const url = new URL(path, sim.url);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(
      url,
      {
        method,
        ...(sim.caPem ? { ca: sim.caPem } : {}),
        headers: {
          Authorization: `Bearer ${sim.token}`,
          Accept: 'application/json',
          ...(payload ? { 'Content-Type': 'application/json' } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            body: text,
            json: () => JSON.parse(text) as Record<string, unknown>,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });

const vmPath = (ns: string, name: string) =>
  `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachines/${name}`;
const verbPath = (resource: string, ns: string, name: string, verb: string) =>
  `/apis/subresources.kubevirt.io/v1/namespaces/${ns}/${resource}/${name}/${verb}`;
const printable = async (sim: Simulator, ns: string, name: string) =>
  ((await call(sim, 'GET', vmPath(ns, name))).json().status as { printableStatus?: string })
    .printableStatus;

void describe('startSimulator over HTTPS', () => {
  const clock = new ManualClock();
  let sim: Simulator;
  const advance = async (ms: number) => {
    await settle();
    await clock.advance(ms);
    await settle();
  };

  before(async () => {
    sim = await startSimulator({ clock, vms: 6, seed: 3 });
  });
  after(async () => {
    await sim.close();
  });

  void test('serves the demo scenario with a kubeconfig carrying the CA', async () => {
    assert.match(sim.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(sim.kubeconfig().includes('certificate-authority-data'));
    const list = (await call(sim, 'GET', '/apis/kubevirt.io/v1/virtualmachines')).json();
    assert.equal((list.items as unknown[]).length, 9 + 6);
    await advance(10_000);
    assert.equal(await printable(sim, 'demo-a', 'web.frontend'), 'Running');
    assert.equal(await printable(sim, 'demo-a', 'db-primary'), 'Stopped');
  });

  void test('start (202, empty body), then 409 with the singular resource; stop with gracePeriod 0', async () => {
    const start = await call(
      sim,
      'PUT',
      verbPath('virtualmachines', 'demo-a', 'db-primary', 'start'),
      {},
    );
    assert.deepEqual([start.status, start.body], [202, '']);
    await advance(10_000);
    assert.equal(await printable(sim, 'demo-a', 'db-primary'), 'Running');
    const again = await call(
      sim,
      'PUT',
      verbPath('virtualmachines', 'demo-a', 'db-primary', 'start'),
    );
    assert.equal(again.status, 409);
    assert.deepEqual(again.json(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Operation cannot be fulfilled on virtualmachine.kubevirt.io "db-primary": VM is already running',
      reason: 'Conflict',
      details: { name: 'db-primary', group: 'kubevirt.io', kind: 'virtualmachine' },
      code: 409,
    });
    const stop = await call(
      sim,
      'PUT',
      verbPath('virtualmachines', 'demo-a', 'db-primary', 'stop'),
      { gracePeriod: 0 },
    );
    assert.deepEqual([stop.status, stop.body], [202, '']);
    await advance(0);
    assert.equal(await printable(sim, 'demo-a', 'db-primary'), 'Stopped');
  });

  void test('VMI verbs answer 200; an unknown VM answers 404 naming virtualmachine', async () => {
    const pause = await call(
      sim,
      'PUT',
      verbPath('virtualmachineinstances', 'demo-a', 'web.frontend', 'pause'),
    );
    assert.deepEqual([pause.status, pause.body], [200, '']);
    await advance(0);
    assert.equal(await printable(sim, 'demo-a', 'web.frontend'), 'Paused');
    assert.equal(
      (
        await call(
          sim,
          'PUT',
          verbPath('virtualmachineinstances', 'demo-a', 'web.frontend', 'unpause'),
        )
      ).status,
      200,
    );
    const missing = await call(
      sim,
      'PUT',
      verbPath('virtualmachines', 'demo-b', 'nope', 'restart'),
    );
    assert.equal(missing.status, 404);
    assert.equal(missing.json().message, 'virtualmachine.kubevirt.io "nope" not found');
  });

  void test('guest hooks: an ACPI power-off inside an Always VM is followed by a new VMI', async () => {
    const before = (
      await call(
        sim,
        'GET',
        '/apis/kubevirt.io/v1/namespaces/demo-a/virtualmachineinstances/web.frontend',
      )
    ).json();
    sim.controllers.guestShutdown('demo-a', 'web.frontend');
    await advance(10_000);
    const afterwards = (
      await call(
        sim,
        'GET',
        '/apis/kubevirt.io/v1/namespaces/demo-a/virtualmachineinstances/web.frontend',
      )
    ).json();
    assert.notEqual(
      (afterwards.metadata as { uid: string }).uid,
      (before.metadata as { uid: string }).uid,
    );
    assert.equal((afterwards.status as { phase: string }).phase, 'Running');
  });
});

void test('close() stops the controllers timers and the server', async () => {
  const clock = new ManualClock();
  const sim = await startSimulator({ clock, tls: false });
  await settle();
  assert.ok(clock.pending > 0, 'the running demo VM has timers pending');
  assert.equal((await call(sim, 'GET', '/version')).status, 200);
  await sim.close();
  assert.equal(clock.pending, 0);
  await assert.rejects(call(sim, 'GET', '/version'));
});
