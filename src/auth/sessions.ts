// Redfish sessions (DSP0266 §13.3.4): random bearer tokens of which only a SHA-256 digest is
// stored, kept in the cluster through the SessionStore port so every replica honours them, and
// expired after SessionTimeout seconds without use.
import { hash, randomBytes } from 'node:crypto';
import type { WriteOptions } from '../backend/port.ts';
import type { SessionRecord, SessionStore } from '../backend/sessions.ts';
import type { Logger } from '../observability/logger.ts';
import type { Clock } from '../util/clock.ts';
import { BoundedMap, memoised } from '../util/memo.ts';

export interface CreatedSession {
  readonly id: string;
  /** The X-Auth-Token value; returned once, never stored. */
  readonly token: string;
  readonly record: SessionRecord;
}

export type SessionCheck =
  | { readonly ok: true; readonly record: SessionRecord }
  /** `throttled`: unknown here, and the caller may not make the cluster look it up now. */
  | { readonly ok: false; readonly reason: 'invalid' | 'expired' | 'throttled' };

export interface AuthenticateOptions {
  /** Asked before a token unknown to the cache costs a cluster lookup; false refuses it. */
  readonly mayFetch?: () => boolean;
}

/** Thrown by create() when the user already has the maximum number of live sessions. */
export class SessionLimitError extends Error {
  constructor(readonly user: string) {
    super(`session limit reached for user ${user}`);
    this.name = 'SessionLimitError';
  }
}

/** A login or logout: stops before its next store call once the signal aborts (the client
 *  hung up, or the deadline passed), and a login that aborts after storing its session
 *  deletes it, so no session exists whose token nobody holds. */
export type SessionWriteOptions = Pick<WriteOptions, 'signal'>;

export interface SessionManager {
  create(user: string, options?: SessionWriteOptions): Promise<CreatedSession>;
  /** Resolves a token; expired sessions are deleted and reported as such. Refreshes the
   *  session's activity time (throttled). Does not check the user still exists. Answers from
   *  the cache; only a well-formed token the cluster has not already denied is looked up there.
   *  Fails with a BackendError when that lookup cannot reach the cluster. */
  authenticate(token: string, options?: AuthenticateOptions): Promise<SessionCheck>;
  /** The live session of `token` when authenticate() would answer it from memory with nothing
   *  to do (cached, not expired, no activity write due); undefined otherwise. */
  peek(token: string): SessionRecord | undefined;
  /** A live session by id. */
  get(id: string): SessionRecord | undefined;
  /** Live sessions, oldest first. */
  list(): readonly SessionRecord[];
  /** Ends a session; succeeds when already gone. */
  delete(id: string, options?: SessionWriteOptions): Promise<void>;
  /** Ends every session of a user (removed, or password changed); returns how many. */
  revokeUser(user: string): Promise<number>;
  /** Deletes sessions that timed out without being used again; returns how many. */
  sweepExpired(): Promise<number>;
}

export interface SessionManagerOptions {
  readonly store: SessionStore;
  readonly clock: Clock;
  readonly random?: (bytes: number) => Buffer;
  /** Current SessionTimeout in seconds (30–86400), read on every check. */
  readonly timeoutSeconds: () => number;
  readonly maxSessionsPerUser?: number;
  /** Bound on remembered unknown tokens (default 10,000). */
  readonly maxUnknownTokens?: number;
  /** Where failed background writes (activity, clean-up of an expired session) are reported;
   *  they do not fail the request that caused them. */
  readonly logger?: Logger;
}

/** 32 random bytes, base64url: 43 characters. */
const tokenPattern = /^[A-Za-z0-9_-]{43}$/;

/** One-shot hash: computed on every X-Auth-Token request, without a Hash object each time. */
export const tokenDigest = (token: string): string => hash('sha256', token, 'hex');

