import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../util/clock.ts';
import { createLoginLimiter, trustKey, type TrustRecord } from './rate-limit.ts';

const policies = {
  perClient: { threshold: 3, durationSeconds: 10, counterResetAfterSeconds: 10 },
  perUser: { threshold: 5, durationSeconds: 20, counterResetAfterSeconds: 20 },
};

void describe('login limiter', () => {
  void it('locks a client after the threshold for the duration, per user', async () => {
    const clock = new ManualClock();
    const limiter = createLoginLimiter({ clock, ...policies });
    assert.deepEqual(limiter.policy, policies.perClient);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(limiter.check('10.0.0.1', 'admin'), { allowed: true });
      limiter.recordFailure('10.0.0.1', 'admin');
    }
    assert.deepEqual(limiter.check('10.0.0.1', 'admin'), {
      allowed: false,
      retryAfterSeconds: 10,
    });
    // Another client, or another user from the same client, is unaffected.
    assert.deepEqual(limiter.check('10.0.0.2', 'admin'), { allowed: true });
    assert.deepEqual(limiter.check('10.0.0.1', 'ops'), { allowed: true });
    await clock.advance(4_000);
    assert.deepEqual(limiter.check('10.0.0.1', 'admin'), {
      allowed: false,
      retryAfterSeconds: 6,
    });
    await clock.advance(6_000);
    assert.deepEqual(limiter.check('10.0.0.1', 'admin'), { allowed: true });
    // The lock reset the counter: the threshold applies afresh.
    limiter.recordFailure('10.0.0.1', 'admin');
    assert.equal(limiter.check('10.0.0.1', 'admin').allowed, true);
  });

  void it('reports a user locked at any client until the lock ends or is lifted', async () => {
    const clock = new ManualClock();
    const limiter = createLoginLimiter({ clock, ...policies });
    for (let i = 0; i < 2; i++) limiter.recordFailure('10.0.0.1', 'admin');
    assert.equal(limiter.isLocked('admin'), false, 'below the threshold');
    limiter.recordFailure('10.0.0.1', 'admin');
    assert.equal(limiter.isLocked('admin'), true);
    // Not a user whose name merely starts alike, nor failures under an unknown name.
    for (let i = 0; i < 3; i++) limiter.recordFailure('10.0.0.1', undefined);
    assert.equal(limiter.isLocked('adm'), false);
    assert.equal(limiter.isLocked('ops'), false);
    await clock.advance(10_000);
    assert.equal(limiter.isLocked('admin'), false, 'the lock ended');
    // The wider lock over clients counts too; lifting clears both, and the failures.
    for (let c = 0; c < 5; c++) limiter.recordFailure(`10.0.1.${c}`, 'ops');
    limiter.recordFailure('10.0.0.9', 'ops');
    limiter.recordFailure('10.0.0.9', 'ops');
    assert.equal(limiter.isLocked('ops'), true);
    limiter.unlock('ops');
    assert.equal(limiter.isLocked('ops'), false);
    assert.deepEqual(limiter.check('10.0.2.1', 'ops'), { allowed: true });
    limiter.recordFailure('10.0.0.9', 'ops');
    assert.equal(limiter.check('10.0.0.9', 'ops').allowed, true, 'failures were forgotten');
  });

  void it('forgets failures older than the counter reset time', async () => {
    const clock = new ManualClock();
    const limiter = createLoginLimiter({ clock, ...policies });
    limiter.recordFailure('10.0.0.1', undefined);
    limiter.recordFailure('10.0.0.1', undefined);
    await clock.advance(10_001);
    limiter.recordFailure('10.0.0.1', undefined);
    assert.equal(limiter.check('10.0.0.1', undefined).allowed, true);
    limiter.recordFailure('10.0.0.1', undefined);
    limiter.recordFailure('10.0.0.1', undefined);
    assert.equal(limiter.check('10.0.0.1', undefined).allowed, false);
  });

  void it('locks one user guessed from many clients', () => {
    const clock = new ManualClock();
    const limiter = createLoginLimiter({ clock, ...policies });
    for (let i = 0; i < 5; i++) limiter.recordFailure(`10.0.1.${i}`, 'admin');
    assert.deepEqual(limiter.check('10.0.2.1', 'admin'), { allowed: false, retryAfterSeconds: 20 });
    assert.deepEqual(limiter.check('10.0.2.1', 'other'), { allowed: true });
  });

  void it('does not let others lock out a client that logged in as the user', () => {
    const clock = new ManualClock();
    const limiter = createLoginLimiter({ clock, ...policies });
    limiter.recordSuccess('10.9.9.9', 'ironic');
    for (let i = 0; i < 10; i++) limiter.recordFailure(`10.0.1.${i}`, 'ironic');
    assert.equal(limiter.check('10.0.3.3', 'ironic').allowed, false);
    assert.deepEqual(limiter.check('10.9.9.9', 'ironic'), { allowed: true });
  });

  void it('forgets trust after the trust period', async () => {
    const clock = new ManualClock();
    const limiter = createLoginLimiter({ clock, ...policies, trustMs: 60_000 });
    limiter.recordSuccess('10.9.9.9', 'ironic');
    await clock.advance(60_001);
    for (let i = 0; i < 5; i++) limiter.recordFailure(`10.0.1.${i}`, 'ironic');
    assert.equal(limiter.check('10.9.9.9', 'ironic').allowed, false);
  });

  void it('keeps trust in the trust record, written when new or half spent', async () => {
    const clock = new ManualClock();
    const stored = new Map<string, number>();
    const saves: string[] = [];
    const record: TrustRecord = {
      expiresAt: (key) => stored.get(key),
      save: (key, at) => {
        saves.push(key);
        stored.set(key, at);
      },
    };
    const first = createLoginLimiter({ clock, ...policies, trustMs: 60_000, trustRecord: record });
    first.recordSuccess('10.9.9.9', 'ironic');
    first.recordSuccess('10.9.9.9', 'ironic');
    assert.deepEqual(saves, [trustKey('ironic', '10.9.9.9')]);
    await clock.advance(30_001);
    first.recordSuccess('10.9.9.9', 'ironic');
    assert.equal(saves.length, 2);
    // A restarted process (or another replica) honours the stored trust.
    const second = createLoginLimiter({ clock, ...policies, trustRecord: record });
    for (let i = 0; i < 10; i++) second.recordFailure(`10.0.1.${i}`, 'ironic');
    assert.equal(second.check('10.0.3.3', 'ironic').allowed, false);
    assert.deepEqual(second.check('10.9.9.9', 'ironic'), { allowed: true });
  });

  void it('stays bounded under a flood of clients, keeping the most recent offenders', () => {
    const clock = new ManualClock();
    const limiter = createLoginLimiter({ clock, ...policies, maxTracked: 100 });
    for (let i = 0; i < 2; i++) limiter.recordFailure('early', undefined);
    for (let i = 0; i < 99; i++) limiter.recordFailure(`flood-${i}`, undefined);
    for (let i = 0; i < 2; i++) limiter.recordFailure('attacker', undefined);
    for (let i = 99; i < 150; i++) limiter.recordFailure(`flood-${i}`, undefined);
    limiter.recordFailure('attacker', undefined);
    assert.equal(limiter.check('attacker', undefined).allowed, false);
    // The oldest entries were dropped: the early failures are forgotten.
    limiter.recordFailure('early', undefined);
    assert.deepEqual(limiter.check('early', undefined), { allowed: true });
  });
});
