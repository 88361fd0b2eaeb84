import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import bcrypt from 'bcrypt';
import { MemorySessionStore } from '../../test/security/memory-session-store.ts';
import { BackendError } from '../backend/errors.ts';
import { parseConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { createLogger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { ManualClock } from '../util/clock.ts';
import { createAuthenticator } from './authenticator.ts';
import { RolePrivileges } from './privileges.ts';
import { createLoginLimiter } from './rate-limit.ts';
import { createSessionManager } from './sessions.ts';
import { Privileges, RoleIds, type AuthResult } from './types.ts';

const hash = bcrypt.hashSync('hashed-pw', 4);
const configText = (adminPassword = 'admin-pw') => `chassis:
  - {name: lab, namespace: vms}
  - {name: prod, namespace: prod}
authentication:
  users:
    - {username: admin, password: ${adminPassword}, chassis: [lab, prod]}
    - {username: ops, password_hash: "${hash}", chassis: [lab], role: Operator}
    - {username: viewer, password: view-pw, chassis: [prod], role: ReadOnly}
`;

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const setup = (options: { sessions?: boolean } = {}) => {
  let config: Config = parseConfig(configText(), 'auth').config;
  const clock = new ManualClock();
  const metrics = createMetrics();
  const logLines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (s: string) => void logLines.push(s) },
  });
  const store = new MemorySessionStore();
  const sessions =
    options.sessions === false
      ? undefined
      : createSessionManager({
          store,
          clock,
          timeoutSeconds: () => config.sessions.timeoutSeconds,
        });
  const authenticator = createAuthenticator({
    getConfig: () => config,
    sessions,
    clock,
    metrics,
    logger,
    limiter: createLoginLimiter({
      clock,
      perClient: { threshold: 3, durationSeconds: 10, counterResetAfterSeconds: 10 },
      perUser: { threshold: 5, durationSeconds: 10, counterResetAfterSeconds: 10 },
    }),
  });
  const failures = async (reason: string) =>
    (await metrics.authFailures.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
  const login = (user: string, password: string, remoteAddress = '192.0.2.1') =>
    authenticator.authenticate({ authorization: basic(user, password), remoteAddress });
  return {
    authenticator,
    clock,
    store,
    sessions,
    logLines,
    failures,
    login,
    reload: (text: string) => (config = parseConfig(text, 'reload').config),
  };
};

const principal = (result: AuthResult) => {
  assert.ok(result.ok, JSON.stringify(result));
  return result.principal;
};

void describe('roles and privileges', () => {
  void it('follow the DMTF predefined roles, using the registry’s privilege names', async () => {
    const registry = JSON.parse(
      await readFile(
        new URL(
          '../../../shared/redfish-schema/registries/Redfish_1.8.0_PrivilegeRegistry.json',
          import.meta.url,
        ),
        'utf8',
      ),
    ) as { PrivilegesUsed: string[] };
    assert.deepEqual([...RolePrivileges.Administrator].sort(), [...registry.PrivilegesUsed].sort());
    assert.deepEqual([...Privileges].sort(), [...registry.PrivilegesUsed].sort());
    assert.deepEqual(RolePrivileges.Operator, ['Login', 'ConfigureComponents', 'ConfigureSelf']);
    assert.deepEqual(RolePrivileges.ReadOnly, ['Login', 'ConfigureSelf']);
    assert.deepEqual(Object.keys(RolePrivileges).sort(), [...RoleIds].sort());
  });
});

