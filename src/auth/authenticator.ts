// Authenticates every request: HTTP Basic against the current config's users, or X-Auth-Token
// against the cluster-held sessions; failed logins are throttled per user and client, the client
// being the socket peer or, behind a trusted proxy, the address it forwards.
import { isBackendError } from '../backend/errors.ts';
import type { Config, UserConfig } from '../config/schema.ts';
import { PasswordSecret } from '../config/secret.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Clock } from '../util/clock.ts';
import { BoundedMap, memoised } from '../util/memo.ts';
import { parseAuthorization } from './authorization-header.ts';
import { clientAddress, proxyMatcher, type ClientOrigin } from './client-address.ts';
import { createPasswordVerifier, type PasswordVerifier } from './passwords.ts';
import { privilegesOf } from './privileges.ts';
import { createLoginLimiter, type LoginLimiter } from './rate-limit.ts';
import type { SessionManager } from './sessions.ts';
import type { AuthFailureReason, AuthResult, Authenticator, Principal } from './types.ts';
import { createVerifiedLogins, type VerifiedLogins } from './verified-logins.ts';

export interface AuthenticatorOptions {
  /** Read on every request, so a reload takes effect at once. */
  readonly getConfig: () => Config;
  /** Undefined when sessions are unavailable: X-Auth-Token is then always refused. */
  readonly sessions: SessionManager | undefined;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly limiter?: LoginLimiter;
  /** Throttles cluster lookups of unknown session tokens per client (default: like logins). */
  readonly tokenLimiter?: LoginLimiter;
  readonly verifier?: PasswordVerifier;
  readonly verifiedLogins?: VerifiedLogins;
}

interface UserIndex {
  readonly byName: ReadonlyMap<string, UserConfig>;
  /** Checked for unknown users: the costliest configured secret, so their timing matches. */
  readonly decoy: PasswordSecret;
  readonly isTrustedProxy: (address: string) => boolean;
}

/** Session principals remembered per user: well above the sessions a user may hold at once. */
const maxSessionPrincipals = 1024;

const bcryptCost = (secret: PasswordSecret) =>
  secret.kind === 'bcrypt' ? Number(secret.reveal().slice(4, 6)) : -1;

const indexUsers = (config: Config): UserIndex => {
  const users = config.authentication.users;
  const costliest = [...users].sort((a, b) => bcryptCost(b.password) - bcryptCost(a.password))[0];
  return {
    byName: new Map(users.map((u) => [u.username, u])),
    decoy: costliest?.password ?? PasswordSecret.plain(''),
    isTrustedProxy: proxyMatcher(config.server.trustedProxies),
  };
};

