// Remembers Basic credentials that verified, so a client that sends them on every request (as
// Basic auth does) pays one keyed hash per request instead of parsing the header and checking
// the password again (issue 12). Only successes are kept; a changed config starts afresh.
import crypto from 'node:crypto';
import type { Config } from '../config/schema.ts';
import type { Clock } from '../util/clock.ts';
import { BoundedMap, memoised } from '../util/memo.ts';

export interface VerifiedLogins {
  /** The user these exact credentials verified as under `config`, if they did recently. */
  get(config: Config, authorization: string): string | undefined;
  /** Records that `authorization` verified as `user` under `config`. */
  remember(config: Config, authorization: string, user: string): void;
}

export interface VerifiedLoginsOptions {
  readonly clock: Clock;
  /** How long a verification is trusted; a password removed from the config goes at once
   *  (the config changes), so this bounds only how long the entry occupies memory. */
  readonly ttlMs?: number;
  readonly maxEntries?: number;
}

interface Entry {
  readonly user: string;
  readonly expires: number;
}

export const createVerifiedLogins = (options: VerifiedLoginsOptions): VerifiedLogins => {
  const { clock } = options;
  const ttl = options.ttlMs ?? 5 * 60_000;
  const maxEntries = options.maxEntries ?? 1024;
  const maxRecentKeys = Math.min(maxEntries, 256);
  // Keys are HMACs under a key that never leaves this process: the map never holds a password
  // or anything from which one could be checked offline.
  const secret = crypto.randomBytes(32);
  // Per config object: a reload (changed password, removed user) builds a new Config, whose
  // table starts empty, and the old one is collected with it.
  const tables = new WeakMap<Config, Map<string, Entry>>();
  const hmac = (authorization: string): string =>
    crypto.createHmac('sha256', secret).update(authorization, 'utf8').digest('base64');
  // A client sends the same header on every request, and an HMAC cost as much as the rest of a
  // cached read (issue 12), so the keys of headers that verified are remembered by header. The
  // trade-off: up to 256 verified headers (base64 user:password) stay in memory until their entry
  // expires or the config changes, as a plain password in the config does; never a failed one.
  const recentKeys = new WeakMap<Config, Map<string, string>>();
  const rememberKey = (config: Config, authorization: string, key: string): void => {
    memoised(recentKeys, config, () => new BoundedMap(maxRecentKeys)).set(authorization, key);
  };

  return {
    get(config, authorization) {
      const table = tables.get(config);
      if (table === undefined) return undefined;
      const memoised = recentKeys.get(config)?.get(authorization);
      const key = memoised ?? hmac(authorization);
      const entry = table.get(key);
      if (entry === undefined) return undefined;
      if (entry.expires > clock.now()) {
        if (memoised === undefined) rememberKey(config, authorization, key);
        return entry.user;
      }
      table.delete(key);
      recentKeys.get(config)?.delete(authorization);
      return undefined;
    },
    remember(config, authorization, user) {
      const table = memoised(tables, config, () => new Map());
      const key = hmac(authorization);
      rememberKey(config, authorization, key);
      table.delete(key);
      // Oldest first out: Map keeps insertion order.
      for (const oldest of table.keys()) {
        if (table.size < maxEntries) break;
        table.delete(oldest);
      }
      table.set(key, { user, expires: clock.now() + ttl });
    },
  };
};
