import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../util/clock.ts';
import { createLoginLimiter } from './rate-limit.ts';

const policies = {
  perAddress: { burst: 3, refillMs: 10_000 },
  perUser: { burst: 5, refillMs: 20_000 },
};

void describe('login limiter', () => {
  void it('allows a burst of failures per address, then asks to wait for one refill', async () => {
    const clock = new ManualClock();
    const limiter = createLoginLimiter({ clock, ...policies });
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(limiter.check('10.0.0.1', undefined), { allowed: true });
      limiter.recordFailure('10.0.0.1', undefined);
    }
    assert.deepEqual(limiter.check('10.0.0.1', undefined), {
      allowed: false,
      retryAfterSeconds: 10,
    });
    // Another address is unaffected.
    assert.deepEqual(limiter.check('10.0.0.2', undefined), { allowed: true });
    await clock.advance(4_000);
    assert.deepEqual(limiter.check('10.0.0.1', undefined), {
      allowed: false,
      retryAfterSeconds: 6,
    });
    await clock.advance(6_000);
    assert.deepEqual(limiter.check('10.0.0.1', undefined), { allowed: true });
    limiter.recordFailure('10.0.0.1', undefined);
    assert.equal(limiter.check('10.0.0.1', undefined).allowed, false);
  });

  void it('throttles guessing one user from many addresses', () => {
    const clock = new ManualClock();
    const limiter = createLoginLimiter({ clock, ...policies });
    for (let i = 0; i < 5; i++) limiter.recordFailure(`10.0.1.${i}`, 'admin');
    assert.deepEqual(limiter.check('10.0.2.1', 'admin'), { allowed: false, retryAfterSeconds: 20 });
    assert.deepEqual(limiter.check('10.0.2.1', 'other'), { allowed: true });
  });

  void it('does not let a guesser lock out an address that recently logged in as the user', () => {
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

  void it('stays bounded under a flood of addresses, keeping the most recent offenders', () => {
    const clock = new ManualClock();
    const limiter = createLoginLimiter({ clock, ...policies, maxTracked: 100 });
    for (let i = 0; i < 3; i++) limiter.recordFailure('attacker', undefined);
    for (let i = 0; i < 99; i++) limiter.recordFailure(`flood-${i}`, undefined);
    for (let i = 0; i < 3; i++) limiter.recordFailure('attacker', undefined);
    for (let i = 99; i < 150; i++) limiter.recordFailure(`flood-${i}`, undefined);
    assert.equal(limiter.check('attacker', undefined).allowed, false);
    // The oldest entries were dropped.
    assert.deepEqual(limiter.check('flood-0', undefined), { allowed: true });
  });
});
