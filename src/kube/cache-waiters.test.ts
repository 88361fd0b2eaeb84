import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ManualClock } from '../util/clock.ts';
import { CacheWaiters } from './cache-waiters.ts';

describe('CacheWaiters', () => {
  it('resolves at once when the cache already shows the write', async () => {
    const waiters = new CacheWaiters(new ManualClock());
    assert.equal(await waiters.until(() => true), true);
  });

  it('resolves on the cache change that makes the check hold, and cancels its timer', async () => {
    const clock = new ManualClock();
    const waiters = new CacheWaiters(clock);
    let version = '1';
    const waiting = waiters.until(() => version === '2');
    waiters.changed();
    version = '2';
    waiters.changed();
    assert.equal(await waiting, true);
    assert.equal(clock.pending, 0);
  });

  it('gives up after the bound, and a throwing check counts as not yet', async () => {
    const clock = new ManualClock();
    const waiters = new CacheWaiters(clock);
    const waiting = waiters.until(() => {
      throw new Error('VM not cached yet');
    }, 1_000);
    waiters.changed();
    await clock.advance(1_000);
    assert.equal(await waiting, false);
  });

  it('releases every waiter when the backend stops', async () => {
    const waiters = new CacheWaiters(new ManualClock());
    const waiting = waiters.until(() => false);
    waiters.releaseAll();
    assert.equal(await waiting, false);
  });
});