void describe('Basic authentication', () => {
  void it('returns the principal with role, privileges and chassis', async () => {
    const { login } = setup();
    const admin = principal(await login('admin', 'admin-pw'));
    assert.equal(admin.user, 'admin');
    assert.equal(admin.role, 'Administrator');
    assert.deepEqual([...admin.privileges].sort(), [...RolePrivileges.Administrator].sort());
    assert.deepEqual(admin.chassis, ['lab', 'prod']);
    assert.equal(admin.sessionId, undefined);
    const ops = principal(await login('ops', 'hashed-pw'));
    assert.equal(ops.role, 'Operator');
    assert.deepEqual([...ops.privileges], [...RolePrivileges.Operator]);
    const viewer = principal(await login('viewer', 'view-pw'));
    assert.deepEqual([...viewer.privileges], [...RolePrivileges.ReadOnly]);
  });

  void it('accepts any case of the scheme and refuses what is not a valid login', async () => {
    const { authenticator, login, failures } = setup();
    const lower = await authenticator.authenticate({
      authorization: basic('admin', 'admin-pw').replace('Basic', 'bASIC'),
      remoteAddress: '192.0.2.1',
    });
    assert.equal(lower.ok, true);
    assert.deepEqual(await login('admin', 'wrong'), { ok: false, reason: 'invalid' });
    assert.deepEqual(await login('ops', 'admin-pw'), { ok: false, reason: 'invalid' });
    assert.deepEqual(await login('nobody', 'admin-pw', '192.0.2.2'), {
      ok: false,
      reason: 'invalid',
    });
    assert.deepEqual(await login('ADMIN', 'admin-pw', '192.0.2.2'), {
      ok: false,
      reason: 'invalid',
    });
    assert.deepEqual(await authenticator.authenticate({ remoteAddress: '192.0.2.3' }), {
      ok: false,
      reason: 'missing',
    });
    assert.deepEqual(
      await authenticator.authenticate({ authorization: 'Bearer x', remoteAddress: '192.0.2.3' }),
      { ok: false, reason: 'invalid' },
    );
    assert.equal(await failures('invalid'), 5);
    assert.equal(await failures('missing'), 1);
  });

  void it('follows a config reload on the next request', async () => {
    const { login, reload } = setup();
    assert.equal((await login('admin', 'admin-pw')).ok, true);
    reload(configText('rotated-pw'));
    assert.deepEqual(await login('admin', 'admin-pw'), { ok: false, reason: 'invalid' });
    assert.equal((await login('admin', 'rotated-pw')).ok, true);
    reload(configText().replace(/ {4}- \{username: viewer.*\n/, ''));
    assert.deepEqual(await login('viewer', 'view-pw'), { ok: false, reason: 'invalid' });
  });
});

void describe('failed-login throttling', () => {
  void it('refuses even correct passwords from an address after a burst of failures', async () => {
    const { login, clock, failures } = setup();
    for (let i = 0; i < 3; i++) await login('admin', 'wrong');
    assert.deepEqual(await login('admin', 'admin-pw'), {
      ok: false,
      reason: 'rateLimited',
      retryAfterSeconds: 10,
    });
    assert.equal(await failures('rateLimited'), 1);
    // Keyed by the socket address: another client is not affected.
    assert.equal((await login('admin', 'admin-pw', '198.51.100.7')).ok, true);
    await clock.advance(10_000);
    assert.equal((await login('admin', 'admin-pw')).ok, true);
  });

  void it('counts unknown users and malformed credentials, not missing ones or other schemes', async () => {
    const { authenticator, login } = setup();
    for (let i = 0; i < 10; i++) {
      await authenticator.authenticate({ remoteAddress: '192.0.2.9' });
      await authenticator.authenticate({ authorization: 'Bearer abc', remoteAddress: '192.0.2.9' });
    }
    assert.equal((await login('admin', 'admin-pw', '192.0.2.9')).ok, true);
    await login('ghost', 'x', '192.0.2.9');
    await authenticator.authenticate({ authorization: 'Basic %%%', remoteAddress: '192.0.2.9' });
    await login('ghost', 'y', '192.0.2.9');
    const ghost = await login('ghost', 'z', '192.0.2.9');
    assert.equal(!ghost.ok && ghost.reason, 'rateLimited');
    // Per user and client: guessing names does not lock a configured user out of that client.
    assert.equal((await login('admin', 'admin-pw', '192.0.2.9')).ok, true);
  });

  void it('does not lock out a client that logged in by other clients’ failures', async () => {
    const { login } = setup();
    assert.equal((await login('viewer', 'view-pw', '198.51.100.1')).ok, true);
    for (let i = 0; i < 5; i++) await login('viewer', 'guess', `203.0.113.${i}`);
    assert.equal((await login('viewer', 'view-pw', '203.0.113.99')).ok, false);
    assert.equal((await login('viewer', 'view-pw', '198.51.100.1')).ok, true);
  });

  void it('reads the client from forwarding headers only when the peer is a trusted proxy', async () => {
    const { authenticator, reload } = setup();
    reload(`server: {trusted_proxies: ["10.128.0.0/14", "fd00::/8"]}\n${configText()}`);
    const via = (peer: string, headers: { forwardedFor?: string; forwarded?: string }) =>
      authenticator.authenticate({
        authorization: basic('admin', 'wrong'),
        remoteAddress: peer,
        ...headers,
      });
    const router = '10.128.2.7';
    // Three failures from one client behind the router lock that client only.
    for (let i = 0; i < 3; i++) await via(router, { forwardedFor: '203.0.113.5' });
    const locked = await via(router, { forwardedFor: '203.0.113.5' });
    assert.equal(!locked.ok && locked.reason, 'rateLimited');
    const okVia = (peer: string, headers: { forwardedFor?: string; forwarded?: string }) =>
      authenticator.authenticate({
        authorization: basic('admin', 'admin-pw'),
        remoteAddress: peer,
        ...headers,
      });
    assert.equal((await okVia(router, { forwardedFor: '198.51.100.9' })).ok, true);
    assert.equal((await okVia(`::ffff:${router}`, { forwarded: 'for=198.51.100.9' })).ok, true);
    assert.equal(
      (await okVia('fd00::1', { forwarded: 'for="[2001:db8::1]:4711";proto=https' })).ok,
      true,
    );
    // RFC 7239 names the same client; a spoofed hop further out is not believed.
    const spoofed = await okVia(router, {
      forwarded: 'for=198.51.100.9, for=203.0.113.5;proto=https',
    });
    assert.equal(!spoofed.ok && spoofed.reason, 'rateLimited');
    // From an untrusted peer the headers are ignored: its own address is the client.
    for (let i = 0; i < 3; i++) await via('192.0.2.50', { forwardedFor: `203.0.113.${60 + i}` });
    const untrusted = await okVia('192.0.2.50', { forwardedFor: '203.0.113.70' });
    assert.equal(!untrusted.ok && untrusted.reason, 'rateLimited');
  });

  void it('shares the limit between Basic and session login', async () => {
    const { authenticator, login } = setup();
    for (let i = 0; i < 3; i++)
      await authenticator.verifyPassword('admin', 'wrong', { remoteAddress: '192.0.2.4' });
    assert.equal((await login('admin', 'admin-pw', '192.0.2.4')).ok, false);
    assert.equal(
      (await authenticator.verifyPassword('admin', 'admin-pw', { remoteAddress: '192.0.2.5' })).ok,
      true,
    );
  });

  void it('slows guessing of one user spread over many addresses', async () => {
    const { login } = setup();
    for (let i = 0; i < 5; i++) await login('viewer', 'guess', `203.0.113.${i}`);
    const result = await login('viewer', 'view-pw', '203.0.113.200');
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.reason, 'rateLimited');
  });
});

