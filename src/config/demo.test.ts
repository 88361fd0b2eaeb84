import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../util/clock.ts';
import { createDemoConfig, demoNamespaces } from './demo.ts';
import { parseConfig } from './load.ts';

/** A deterministic byte source for the injected `random`. */
const bytesFrom = (seed: number) => {
  const next = seededRandom(seed);
  return (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256)));
};

void describe('createDemoConfig', () => {
  void it('has two chassis over the demo namespaces, selected by the demo label', () => {
    const { config } = createDemoConfig({ random: bytesFrom(1) });
    assert.deepEqual(
      config.chassis.map((c) => [c.name, c.namespace, c.vmSelector]),
      demoNamespaces.map((ns) => [ns, ns, { labels: { 'redfish-enabled': 'true' } }]),
    );
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.systemIdConvention, 'enhanced');
  });

  void it('has one user seeing both chassis and one user per chassis', () => {
    const { config, credentials } = createDemoConfig({ random: bytesFrom(1) });
    const users = config.authentication.users.map((u) => [u.username, u.role, u.chassis]);
    assert.deepEqual(users, [
      ['admin', 'Administrator', ['demo-a', 'demo-b']],
      ['operator-a', 'Operator', ['demo-a']],
      ['viewer-b', 'ReadOnly', ['demo-b']],
    ]);
    for (const credential of credentials) {
      const user = config.authentication.users.find((u) => u.username === credential.username);
      assert.equal(user?.password.kind, 'plain');
      assert.equal(user?.password.reveal(), credential.password);
    }
  });

  void it('draws passwords from the injected random source', () => {
    const one = createDemoConfig({ random: bytesFrom(7) }).credentials.map((c) => c.password);
    const same = createDemoConfig({ random: bytesFrom(7) }).credentials.map((c) => c.password);
    const other = createDemoConfig({ random: bytesFrom(8) }).credentials.map((c) => c.password);
    assert.deepEqual(one, same);
    assert.notDeepEqual(one, other);
    assert.equal(new Set(one).size, 3);
    for (const password of one) assert.match(password, /^[A-Za-z0-9_-]{16}$/);
    const fresh = createDemoConfig().credentials.map((c) => c.password);
    assert.notDeepEqual(fresh, one);
  });

  void it('is a valid config file as text, with the port applied', () => {
    const demo = createDemoConfig({ random: bytesFrom(3), port: 18443 });
    const reparsed = parseConfig(demo.text, 'demo');
    assert.deepEqual(reparsed.warnings, []);
    assert.equal(reparsed.config.server.port, 18443);
    assert.deepEqual(JSON.stringify(reparsed.config), JSON.stringify(demo.config));
  });
});
