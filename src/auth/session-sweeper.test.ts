import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { MemorySessionStore } from '../../test/security/memory-session-store.ts';
import { createLogger } from '../observability/logger.ts';
import { ManualClock } from '../util/clock.ts';
import { startSessionSweeper } from './session-sweeper.ts';
import { createSessionManager } from './sessions.ts';

const setup = () => {
  const clock = new ManualClock();
  const store = new MemorySessionStore();
  const sessions = createSessionManager({ store, clock, timeoutSeconds: () => 60 });
  const logger = createLogger({ level: 'silent' });
  return { clock, store, sessions, logger };
};

describe('session sweeper', () => {
  it('deletes sessions idle past the timeout, keeps live ones, and keeps sweeping', async () => {
    const { clock, store, sessions, logger } = setup();
    const stop = startSessionSweeper({
      sessions,
      clock,
      logger,
      intervalMs: 30_000,
      random: () => 0,
    });
    const idle = await sessions.create('admin');
    await clock.advance(45_000);
    const fresh = await sessions.create('admin');
    // Sweeps at 30 s, 60 s (idle for exactly the timeout: still valid) and 90 s (expired).
    await clock.advance(50_000);
    assert.deepEqual(
      store.list().map((r) => r.id),
      [fresh.id],
      'the idle session is gone, the fresh one stays',
    );
    assert.notEqual(idle.id, fresh.id);
    await clock.advance(60_000);
    assert.deepEqual(store.list(), [], 'a later sweep removes the next expired session');
    stop();
  });

  it('stops sweeping when stopped', async () => {
    const { clock, store, sessions, logger } = setup();
    const stop = startSessionSweeper({
      sessions,
      clock,
      logger,
      intervalMs: 30_000,
      random: () => 0,
    });
    await sessions.create('admin');
    stop();
    await clock.advance(10 * 60_000);
    assert.equal(store.list().length, 1);
    assert.equal(clock.pending, 0);
  });

  it('sweeps only while this replica holds the leader Lease', async () => {
    const { clock, store, sessions, logger } = setup();
    let leader = false;
    const stop = startSessionSweeper({
      sessions,
      clock,
      logger,
      intervalMs: 30_000,
      random: () => 0,
      isLeader: () => leader,
    });
    await sessions.create('admin');
    await clock.advance(5 * 60_000);
    assert.equal(store.list().length, 1, 'a follower leaves the expired session alone');
    leader = true;
    await clock.advance(30_000);
    assert.deepEqual(store.list(), [], 'the leader removes it');
    stop();
  });
});
