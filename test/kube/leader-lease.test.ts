// Leader election over a coordination.k8s.io/v1 Lease served by the simulator: of two replicas
// exactly one leads, a replica that stops renewing (killed, frozen) loses the Lease to the other
// after the lease duration, one that shuts down hands it over at once, and the simulator refuses
// a stale write with 409 (the optimistic concurrency the election relies on).
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { createKubeClients, loadKubeConfig, type KubeClients } from '../../src/kube/client.ts';
import { startLeaderElection, type LeaderElection } from '../../src/kube/leader-lease.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { startSimulator, type Simulator } from '../../src/sim/simulator.ts';
import { ManualClock } from '../../src/util/clock.ts';

const leaseDurationMs = 15_000;
const retryPeriodMs = 2_000;
const leasePath = '/apis/coordination.k8s.io/v1/namespaces/redfish/leases/leader';

/** Polls (real time) until `check` holds; the election's API calls are real HTTP. */
const until = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('leader lease', () => {
  let sim: Simulator;
  let clients: KubeClients;
  before(async () => {
    sim = await startSimulator({ scenario: false, delays: 'instant' });
    sim.store.create('namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'redfish' },
    });
    clients = createKubeClients({
      kubeConfig: loadKubeConfig({ kind: 'yaml', yaml: sim.kubeconfig() }),
      metrics: createMetrics(),
    });
  });
  after(() => sim.close());

  const elector = (identity: string, clock: ManualClock): LeaderElection =>
    startLeaderElection({
      clients,
      namespace: 'redfish',
      name: 'leader',
      identity,
      clock,
      logger: createLogger({ level: 'silent' }),
      leaseDurationMs,
      retryPeriodMs,
    });
  /** Runs one election round on `clock` and waits until it has finished (next round queued). */
  const round = async (clock: ManualClock, ms: number) => {
    await clock.advance(ms);
    await until(() => clock.pending === 1, 'the round to finish');
  };
  const holder = async () =>
    (JSON.parse(await clients.request('GET', leasePath)) as { spec: { holderIdentity: string } })
      .spec.holderIdentity;

  it('elects exactly one of two replicas racing for a new Lease; a frozen leader is replaced', async () => {
    const clockA = new ManualClock();
    const clockB = new ManualClock();
    const a = elector('replica-a', clockA);
    const b = elector('replica-b', clockB);
    await Promise.all([round(clockA, 0), round(clockB, 0)]);
    assert.equal(Number(a.isLeader()) + Number(b.isLeader()), 1, 'exactly one leader');
    const [leader, leaderClock, follower, followerClock] = a.isLeader()
      ? [a, clockA, b, clockB]
      : [b, clockB, a, clockA];
    assert.equal(await holder(), leader === a ? 'replica-a' : 'replica-b');

    // The leader renews while the follower keeps looking: leadership stays put.
    for (let i = 0; i < 10; i++) {
      await round(leaderClock, retryPeriodMs);
      await round(followerClock, retryPeriodMs);
    }
    assert.ok(leader.isLeader());
    assert.ok(!follower.isLeader());

    // The leader freezes (its clock, so its timers, stop): after the lease duration without a
    // renewal, measured on the follower's own clock, the follower takes over.
    for (let t = 0; t <= leaseDurationMs && !follower.isLeader(); t += retryPeriodMs)
      await round(followerClock, retryPeriodMs);
    assert.ok(follower.isLeader(), 'the follower took over');
    assert.equal(await holder(), leader === a ? 'replica-b' : 'replica-a');
    // The old leader wakes up, sees the new holder, and steps down.
    await round(leaderClock, retryPeriodMs);
    assert.ok(!leader.isLeader(), 'the old leader stepped down');

    // Shutting down hands the Lease over without waiting for it to expire.
    await follower.stop();
    await round(leaderClock, retryPeriodMs);
    assert.ok(leader.isLeader(), 'taken over at once after a release');
    await leader.stop();
  });

  it('answers a Lease update with a stale resourceVersion 409', async () => {
    const lease = JSON.parse(await clients.request('GET', leasePath)) as {
      metadata: { resourceVersion: string };
      spec: Record<string, unknown>;
    };
    await clients.request('PUT', leasePath, { ...lease, spec: { holderIdentity: 'x' } });
    await assert.rejects(
      clients.request('PUT', leasePath, { ...lease, spec: { holderIdentity: 'y' } }),
      (error: { code?: number }) => error.code === 409,
    );
    assert.equal(await holder(), 'x');
  });
});
