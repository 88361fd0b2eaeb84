// The adapter's informers under the simulator's faults: dropped watches, expired resource
// versions (410) and an API outage (isReady false, writes unavailable, recovery after backoff).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/util/clock.ts';
import { isBackendError } from '../../src/backend/errors.ts';
import { startRig, waitForVm, type Rig } from './helpers.ts';

const until = (check: () => boolean, what: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const deadline = AbortSignal.timeout(20_000);
    const poll = (): void => {
      if (check()) return resolve();
      if (deadline.aborted) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 5);
    };
    poll();
  });

const restarts = async (rig: Rig): Promise<number> => {
  const metric = (await rig.metrics.registry.getMetricsAsJSON()).find(
    (m) => m.name === 'kube_informer_restarts_total',
  );
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
};

const relabel = (rig: Rig, value: string) =>
  rig.sim.store.mutate('virtualmachines.kubevirt.io', 'demo-a', 'scratch', (d) => {
    d.metadata.labels = { ...d.metadata.labels, probe: value };
  });

void describe('informers under faults', () => {
  let rig: Rig;
  const backoffClock = new ManualClock();
  const ref = { namespace: 'demo-a', name: 'scratch' };
  before(async () => {
    rig = await startRig({}, { clock: backoffClock, random: () => 0.5 });
  });
  after(async () => {
    await rig.close();
  });

  void it('a dropped watch resumes and misses nothing', async () => {
    rig.sim.faults.dropAllWatches();
    relabel(rig, 'after-drop');
    // A stream that ends at once counts as failed and waits out its backoff on our clock.
    await backoffClock.advance(1_000);
    await waitForVm(rig, ref, (v) => v.labels.probe === 'after-drop');
    await until(() => rig.backend.isReady(), 'ready again');
  });

  void it('an expired resourceVersion (410) relists and counts a restart', async () => {
    const before = await restarts(rig);
    rig.sim.faults.expireResourceVersions();
    relabel(rig, 'after-410');
    await backoffClock.advance(1_000);
    await waitForVm(rig, ref, (v) => v.labels.probe === 'after-410');
    assert.ok((await restarts(rig)) > before);
    await until(() => rig.backend.isReady(), 'ready again');
  });

  void it('an API outage: not ready, cached reads, unavailable writes, then recovery', async () => {
    const cached = rig.backend.getVm(ref);
    rig.sim.faults.unavailableFor(3_600_000);
    rig.sim.faults.dropAllWatches();
    await until(() => !rig.backend.isReady(), 'not ready');
    assert.deepEqual(rig.backend.getVm(ref), cached, 'reads keep serving the cache');
    await assert.rejects(
      rig.backend.reset(ref, 'On', { user: 'tester' }),
      (e: unknown) =>
        isBackendError(e) && e.kind === 'unavailable' && (e.retryAfterSeconds ?? 0) > 0,
    );
    const gauge = (await rig.metrics.registry.getMetricsAsJSON()).find(
      (m) => m.name === 'kube_informer_synced',
    );
    assert.ok(gauge?.values.some((v) => v.value === 0));
    rig.sim.faults.clear();
    relabel(rig, 'after-outage');
    // Retries wait on the injected clock: advance past the capped backoff.
    for (let i = 0; i < 10 && !rig.backend.isReady(); i++) {
      await backoffClock.advance(30_000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => rig.backend.isReady(), 'ready after the outage');
    await waitForVm(rig, ref, (v) => v.labels.probe === 'after-outage');
  });
});
