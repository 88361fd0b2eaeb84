// Sessions kept as Secrets in the (simulated) cluster: create, find and delete across two store
// instances, as two replicas of the service would see them; the token itself is never stored.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { loadKubeConfig } from '../../src/kube/client.ts';
import { createKubeSessionStore, type KubeSessionStore } from '../../src/kube/session-store.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { startSimulator, type Simulator } from '../../src/sim/simulator.ts';
import type { SessionRecord } from '../../src/backend/sessions.ts';

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

const record = (id: string, token: string): SessionRecord => ({
  id,
  user: 'admin',
  tokenSha256: digest(token),
  createdAt: '2026-01-01T00:00:00.000Z',
  lastUsedAt: '2026-01-01T00:00:00.000Z',
});

void describe('kube session store', () => {
  let sim: Simulator;
  let a: KubeSessionStore;
  let b: KubeSessionStore;
  const make = () =>
    createKubeSessionStore({
      kubeConfig: loadKubeConfig({ kind: 'yaml', yaml: sim.kubeconfig() }),
      namespace: 'demo-a',
      logger: createLogger({ level: 'silent' }),
      metrics: createMetrics(),
    });
  before(async () => {
    sim = await startSimulator({ delays: 'instant' });
    a = make();
    b = make();
    a.start();
    b.start();
    await Promise.all([
      a.waitForSync(AbortSignal.timeout(10_000)),
      b.waitForSync(AbortSignal.timeout(10_000)),
    ]);
  });
  after(async () => {
    a.stop();
    b.stop();
    await sim.close();
  });

  void it('a session created on one replica is found on the other at once', async () => {
    assert.equal(a.isReady(), true);
    const session = record('0123456789abcdef0123456789abcdef', 'token-one');
    await a.create(session);
    // b may not have seen the watch event yet: the lookup falls back to the cluster.
    assert.deepEqual(a.findCached(digest('token-one')), session, 'its creator has it at once');
    assert.deepEqual(await b.fetchByTokenDigest(digest('token-one')), session);
    assert.equal(await b.fetchByTokenDigest(digest('some-other-token')), undefined);
  });

  void it('stores a labelled Secret holding the digest, never the token', () => {
    const secrets = sim.store.list('secrets', 'demo-a').items;
    const secret = secrets.find(
      (s) => s.metadata.labels?.['kubevirt-redfish.io/kind'] === 'session',
    );
    assert.ok(secret);
    assert.equal(secret.metadata.labels?.['app.kubernetes.io/managed-by'], 'kubevirt-redfish');
    const body = JSON.stringify(secret);
    assert.equal(body.includes('token-one'), false);
    assert.equal(body.includes(Buffer.from('token-one').toString('base64')), false);
  });

  void it('lists from cache, touches at most once a minute, deletes everywhere', async () => {
    const session = record('fedcba9876543210fedcba9876543210', 'token-two');
    await b.create(session);
    const seen = () => a.list().some((r) => r.id === session.id);
    while (!seen()) await new Promise((resolve) => setImmediate(resolve));
    const writes = () => sim.apiServer.requestCount({ method: 'PATCH' });
    const before = writes();
    await a.touch(session.id, '2026-01-01T00:00:30.000Z');
    assert.equal(writes(), before, 'a touch within a minute is not written');
    await a.touch(session.id, '2026-01-01T00:05:00.000Z');
    assert.equal(writes(), before + 1);
    while (a.list().find((r) => r.id === session.id)?.lastUsedAt !== '2026-01-01T00:05:00.000Z') {
      await new Promise((resolve) => setImmediate(resolve));
    }
    await a.delete(session.id);
    // The other replica's cache drops it when the watch delivers the deletion.
    while (b.list().some((r) => r.id === session.id))
      await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await b.fetchByTokenDigest(digest('token-two')), undefined);
    await b.delete(session.id);
  });
});
