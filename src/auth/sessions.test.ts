import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { MemorySessionStore } from '../../test/security/memory-session-store.ts';
import { ManualClock, seededRandom } from '../util/clock.ts';
import { SessionLimitError, createSessionManager } from './sessions.ts';

const bytesFrom = (seed: number) => {
  const next = seededRandom(seed);
  return (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256)));
};

const setup = (timeoutSeconds = 1800, extra: { maxSessionsPerUser?: number } = {}) => {
  const store = new MemorySessionStore();
  const clock = new ManualClock();
  let timeout = timeoutSeconds;
  const sessions = createSessionManager({
    store,
    clock,
    timeoutSeconds: () => timeout,
    ...extra,
  });
  return { store, clock, sessions, setTimeout: (s: number) => (timeout = s) };
};

void describe('session manager', () => {
  void it('creates a session whose token is exactly the random bytes, storing only its digest', async () => {
    const store = new MemorySessionStore();
    const random = bytesFrom(42);
    const expected = bytesFrom(42);
    const sessions = createSessionManager({
      store,
      clock: new ManualClock(),
      random,
      timeoutSeconds: () => 1800,
    });
    const { id, token, record } = await sessions.create('admin');
    // Nothing but the random bytes is encoded in the token (indistinguishable from random).
    assert.equal(token, expected(32).toString('base64url'));
    assert.equal(id, expected(16).toString('hex'));
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(store.records.get(id), record);
    assert.equal(record.tokenSha256, createHash('sha256').update(token).digest('hex'));
    assert.doesNotMatch(JSON.stringify([...store.records.values()]), new RegExp(token));
    assert.equal(record.user, 'admin');
    assert.equal(record.createdAt, '2026-01-01T00:00:00.000Z');
  });

  void it('makes different tokens with the default random source', async () => {
    const store = new MemorySessionStore();
    const sessions = createSessionManager({
      store,
      clock: new ManualClock(),
      timeoutSeconds: () => 1800,
    });
    const a = await sessions.create('admin');
    const b = await sessions.create('admin');
    assert.notEqual(a.token, b.token);
    assert.notEqual(a.id, b.id);
  });

  void it('authenticates a token and refuses others without a store lookup for malformed ones', async () => {
    const { store, sessions } = setup();
    const { token, record } = await sessions.create('admin');
    assert.deepEqual(await sessions.authenticate(token), { ok: true, record });
    const wrong = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    assert.deepEqual(await sessions.authenticate(wrong), { ok: false, reason: 'invalid' });
    const finds = store.calls.filter((c) => c === 'fetch').length;
    for (const garbage of ['', 'short', `${token}x`, 'a'.repeat(42) + '!']) {
      assert.deepEqual(await sessions.authenticate(garbage), { ok: false, reason: 'invalid' });
    }
    assert.equal(store.calls.filter((c) => c === 'fetch').length, finds);
  });

  void it('answers known tokens from the cache and asks the cluster once per unknown token', async () => {
    const { store, sessions } = setup();
    const { token } = await sessions.create('admin');
    const fetches = () => store.calls.filter((c) => c === 'fetch').length;
    for (let i = 0; i < 5; i++) assert.equal((await sessions.authenticate(token)).ok, true);
    assert.equal(fetches(), 0, 'a cached session costs no lookup');
    const stranger = 'Q'.repeat(43);
    for (let i = 0; i < 5; i++)
      assert.deepEqual(await sessions.authenticate(stranger), { ok: false, reason: 'invalid' });
    assert.equal(fetches(), 1, 'an unknown token is looked up once, then remembered');
    // Created on another replica, not yet in this cache: found by the lookup.
    const other = await createSessionManager({
      store: new MemorySessionStore(),
      clock: new ManualClock(),
      timeoutSeconds: () => 1800,
    }).create('ops');
    store.elsewhere.set(other.id, other.record);
    assert.deepEqual(await sessions.authenticate(other.token), { ok: true, record: other.record });
  });

  void it('does not look a token up when the caller is throttled, and forgets the oldest unknown tokens', async () => {
    const store = new MemorySessionStore();
    const sessions = createSessionManager({
      store,
      clock: new ManualClock(),
      timeoutSeconds: () => 1800,
      maxUnknownTokens: 2,
    });
    const fetches = () => store.calls.filter((c) => c === 'fetch').length;
    assert.deepEqual(await sessions.authenticate('A'.repeat(43), { mayFetch: () => false }), {
      ok: false,
      reason: 'throttled',
    });
    assert.equal(fetches(), 0);
    for (const c of ['A', 'B', 'C']) await sessions.authenticate(c.repeat(43));
    assert.equal(fetches(), 3);
    await sessions.authenticate('C'.repeat(43));
    assert.equal(fetches(), 3, 'still remembered');
    await sessions.authenticate('A'.repeat(43));
    assert.equal(fetches(), 4, 'forgotten: the bound holds');
  });

  void it('expires after SessionTimeout of inactivity and deletes the session', async () => {
    const { store, clock, sessions } = setup(60);
    const { id, token } = await sessions.create('admin');
    await clock.advance(60_000);
    assert.equal((await sessions.authenticate(token)).ok, true);
    await clock.advance(60_001);
    assert.deepEqual(await sessions.authenticate(token), { ok: false, reason: 'expired' });
    assert.equal(store.records.has(id), false);
    assert.deepEqual(await sessions.authenticate(token), { ok: false, reason: 'invalid' });
  });

  void it('is kept alive by activity, touching the store at most once per tenth of the timeout', async () => {
    const { store, clock, sessions } = setup(300);
    const { token } = await sessions.create('admin');
    for (let i = 0; i < 20; i++) {
      await clock.advance(10_000);
      assert.equal((await sessions.authenticate(token)).ok, true, `after ${(i + 1) * 10} s`);
    }
    // 200 s of use every 10 s with a 300 s timeout: touched every 30 s, not on every request.
    const touches = store.calls.filter((c) => c.startsWith('touch'));
    assert.equal(touches.length, 6);
    await clock.advance(300_001);
    assert.equal((await sessions.authenticate(token)).ok, false);
  });

  void it('reads the timeout on every check', async () => {
    const { clock, sessions, setTimeout } = setup(1800);
    const { token } = await sessions.create('admin');
    await clock.advance(100_000);
    setTimeout(60);
    assert.deepEqual(await sessions.authenticate(token), { ok: false, reason: 'expired' });
  });

  void it('lists, gets and deletes live sessions', async () => {
    const { clock, sessions } = setup(60);
    const old = await sessions.create('admin');
    await clock.advance(50_000);
    const fresh = await sessions.create('ops');
    assert.deepEqual(
      sessions.list().map((r) => r.id),
      [old.id, fresh.id],
    );
    assert.deepEqual(sessions.get(fresh.id), fresh.record);
    await clock.advance(20_000);
    assert.deepEqual(
      sessions.list().map((r) => r.id),
      [fresh.id],
    );
    assert.equal(sessions.get(old.id), undefined);
    await sessions.delete(fresh.id);
    await sessions.delete(fresh.id);
    assert.deepEqual(sessions.list(), []);
    assert.deepEqual(await sessions.authenticate(fresh.token), { ok: false, reason: 'invalid' });
  });

  void it('sweeps expired sessions and revokes a user', async () => {
    const { store, clock, sessions } = setup(60);
    await sessions.create('idle');
    await clock.advance(61_000);
    const a = await sessions.create('admin');
    const b = await sessions.create('admin');
    const c = await sessions.create('ops');
    assert.equal(await sessions.sweepExpired(), 1);
    assert.equal(store.records.size, 3);
    assert.equal(await sessions.revokeUser('admin'), 2);
    assert.deepEqual([...store.records.keys()], [c.id]);
    assert.equal((await sessions.authenticate(a.token)).ok, false);
    assert.equal((await sessions.authenticate(b.token)).ok, false);
  });

  void it('deletes a session whose creation failed, at once or at the next sweep', async () => {
    const { store, sessions } = setup(60, { maxSessionsPerUser: 1 });
    // The write lands but its answer is lost, and the API is still down for the first delete.
    const create = store.create.bind(store);
    store.create = async (record) => {
      await create(record);
      throw new Error('connection reset');
    };
    const remove = store.delete.bind(store);
    store.delete = () => Promise.reject(new Error('API down'));
    await assert.rejects(sessions.create('admin'), /connection reset/);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(store.records.size, 1, 'left behind while the API is down');
    store.create = create;
    store.delete = remove;
    assert.equal(await sessions.sweepExpired(), 0);
    assert.equal(store.records.size, 0, 'removed by the sweep');
    // So it no longer counts towards the limit.
    await sessions.create('admin');
  });

  void it('limits live sessions per user', async () => {
    const { clock, sessions } = setup(60, { maxSessionsPerUser: 2 });
    await sessions.create('admin');
    await sessions.create('admin');
    await assert.rejects(sessions.create('admin'), SessionLimitError);
    await sessions.create('ops');
    // Expired sessions do not count.
    await clock.advance(61_000);
    await sessions.create('admin');
  });
});