export const createAuthenticator = (options: AuthenticatorOptions): Authenticator => {
  const { getConfig, sessions, clock, metrics, logger } = options;
  const limiter = options.limiter ?? createLoginLimiter({ clock });
  // A separate budget, so a client replaying a stale token is not also kept from logging in.
  const tokenLimiter = options.tokenLimiter ?? createLoginLimiter({ clock });
  const verifier = options.verifier ?? createPasswordVerifier({ clock });
  const verifiedLogins = options.verifiedLogins ?? createVerifiedLogins({ clock });
  const indexes = new WeakMap<Config, UserIndex>();

  const usersNow = (): UserIndex => {
    const config = getConfig();
    let index = indexes.get(config);
    if (!index) {
      index = indexUsers(config);
      indexes.set(config, index);
    }
    return index;
  };

  // One principal per configured user and per session, built once: the cached-read path asks on
  // every request, and a fresh object per request (the spread especially) outlived young-space
  // collections and grew the old generation (issue 12).
  const userPrincipals = new WeakMap<UserConfig, Principal>();
  const sessionPrincipals = new WeakMap<UserConfig, Map<string, Principal>>();
  const userPrincipal = (user: UserConfig): Principal => ({
    user: user.username,
    role: user.role,
    privileges: privilegesOf(user.role),
    chassis: user.chassis,
  });
  // Bounded like the sessions themselves; ended sessions' entries go when it is full.
  const sessionTable = () => new BoundedMap<string, Principal>(maxSessionPrincipals);
  const principalOf = (user: UserConfig, sessionId?: string): Principal => {
    if (sessionId === undefined) return memoised(userPrincipals, user, userPrincipal);
    const sessions = memoised(sessionPrincipals, user, sessionTable);
    let principal = sessions.get(sessionId);
    if (principal === undefined) {
      principal = { ...principalOf(user), sessionId };
      sessions.set(sessionId, principal);
    }
    return principal;
  };

  const fail = (reason: AuthFailureReason, retryAfterSeconds?: number): AuthResult => {
    metrics.authFailures.inc({ reason });
    return retryAfterSeconds === undefined
      ? { ok: false, reason }
      : { ok: false, reason, retryAfterSeconds };
  };

  const clientOf = (origin: ClientOrigin) => clientAddress(origin, usersNow().isTrustedProxy);

  const passwordLogin = async (
    username: string,
    password: string,
    origin: ClientOrigin,
  ): Promise<AuthResult> => {
    const { byName, decoy } = usersNow();
    const remoteAddress = clientOf(origin);
    const user = byName.get(username);
    // Unknown names are only logged as such: people type passwords into the user field.
    const who = user ? { user: username } : { unknownUser: true };
    const decision = limiter.check(remoteAddress, user?.username);
    if (!decision.allowed) {
      logger.warn({ ...who, remoteAddress }, 'login refused: too many failed attempts');
      return fail('rateLimited', decision.retryAfterSeconds);
    }
    if (!(await verifier.verify(user?.password, password, decoy)) || !user) {
      limiter.recordFailure(remoteAddress, user?.username);
      logger.info({ ...who, remoteAddress }, 'login failed');
      return fail('invalid');
    }
    limiter.recordSuccess(remoteAddress, user.username);
    return { ok: true, principal: principalOf(user) };
  };

  const tokenLogin = async (token: string, remoteAddress: string): Promise<AuthResult> => {
    if (!sessions) return fail('invalid');
    let refusal: number | undefined;
    let fetched = false;
    const mayFetch = () => {
      const decision = tokenLimiter.check(remoteAddress, undefined);
      if (decision.allowed) fetched = true;
      else refusal = decision.retryAfterSeconds;
      return decision.allowed;
    };
    let check;
    try {
      check = await sessions.authenticate(token, { mayFetch });
    } catch (error) {
      // The cluster could not be asked: the token may well be valid, so this is an outage (503
      // with Retry-After), not a refusal.
      if (isBackendError(error) && error.kind === 'unavailable') {
        logger.warn({ err: error }, 'session lookup failed: Kubernetes API unavailable');
        return fail('unavailable', error.retryAfterSeconds);
      }
      throw error;
    }
    if (!check.ok) {
      if (check.reason === 'throttled') {
        logger.warn({ remoteAddress }, 'token refused: too many unknown tokens');
        return fail('rateLimited', refusal);
      }
      // Unknown tokens are throttled like failed passwords, counting those that cost a lookup
      // (one already denied is answered from memory).
      if (check.reason === 'invalid' && fetched)
        tokenLimiter.recordFailure(remoteAddress, undefined);
      return fail(check.reason);
    }
    const user = usersNow().byName.get(check.record.user);
    if (!user) {
      // The user was removed from the config: the session dies with it.
      await sessions.delete(check.record.id).catch((err: unknown) => {
        logger.warn({ err, sessionId: check.record.id }, 'could not delete orphaned session');
      });
      return fail('invalid');
    }
    return { ok: true, principal: principalOf(user, check.record.id) };
  };

  /** Basic credentials verified before under this very config: only the lockout is checked
   *  again, so a locked out address stays locked out whatever it sends. */
  const verifiedBefore = (authorization: string, origin: ClientOrigin): Principal | undefined => {
    const known = verifiedLogins.get(getConfig(), authorization);
    const user = known === undefined ? undefined : usersNow().byName.get(known);
    return user !== undefined && limiter.check(clientOf(origin), user.username).allowed
      ? principalOf(user)
      : undefined;
  };

  return {
    async authenticate(credentials) {
      // DSP0266: X-Auth-Token and Basic are both accepted; a session token wins when both come.
      if (credentials.authToken !== undefined)
        return tokenLogin(credentials.authToken, clientOf(credentials));
      if (credentials.authorization === undefined) return fail('missing');
      const { authorization } = credentials;
      const config = getConfig();
      const principal = verifiedBefore(authorization, credentials);
      if (principal !== undefined) return { ok: true, principal };
      const parsed = parseAuthorization(authorization);
      switch (parsed.scheme) {
        case 'basic': {
          const result = await passwordLogin(parsed.username, parsed.password, credentials);
          if (result.ok) verifiedLogins.remember(config, authorization, result.principal.user);
          return result;
        }
        case 'malformed':
          limiter.recordFailure(clientOf(credentials), undefined);
          return fail('invalid');
        case 'unsupported':
          return fail('invalid');
      }
    },
    cached(credentials) {
      if (credentials.authToken !== undefined) {
        const record = sessions?.peek(credentials.authToken);
        const user = record === undefined ? undefined : usersNow().byName.get(record.user);
        return user === undefined || record === undefined
          ? undefined
          : principalOf(user, record.id);
      }
      return credentials.authorization === undefined
        ? undefined
        : verifiedBefore(credentials.authorization, credentials);
    },
    verifyPassword: passwordLogin,
    lockout: {
      policy: limiter.policy,
      isLocked: (user) => limiter.isLocked(user),
      unlock: (user) => limiter.unlock(user),
    },
  };
};