export const createSessionManager = (options: SessionManagerOptions): SessionManager => {
  const { store, clock } = options;
  const random = options.random ?? randomBytes;
  const maxPerUser = options.maxSessionsPerUser ?? 32;
  // Touches sent from this process, so a burst of requests costs one store write, and so
  // expiry counts activity the store's cache has not caught up with yet.
  const touched = new Map<string, number>();
  // Digests the cluster has said are no session. Tokens are 256 random bits, so a digest denied
  // once is never created later: no expiry is needed, only a bound (oldest forgotten first).
  const unknown = new Set<string>();
  const maxUnknown = options.maxUnknownTokens ?? 10_000;
  const rememberUnknown = (digest: string) => {
    unknown.add(digest);
    if (unknown.size > maxUnknown) unknown.delete(unknown.values().next().value as string);
  };

  // The digests of tokens that named a live session lately, by token: a client sends its token on
  // every request, and hashing it each time cost a tenth of a cached read (issue 12). The
  // trade-off, as for Basic credentials (verified-logins.ts): up to 256 tokens that named a
  // live session stay in this process's memory until pushed out, and nowhere else.
  const recentDigests = new BoundedMap<string, string>(256);

  const timeoutMs = () => options.timeoutSeconds() * 1000;
  // Writing lastUsedAt on every request would cost an API call each; a tenth of the timeout
  // (at most a minute) keeps the expiry error small even at the 30 s minimum.
  const touchEveryMs = () => Math.min(60_000, timeoutMs() / 10);
  // Records are immutable and replaced when they change, so each lastUsedAt is parsed once: peek
  // asks on every X-Auth-Token request (issue 12).
  const storedUse = new WeakMap<SessionRecord, number>();
  const parsedUse = (record: SessionRecord) => Date.parse(record.lastUsedAt);
  const lastUsed = (record: SessionRecord) =>
    Math.max(memoised(storedUse, record, parsedUse), touched.get(record.id) ?? 0);
  const isExpired = (record: SessionRecord, now: number) => now - lastUsed(record) > timeoutMs();
  const live = () => {
    const now = clock.now();
    return store
      .list()
      .filter((r) => !isExpired(r, now))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  };

  const remove = async (id: string) => {
    const digest = store.list().find((r) => r.id === id)?.tokenSha256;
    touched.delete(id);
    await store.delete(id);
    // Its token is now as unknown as any other: a client replaying it costs no lookup.
    if (digest !== undefined) rememberUnknown(digest);
  };

  // Ids whose creation failed, until a delete of them succeeds (bounded: one per failed login).
  const abandoned = new Set<string>();
  const deleteAbandoned = async () => {
    for (const id of [...abandoned]) {
      try {
        await store.delete(id);
        abandoned.delete(id);
      } catch (error) {
        options.logger?.warn(
          { err: error, sessionId: id },
          'could not delete an abandoned session',
        );
        if (abandoned.size > 1000) abandoned.delete(id);
        return;
      }
    }
  };

  const deleteExpired = async (records: readonly SessionRecord[]) => {
    const now = clock.now();
    const expired = records.filter((r) => isExpired(r, now));
    await Promise.all(expired.map((r) => remove(r.id)));
    return expired.length;
  };

  const touchDue = (record: SessionRecord, now: number) => now - lastUsed(record) >= touchEveryMs();
  const touch = async (record: SessionRecord, now: number) => {
    if (!touchDue(record, now)) return;
    touched.set(record.id, now);
    if (touched.size > 1000) {
      for (const [id, at] of touched) if (now - at > touchEveryMs()) touched.delete(id);
    }
    await store.touch(record.id, new Date(now).toISOString()).catch((err: unknown) => {
      options.logger?.warn({ err, sessionId: record.id }, 'could not record session activity');
    });
  };

  return {
    async create(user, writeOptions = {}) {
      const mine = store.list().filter((r) => r.user === user);
      await deleteExpired(mine);
      writeOptions.signal?.throwIfAborted();
      const now = clock.now();
      if (mine.filter((r) => !isExpired(r, now)).length >= maxPerUser)
        throw new SessionLimitError(user);
      const token = random(32).toString('base64url');
      const at = new Date(now).toISOString();
      const record: SessionRecord = {
        id: random(16).toString('hex'),
        user,
        tokenSha256: tokenDigest(token),
        createdAt: at,
        lastUsedAt: at,
      };
      try {
        await store.create(record);
        // Nobody can receive the token of a login whose client hung up (or whose deadline
        // passed): it is undone like a failed one.
        writeOptions.signal?.throwIfAborted();
      } catch (error) {
        // The write may have landed although its answer was lost (a timeout, a connection cut
        // during an outage): nobody holds that token, yet it would count towards the user's
        // limit for a whole timeout and outlive a restart. Delete it, now or at the next sweep.
        abandoned.add(record.id);
        void deleteAbandoned();
        throw error;
      }
      return { id: record.id, token, record };
    },

    peek(token) {
      const digest =
        recentDigests.get(token) ?? (tokenPattern.test(token) ? tokenDigest(token) : undefined);
      if (digest === undefined) return undefined;
      const record = store.findCached(digest);
      if (record === undefined) return undefined;
      const now = clock.now();
      if (isExpired(record, now) || touchDue(record, now)) return undefined;
      recentDigests.set(token, digest);
      return record;
    },

    async authenticate(token, authOptions = {}) {
      // Malformed tokens cannot exist in the store; don't spend a cluster read on them.
      if (!tokenPattern.test(token)) return { ok: false, reason: 'invalid' };
      const digest = tokenDigest(token);
      let record = store.findCached(digest);
      if (!record) {
        if (unknown.has(digest)) return { ok: false, reason: 'invalid' };
        if (authOptions.mayFetch?.() === false) return { ok: false, reason: 'throttled' };
        record = await store.fetchByTokenDigest(digest);
        if (!record) {
          rememberUnknown(digest);
          return { ok: false, reason: 'invalid' };
        }
      }
      const now = clock.now();
      if (isExpired(record, now)) {
        await remove(record.id).catch((err: unknown) => {
          options.logger?.warn({ err, sessionId: record.id }, 'could not delete expired session');
        });
        return { ok: false, reason: 'expired' };
      }
      await touch(record, now);
      return { ok: true, record };
    },

    get: (id) => live().find((r) => r.id === id),
    list: live,
    async delete(id, writeOptions = {}) {
      writeOptions.signal?.throwIfAborted();
      await remove(id);
    },

    async revokeUser(user) {
      const mine = store.list().filter((r) => r.user === user);
      await Promise.all(mine.map((r) => remove(r.id)));
      return mine.length;
    },

    async sweepExpired() {
      await deleteAbandoned();
      return deleteExpired(store.list());
    },
  };
};
