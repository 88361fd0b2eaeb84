// Throttles failed logins with token buckets per socket address and per user name (only ever
// the socket peer: forwarding headers are client-controlled, and trusting them let attackers of
// the reference implementation dodge its lockout or lock out Ironic's address).
import type { Clock } from '../util/clock.ts';

export interface BucketPolicy {
  /** Failures allowed in a burst. */
  readonly burst: number;
  /** One more failure is allowed every this many milliseconds. */
  readonly refillMs: number;
}

export interface LoginLimiterOptions {
  readonly clock: Clock;
  readonly perAddress?: BucketPolicy;
  readonly perUser?: BucketPolicy;
  /** An address that logged in as a user within this time is not slowed by that user's
   *  bucket, so a guesser elsewhere cannot lock the real client out. */
  readonly trustMs?: number;
  /** Bound on remembered addresses; full buckets are forgotten first. */
  readonly maxTracked?: number;
}

export type LimitDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

export interface LoginLimiter {
  /** Whether a login attempt may be checked at all. `user` only for configured users. */
  check(address: string, user: string | undefined): LimitDecision;
  recordFailure(address: string, user: string | undefined): void;
  recordSuccess(address: string, user: string): void;
}

interface Bucket {
  tokens: number;
  at: number;
}

export const defaultAddressPolicy: BucketPolicy = { burst: 10, refillMs: 30_000 };
export const defaultUserPolicy: BucketPolicy = { burst: 20, refillMs: 15_000 };

export const createLoginLimiter = (options: LoginLimiterOptions): LoginLimiter => {
  const { clock } = options;
  const addressPolicy = options.perAddress ?? defaultAddressPolicy;
  const userPolicy = options.perUser ?? defaultUserPolicy;
  const trustMs = options.trustMs ?? 24 * 3_600_000;
  const maxTracked = options.maxTracked ?? 10_000;
  const addresses = new Map<string, Bucket>();
  const users = new Map<string, Bucket>();
  const trusted = new Map<string, number>();

  const level = (bucket: Bucket | undefined, policy: BucketPolicy, now: number): number =>
    bucket
      ? Math.min(policy.burst, bucket.tokens + (now - bucket.at) / policy.refillMs)
      : policy.burst;

  const waitSeconds = (tokens: number, policy: BucketPolicy): number =>
    Math.max(1, Math.ceil(((1 - tokens) * policy.refillMs) / 1000));

  const isTrusted = (address: string, user: string, now: number): boolean =>
    (trusted.get(`${user}\0${address}`) ?? -Infinity) > now;

  const prune = (map: Map<string, Bucket>, policy: BucketPolicy, now: number) => {
    if (map.size < maxTracked) return;
    for (const [key, bucket] of map)
      if (level(bucket, policy, now) >= policy.burst) map.delete(key);
    // Still full of live buckets (a flood of addresses): drop the oldest.
    for (const key of map.keys()) {
      if (map.size < maxTracked) break;
      map.delete(key);
    }
  };

  const consume = (map: Map<string, Bucket>, key: string, policy: BucketPolicy, now: number) => {
    const tokens = level(map.get(key), policy, now) - 1;
    map.delete(key); // re-insert so Map order is least recently failed first
    prune(map, policy, now);
    map.set(key, { tokens, at: now });
  };

  return {
    check(address, user) {
      const now = clock.now();
      const byAddress = level(addresses.get(address), addressPolicy, now);
      if (byAddress < 1)
        return { allowed: false, retryAfterSeconds: waitSeconds(byAddress, addressPolicy) };
      if (user !== undefined && !isTrusted(address, user, now)) {
        const byUser = level(users.get(user), userPolicy, now);
        if (byUser < 1)
          return { allowed: false, retryAfterSeconds: waitSeconds(byUser, userPolicy) };
      }
      return { allowed: true };
    },
    recordFailure(address, user) {
      const now = clock.now();
      consume(addresses, address, addressPolicy, now);
      if (user !== undefined && !isTrusted(address, user, now))
        consume(users, user, userPolicy, now);
    },
    recordSuccess(address, user) {
      const key = `${user}\0${address}`;
      trusted.delete(key);
      if (trusted.size >= maxTracked) {
        const oldest = trusted.keys().next();
        if (!oldest.done) trusted.delete(oldest.value);
      }
      trusted.set(key, clock.now() + trustMs);
    },
  };
};
