// Login trust kept in the (simulated) cluster: what one store instance saves, a new instance (a
// restarted process, another replica) reads back; only digests are stored, and expired entries
// are dropped on the next write.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { loadKubeConfig } from '../../src/kube/client.ts';
import {
  createKubeLoginTrustStore,
  loginTrustConfigMapName,
  type KubeLoginTrustStore,
} from '../../src/kube/login-trust-store.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { startSimulator, type Simulator } from '../../src/sim/simulator.ts';
import { ManualClock } from '../../src/util/clock.ts';

const until = async (check: () => boolean) => {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

void describe('kube login trust store', () => {
  let sim: Simulator;
  const clock = new ManualClock();
  const stores: KubeLoginTrustStore[] = [];
  const make = () => {
    const store = createKubeLoginTrustStore({
      kubeConfig: loadKubeConfig({ kind: 'yaml', yaml: sim.kubeconfig() }),
      namespace: 'demo-a',
      logger: createLogger({ level: 'silent' }),
      metrics: createMetrics(),
      clock,
    });
    store.start();
    stores.push(store);
    return store;
  };
  const stored = () =>
    (
      sim.store.get('configmaps', 'demo-a', loginTrustConfigMapName) as
        { data?: Record<string, string> } | undefined
    )?.data ?? {};
  before(async () => {
    sim = await startSimulator({ delays: 'instant' });
  });
  after(async () => {
    for (const store of stores) store.stop();
    await sim.close();
  });

  void it('is read back by a fresh instance, holding only digests', async () => {
    const first = make();
    const soon = clock.now() + 1_000;
    const later = clock.now() + 86_400_000;
    first.save('short|192.0.2.1', soon);
    await until(() => Object.keys(stored()).length === 1);
    first.save('ironic|192.0.2.7', later);
    await until(() => Object.keys(stored()).length === 2);
    const text = JSON.stringify(stored());
    assert.ok(!text.includes('ironic') && !text.includes('192.0.2.7'));
    const digest = createHash('sha256').update('ironic|192.0.2.7').digest('hex');
    assert.equal(stored()[digest], String(later));

    const restarted = make();
    await until(() => restarted.expiresAt('ironic|192.0.2.7') !== undefined);
    assert.equal(restarted.expiresAt('ironic|192.0.2.7'), later);
    assert.equal(restarted.expiresAt('ironic|192.0.2.8'), undefined);
    // The next write drops what has expired meanwhile.
    await clock.advance(2_000);
    restarted.save('ops|192.0.2.9', later);
    await until(
      () =>
        Object.keys(stored()).length === 2 && restarted.expiresAt('ops|192.0.2.9') !== undefined,
    );
    assert.equal(restarted.expiresAt('short|192.0.2.1'), undefined);
  });
});
