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

/** The rig's informers: VMs, VMIs, DataVolumes and PVCs of demo-a and demo-b. */
const informerCount = 8;

/** Waits until every informer has seen its watch fail (each failure counts one restart, and the
 *  next attempt waits on the manual clock), so the grace period starts at the same instant. */
const allNoticed = async (rig: Rig, before: number): Promise<void> => {
  const deadline = Date.now() + 20_000;
  while ((await restarts(rig)) < before + informerCount) {
    if (Date.now() > deadline) throw new Error('the informers did not notice the fault');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
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

  void it('an API outage: not ready once the grace is over, cached reads, unavailable writes, then recovery', async () => {
    const cached = rig.backend.getVm(ref);
    const before = await restarts(rig);
    rig.sim.faults.unavailableFor(3_600_000);
    rig.sim.faults.dropAllWatches();
    await allNoticed(rig, before);
    await backoffClock.advance(10_000);
    await until(() => !rig.backend.isReady(), 'not ready');
    assert.deepEqual(rig.backend.getVm(ref), cached, 'reads keep serving the cache');
    await assert.rejects(
      rig.backend.reset(ref, 'On', { user: 'tester' }),
      (e: unknown) =>
        isBackendError(e) && e.kind === 'unavailable' && (e.retryAfterSeconds ?? 0) > 0,
    );
    // A long outage: many failed attempts, which must not push the next one far out.
    for (let i = 0; i < 15; i++) await backoffClock.advance(1_500);
    rig.sim.faults.clear();
    relabel(rig, 'after-outage');
    // Issue 11: serving again within 2 s of the API server's return. The clock moves 2 s and no
    // further, so readiness can only come from retries scheduled within that time.
    await backoffClock.advance(2_000);
    await until(() => rig.backend.isReady(), 'ready within 2 s of the API returning');
    await waitForVm(rig, ref, (v) => v.labels.probe === 'after-outage');
  });

  void it('a watch drop shorter than 10 s keeps serving from the cache', async () => {
    const before = await restarts(rig);
    rig.sim.faults.refuseConnectionsFor(3_600_000);
    rig.sim.faults.dropAllWatches();
    await allNoticed(rig, before);
    await backoffClock.advance(9_000);
    assert.equal(rig.backend.isReady(), true, 'still serving 9 s into the drop');
    assert.ok(rig.backend.getVm(ref));
    await backoffClock.advance(1_500);
    assert.equal(rig.backend.isReady(), false, 'stale after 10 s');
    rig.sim.faults.clear();
    await backoffClock.advance(2_000);
    await until(() => rig.backend.isReady(), 'ready again');
  });
});