void describe('X-Auth-Token', () => {
  void it('authenticates a session token to its user, with the session id', async () => {
    const { authenticator, sessions } = setup();
    const { id, token } = await sessions!.create('ops');
    const p = principal(
      await authenticator.authenticate({ authToken: token, remoteAddress: '192.0.2.1' }),
    );
    assert.equal(p.user, 'ops');
    assert.equal(p.role, 'Operator');
    assert.equal(p.sessionId, id);
    // The token wins over a Basic header sent alongside it.
    const both = await authenticator.authenticate({
      authToken: token,
      authorization: basic('admin', 'admin-pw'),
      remoteAddress: '192.0.2.1',
    });
    assert.equal(principal(both).user, 'ops');
  });

  void it('refuses unknown and expired tokens, and tokens of removed users', async () => {
    const { authenticator, sessions, clock, reload, store, failures } = setup();
    const remoteAddress = '192.0.2.1';
    assert.deepEqual(
      await authenticator.authenticate({ authToken: 'x'.repeat(43), remoteAddress }),
      {
        ok: false,
        reason: 'invalid',
      },
    );
    const old = await sessions!.create('admin');
    await clock.advance(1800_001);
    assert.deepEqual(await authenticator.authenticate({ authToken: old.token, remoteAddress }), {
      ok: false,
      reason: 'expired',
    });
    const viewer = await sessions!.create('viewer');
    reload(configText().replace(/ {4}- \{username: viewer.*\n/, ''));
    assert.deepEqual(await authenticator.authenticate({ authToken: viewer.token, remoteAddress }), {
      ok: false,
      reason: 'invalid',
    });
    assert.equal(store.records.has(viewer.id), false);
    assert.equal(await failures('expired'), 1);
  });

  void it('throttles lookups of unknown tokens per client, never known ones', async () => {
    const { authenticator, sessions, store, clock, failures } = setup();
    const { token } = await sessions!.create('ops');
    const fetches = () => store.calls.filter((c) => c === 'fetch').length;
    const attempt = (authToken: string, remoteAddress = '192.0.2.66') =>
      authenticator.authenticate({ authToken, remoteAddress });
    // Ten distinct unknown tokens each cost a lookup; then the client has to wait.
    for (let i = 0; i < 10; i++) {
      assert.deepEqual(await attempt(`${i}`.padStart(43, 'x')), { ok: false, reason: 'invalid' });
    }
    assert.equal(fetches(), 10);
    const refused = await attempt('y'.repeat(43));
    assert.equal(!refused.ok && refused.reason, 'rateLimited');
    assert.ok(!refused.ok && (refused.retryAfterSeconds ?? 0) > 0);
    assert.equal(fetches(), 10, 'a throttled client costs no lookup');
    assert.equal(await failures('rateLimited'), 1);
    // A valid session keeps working from the same client, as do other clients and password logins.
    assert.equal((await attempt(token)).ok, true);
    assert.equal((await attempt('z'.repeat(43), '192.0.2.67')).ok, false);
    assert.equal(fetches(), 11);
    assert.equal(
      (await authenticator.verifyPassword('ops', 'hashed-pw', { remoteAddress: '192.0.2.66' })).ok,
      true,
    );
    await clock.advance(60_000);
    await attempt('w'.repeat(43));
    assert.equal(fetches(), 12, 'the budget refills');
  });

  void it('reports an unreachable cluster as unavailable, with Retry-After', async () => {
    const { authenticator, store, failures } = setup();
    store.fetchByTokenDigest = () =>
      Promise.reject(new BackendError('unavailable', 'API down', { retryAfterSeconds: 7 }));
    assert.deepEqual(
      await authenticator.authenticate({ authToken: 'u'.repeat(43), remoteAddress: '::1' }),
      { ok: false, reason: 'unavailable', retryAfterSeconds: 7 },
    );
    assert.equal(await failures('unavailable'), 1);
  });

  void it('is refused when sessions are not available', async () => {
    const { authenticator } = setup({ sessions: false });
    assert.deepEqual(
      await authenticator.authenticate({ authToken: 'a'.repeat(43), remoteAddress: '::1' }),
      {
        ok: false,
        reason: 'invalid',
      },
    );
  });
});

void describe('logging', () => {
  void it('never logs a password or a token, nor an unknown user name', async () => {
    const { authenticator, sessions, login, logLines } = setup();
    await login('admin', 'admin-pw');
    await login('admin', 'typo-admin-pw');
    await login('admin-pw', 'admin-pw');
    for (let i = 0; i < 4; i++) await login('viewer', 'view-pw-wrong');
    const { token } = await sessions!.create('admin');
    await authenticator.authenticate({ authToken: token, remoteAddress: '192.0.2.1' });
    await authenticator.authenticate({
      authToken: `${token.slice(1)}A`,
      remoteAddress: '192.0.2.1',
    });
    const log = logLines.join('');
    assert.match(log, /login failed/);
    assert.match(log, /too many failed attempts/);
    assert.match(log, /"user":"admin"/);
    for (const secret of ['admin-pw', 'view-pw', token, token.slice(1)]) {
      assert.ok(!log.includes(secret), `log contains ${secret}`);
    }
  });
});
