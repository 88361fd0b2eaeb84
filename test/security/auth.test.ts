// Security properties of authentication and scope, checked across the modules that provide
// them: demo users × systems, user enumeration, credential rotation ending sessions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import bcrypt from 'bcrypt';
import { createAuthenticator } from '../../src/auth/authenticator.ts';
import { createScope } from '../../src/auth/scope.ts';
import { createSessionManager } from '../../src/auth/sessions.ts';
import type { VmBackend, VmSnapshot } from '../../src/backend/port.ts';
import { describeChanges } from '../../src/config/changes.ts';
import { createDemoConfig } from '../../src/config/demo.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { MemorySessionStore } from './memory-session-store.ts';

const vm = (namespace: string, name: string, labels: Record<string, string>): VmSnapshot => ({
  ref: { namespace, name },
  labels,
  uuid: `${namespace}/${name}`,
  powerState: 'On',
  health: 'OK',
  platformStatus: 'Running',
  boot: { target: 'None', enabled: 'Disabled', mode: 'UEFI' },
  bootTargets: ['None', 'Hdd'],
  nics: [],
  disks: [],
  indicatorLed: 'Off',
  efiVarsPersistent: false,
  media: { state: 'Empty', inserted: false, writeProtected: true, pendingRestart: false },
  version: '1',
  createdAt: '2026-01-01T00:00:00Z',
});

const on = { 'redfish-enabled': 'true' };
/** The demo cluster's shape: labelled VMs in both namespaces plus one unlabelled in each. */
const cluster = [
  vm('demo-a', 'vm-1', on),
  vm('demo-a', 'vm-2', on),
  vm('demo-a', 'plain', {}),
  vm('demo-b', 'vm-1', on),
  vm('demo-b', 'vm-3', on),
  vm('demo-b', 'plain', {}),
  vm('elsewhere', 'vm-9', on),
];

/** TEST DOUBLE: a VmBackend over the literal snapshots above. */
const backend: VmBackend = {
  capabilities: { nmi: false, cdromHotplug: false, rebootPolicyTerminate: false },
  isReady: () => true,
  listVms: (ns) => cluster.filter((v) => v.ref.namespace === ns),
  getVm: (ref) => cluster.find((v) => v.ref.namespace === ref.namespace && v.ref.name === ref.name),
  reset: () => Promise.reject(new Error('not used')),
  setBoot: () => Promise.reject(new Error('not used')),
  insertMedia: () => Promise.reject(new Error('not used')),
  ejectMedia: () => Promise.reject(new Error('not used')),
  setIndicatorLed: () => Promise.reject(new Error('not used')),
  setSecureBoot: () => Promise.reject(new Error('not used')),
};

const compose = (initial: Config) => {
  let config = initial;
  const clock = new ManualClock();
  const store = new MemorySessionStore();
  const sessions = createSessionManager({ store, clock, timeoutSeconds: () => 1800 });
  const authenticator = createAuthenticator({
    getConfig: () => config,
    sessions,
    clock,
    metrics: createMetrics(),
    logger: createLogger({ level: 'silent' }),
  });
  const scope = createScope({ getConfig: () => config, backend });
  return {
    authenticator,
    scope,
    sessions,
    config: () => config,
    setConfig: (next: Config) => (config = next),
  };
};

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

void describe('security: demo users × systems', () => {
  const demo = createDemoConfig();
  const { authenticator, scope } = compose(demo.config);
  const every = [
    ...cluster.map((v) => `${v.ref.namespace}.${v.ref.name}`),
    'demo-a.missing',
    'missing',
  ];
  const expected: Record<string, string[]> = {
    admin: ['demo-a.vm-1', 'demo-a.vm-2', 'demo-b.vm-1', 'demo-b.vm-3'],
    'operator-a': ['demo-a.vm-1', 'demo-a.vm-2'],
    'viewer-b': ['demo-b.vm-1', 'demo-b.vm-3'],
  };

  for (const credential of demo.credentials) {
    void it(`${credential.username} sees exactly its chassis; the rest is indistinguishable from absent`, async () => {
      const result = await authenticator.authenticate({
        authorization: basic(credential.username, credential.password),
        remoteAddress: '127.0.0.1',
      });
      assert.ok(result.ok);
      const mine = expected[credential.username]!;
      assert.deepEqual(
        scope.systems(result.principal).map((s) => s.id),
        mine,
      );
      const absent = scope.lookup(result.principal, 'demo-a.missing');
      for (const id of every) {
        const lookup = scope.lookup(result.principal, id);
        if (mine.includes(id)) assert.ok(lookup.found, id);
        else assert.deepEqual(lookup, absent, `${credential.username} must not tell ${id} exists`);
      }
    });
  }
});

void describe('security: user enumeration', () => {
  void it('spends a bcrypt check against the costliest configured hash on unknown users', async (t) => {
    const cheap = bcrypt.hashSync('a', 4);
    const dear = bcrypt.hashSync('b', 5);
    const { config } = parseConfig(
      `chassis: [{name: lab, namespace: vms}]
authentication:
  users:
    - {username: plain, password: p, chassis: [lab]}
    - {username: cheap, password_hash: "${cheap}", chassis: [lab]}
    - {username: dear, password_hash: "${dear}", chassis: [lab]}
`,
      'x',
    );
    const { authenticator } = compose(config);
    const compare = t.mock.method(bcrypt, 'compare');
    const result = await authenticator.authenticate({
      authorization: basic('no-such-user', 'guess'),
      remoteAddress: '127.0.0.1',
    });
    assert.deepEqual(result, { ok: false, reason: 'invalid' });
    assert.equal(compare.mock.callCount(), 1);
    assert.equal(compare.mock.calls[0]!.arguments[1], dear);
  });
});

void describe('security: credential rotation', () => {
  void it('ends the sessions of a user whose password changed or who was removed', async () => {
    const text = (pw: string, extra = '') => `chassis: [{name: lab, namespace: demo-a}]
authentication:
  users:
    - {username: admin, password: ${pw}, chassis: [lab]}
    - {username: keep, password: same, chassis: [lab]}
${extra}`;
    const first = parseConfig(
      text('old', '    - {username: gone, password: g, chassis: [lab]}\n'),
      'x',
    ).config;
    const app = compose(first);
    const admin = await app.sessions.create('admin');
    const keep = await app.sessions.create('keep');
    const gone = await app.sessions.create('gone');
    const next = parseConfig(text('new'), 'x').config;
    // What the config watcher's caller does with a reload.
    const changes = describeChanges(app.config(), next);
    app.setConfig(next);
    for (const user of changes.revokedUsers) await app.sessions.revokeUser(user);
    const check = (token: string) =>
      app.authenticator.authenticate({ authToken: token, remoteAddress: '::1' });
    assert.equal((await check(admin.token)).ok, false);
    assert.equal((await check(gone.token)).ok, false);
    assert.equal((await check(keep.token)).ok, true);
  });
});
