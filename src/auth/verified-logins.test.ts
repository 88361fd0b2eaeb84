import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { createLogger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { ManualClock } from '../util/clock.ts';
import { createAuthenticator } from './authenticator.ts';
import { createPasswordVerifier, type PasswordVerifier } from './passwords.ts';
import { createLoginLimiter } from './rate-limit.ts';
import { createVerifiedLogins } from './verified-logins.ts';

const configText = (password: string) => `chassis:
  - {name: lab, namespace: vms}
authentication:
  users:
    - {username: admin, password: ${password}, chassis: [lab]}
`;
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const setup = () => {
  let config: Config = parseConfig(configText('right'), 'test').config;
  const clock = new ManualClock();
  const real = createPasswordVerifier({ clock });
  let checks = 0;
  const verifier: PasswordVerifier = {
    verify: (secret, candidate, decoy) => {
      checks++;
      return real.verify(secret, candidate, decoy);
    },
  };
  const authenticator = createAuthenticator({
    getConfig: () => config,
    sessions: undefined,
    clock,
    metrics: createMetrics(),
    logger: createLogger({ level: 'silent' }),
    verifier,
    limiter: createLoginLimiter({
      clock,
      perClient: { threshold: 3, durationSeconds: 60, counterResetAfterSeconds: 60 },
    }),
  });
  return {
    clock,
    checks: () => checks,
    login: (password: string, remoteAddress = '192.0.2.1') =>
      authenticator.authenticate({ authorization: basic('admin', password), remoteAddress }),
    reload: (password: string) => (config = parseConfig(configText(password), 'test').config),
  };
};

void describe('verified Basic logins', () => {
  void it('check the password once, then answer the same credentials from memory', async () => {
    const auth = setup();
    for (let i = 0; i < 5; i++) assert.equal((await auth.login('right')).ok, true);
    assert.equal(auth.checks(), 1);
  });

  void it('never remember a failure, nor let other credentials ride on a success', async () => {
    const auth = setup();
    assert.equal((await auth.login('wrong')).ok, false);
    assert.equal((await auth.login('wrong')).ok, false);
    assert.equal(auth.checks(), 2);
    assert.equal((await auth.login('right')).ok, true);
    assert.equal((await auth.login('wrong')).ok, false);
    assert.equal(auth.checks(), 4);
  });

  void it('start afresh when the config changes: a replaced password stops working', async () => {
    const auth = setup();
    assert.equal((await auth.login('right')).ok, true);
    auth.reload('new');
    assert.equal((await auth.login('right')).ok, false);
    assert.equal((await auth.login('new')).ok, true);
    assert.equal(auth.checks(), 3);
  });

  void it('still honour the lockout of an address', async () => {
    const auth = setup();
    assert.equal((await auth.login('right', '192.0.2.9')).ok, true);
    for (let i = 0; i < 3; i++) await auth.login('wrong', '192.0.2.9');
    const refused = await auth.login('right', '192.0.2.9');
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.reason, 'rateLimited');
  });

  void it('expire, and hold a bounded number of entries', async () => {
    const clock = new ManualClock();
    const logins = createVerifiedLogins({ clock, ttlMs: 1_000, maxEntries: 2 });
    const config = parseConfig(configText('x'), 'test').config;
    logins.remember(config, 'a', 'admin');
    await clock.advance(999);
    assert.equal(logins.get(config, 'a'), 'admin');
    await clock.advance(1);
    assert.equal(logins.get(config, 'a'), undefined);
    for (const key of ['b', 'c', 'd']) logins.remember(config, key, key);
    assert.deepEqual(
      ['b', 'c', 'd'].map((k) => logins.get(config, k)),
      [undefined, 'c', 'd'],
    );
    const other = parseConfig(configText('x'), 'test').config;
    assert.equal(logins.get(other, 'c'), undefined);
  });
});
