// Password verification: plain passwords compared in constant time over fixed-length digests,
// bcrypt hashes through the bcrypt package, and the same work for unknown users so a login's
// timing does not reveal whether the user exists.
// Called through the module object (not named imports) so tests can observe that the
// constant-time comparison is the one used.
import crypto from 'node:crypto';
import bcrypt from 'bcrypt';
import type { PasswordSecret } from '../config/secret.ts';
import type { Clock } from '../util/clock.ts';

/** Cost of hashes made by `hash-password`: ~0.25 s per check, the OWASP floor for bcrypt. */
export const defaultBcryptCost = 12;

export const hashPassword = (plain: string, cost: number = defaultBcryptCost): Promise<string> =>
  bcrypt.hash(plain, cost);

/** Compares digests, not the strings, so neither content nor length leaks through timing. */
export const plainPasswordsEqual = (expected: string, candidate: string): boolean => {
  const digest = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest();
  return crypto.timingSafeEqual(digest(expected), digest(candidate));
};

export interface PasswordVerifier {
  /**
   * True when `candidate` matches `secret`. With `secret` undefined (an unknown user) it does
   * the work of checking against `decoy` — a configured user's secret of the slowest kind —
   * and answers false.
   */
  verify(
    secret: PasswordSecret | undefined,
    candidate: string,
    decoy: PasswordSecret,
  ): Promise<boolean>;
}

export interface PasswordVerifierOptions {
  readonly clock: Clock;
  /** How long a verified bcrypt match is remembered; Basic auth sends the password on every
   *  request, and a bcrypt check per request would cap throughput at a few dozen per core. */
  readonly cacheTtlMs?: number;
  readonly cacheEntries?: number;
}

export const createPasswordVerifier = (options: PasswordVerifierOptions): PasswordVerifier => {
  const { clock } = options;
  const ttl = options.cacheTtlMs ?? 5 * 60_000;
  const maxEntries = options.cacheEntries ?? 1024;
  // Keyed by a keyed digest of (hash, candidate): only successes are kept, and a changed hash
  // (password change in a reload) can never hit an old entry.
  const cacheKey = crypto.randomBytes(32);
  const verified = new Map<string, number>();

  const check = async (secret: PasswordSecret, candidate: string): Promise<boolean> => {
    if (secret.kind === 'plain') return plainPasswordsEqual(secret.reveal(), candidate);
    const key = crypto
      .createHmac('sha256', cacheKey)
      .update(secret.reveal())
      .update('\0')
      .update(candidate, 'utf8')
      .digest('base64');
    const expires = verified.get(key);
    if (expires !== undefined && expires > clock.now()) return true;
    verified.delete(key);
    const ok = await bcrypt.compare(candidate, secret.reveal());
    if (ok) {
      if (verified.size >= maxEntries) {
        const oldest = verified.keys().next();
        if (!oldest.done) verified.delete(oldest.value);
      }
      verified.set(key, clock.now() + ttl);
    }
    return ok;
  };

  return {
    async verify(secret, candidate, decoy) {
      if (secret) return check(secret, candidate);
      // Real work against a real hash; the result is thrown away. The decoy's cache entry can
      // only exist for its true password, which then also fails here.
      await check(decoy, candidate);
      return false;
    },
  };
};
