// Locks out failed logins per user and client (Redfish AccountService lockout semantics:
// AccountLockoutThreshold failures within AccountLockoutCounterResetAfter lock for
// AccountLockoutDuration), plus a wider lock per user against guessing spread over many clients,
// which never applies to a client that has logged in as that user: someone else's failures do
// not lock out a client that proved it knows the password (issue 11 item 8). The client is the
// address client-address.ts resolves (the socket peer unless it is a trusted proxy).
import type { LoginTrustStore } from '../backend/login-trust.ts';
import type { Clock } from '../util/clock.ts';

export interface LockoutPolicy {
  /** Failures that lock (AccountLockoutThreshold). */
  readonly threshold: number;
  /** How long a lock lasts (AccountLockoutDuration). */
  readonly durationSeconds: number;
  /** Failures older than this after the last one no longer count
   *  (AccountLockoutCounterResetAfter; at most durationSeconds, as Redfish requires). */
  readonly counterResetAfterSeconds: number;
}

/** Remembers which user logged in from which client (keys: trustKey), beyond this process. */
export type TrustRecord = LoginTrustStore;

export interface LoginLimiterOptions {
  readonly clock: Clock;
  /** Per user and client (unknown user names share one counter per client). */
  readonly perClient?: LockoutPolicy;
  /** Per user over every client that has not logged in as that user. */
  readonly perUser?: LockoutPolicy;
  /** How long a successful login exempts that client from the user's wider lock. */
  readonly trustMs?: number;
  /** Where trusts survive a restart (and reach the other replicas); memory only without. */
  readonly trustRecord?: TrustRecord;
  /** Bound on remembered counters and trusts; idle ones are forgotten first. */
  readonly maxTracked?: number;
}

export type LimitDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

export interface LoginLimiter {
  /** The per-client policy, as AccountService reports it. */
  readonly policy: LockoutPolicy;
  /** Whether a login attempt may be checked at all. `user` only for configured users. */
  check(client: string, user: string | undefined): LimitDecision;
  recordFailure(client: string, user: string | undefined): void;
  recordSuccess(client: string, user: string): void;
  /** Whether a lock of the user is in force at any client (ManagerAccount.Locked). */
  isLocked(user: string): boolean;
  /** Lifts the user's locks and forgets its failures, at every client (an administrator
   *  setting ManagerAccount.Locked to false). */
  unlock(user: string): void;
}

interface Counter {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number;
}

export const defaultClientPolicy: LockoutPolicy = {
  threshold: 10,
  durationSeconds: 60,
  counterResetAfterSeconds: 60,
};
export const defaultUserPolicy: LockoutPolicy = {
  threshold: 50,
  durationSeconds: 300,
  counterResetAfterSeconds: 300,
};

/** The key of a user and client, in counters and trust records. */
export const trustKey = (user: string, client: string): string => `${user}\0${client}`;

export const createLoginLimiter = (options: LoginLimiterOptions): LoginLimiter => {
  const { clock } = options;
  const clientPolicy = options.perClient ?? defaultClientPolicy;
  const userPolicy = options.perUser ?? defaultUserPolicy;
  const trustMs = options.trustMs ?? 24 * 3_600_000;
  const maxTracked = options.maxTracked ?? 10_000;
  const pairs = new Map<string, Counter>();
  const users = new Map<string, Counter>();
  const trusted = new Map<string, number>();

  const isTrusted = (client: string, user: string, now: number): boolean => {
    const key = trustKey(user, client);
    const local = trusted.get(key);
    if (local !== undefined && local > now) return true;
    return (options.trustRecord?.expiresAt(key) ?? -Infinity) > now;
  };

  const lockedFor = (counter: Counter | undefined, now: number): number =>
    counter && counter.lockedUntil > now ? Math.ceil((counter.lockedUntil - now) / 1000) : 0;

  const forget = <V>(map: Map<string, V>, idle: (value: V) => boolean) => {
    if (map.size < maxTracked) return;
    for (const [key, value] of map) if (idle(value)) map.delete(key);
    // Still full of live entries (a flood of clients): drop the oldest.
    for (const key of map.keys()) {
      if (map.size < maxTracked) break;
      map.delete(key);
    }
  };

  const fail = (map: Map<string, Counter>, key: string, policy: LockoutPolicy, now: number) => {
    const counter = map.get(key) ?? { failures: 0, lastFailureAt: now, lockedUntil: 0 };
    if (now - counter.lastFailureAt > policy.counterResetAfterSeconds * 1000) counter.failures = 0;
    counter.failures++;
    counter.lastFailureAt = now;
    if (counter.failures >= policy.threshold) {
      counter.lockedUntil = now + policy.durationSeconds * 1000;
      counter.failures = 0;
    }
    map.delete(key); // re-insert so Map order is least recently failed first
    const resetMs = policy.counterResetAfterSeconds * 1000;
    forget(map, (c) => c.lockedUntil <= now && now - c.lastFailureAt > resetMs);
    map.set(key, counter);
  };

  return {
    policy: clientPolicy,
    check(client, user) {
      const now = clock.now();
      const byClient = lockedFor(pairs.get(trustKey(user ?? '', client)), now);
      if (byClient > 0) return { allowed: false, retryAfterSeconds: byClient };
      if (user !== undefined && !isTrusted(client, user, now)) {
        const byUser = lockedFor(users.get(user), now);
        if (byUser > 0) return { allowed: false, retryAfterSeconds: byUser };
      }
      return { allowed: true };
    },
    recordFailure(client, user) {
      const now = clock.now();
      fail(pairs, trustKey(user ?? '', client), clientPolicy, now);
      if (user !== undefined && !isTrusted(client, user, now)) fail(users, user, userPolicy, now);
    },
    recordSuccess(client, user) {
      const now = clock.now();
      const key = trustKey(user, client);
      pairs.delete(key);
      const known = Math.max(trusted.get(key) ?? 0, options.trustRecord?.expiresAt(key) ?? 0);
      trusted.delete(key);
      forget(trusted, (until) => until <= now);
      trusted.set(key, now + trustMs);
      // Persisted when new or half spent, so a client logging in all day costs few writes.
      if (known - now < trustMs / 2) options.trustRecord?.save(key, now + trustMs);
    },
    isLocked(user) {
      const now = clock.now();
      if (lockedFor(users.get(user), now) > 0) return true;
      const prefix = trustKey(user, '');
      for (const [key, counter] of pairs)
        if (key.startsWith(prefix) && lockedFor(counter, now) > 0) return true;
      return false;
    },
    unlock(user) {
      users.delete(user);
      const prefix = trustKey(user, '');
      for (const key of [...pairs.keys()]) if (key.startsWith(prefix)) pairs.delete(key);
    },
  };
};
