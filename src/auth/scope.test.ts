import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VmSnapshot } from '../backend/port.ts';
import { redfishEnabled, snapshotBackend, vmSnapshot } from '../../test/helpers/scope-fixtures.ts';
import { parseConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { privilegesOf } from './privileges.ts';
import { createScope } from './scope.ts';
import type { Principal } from './types.ts';

const on = redfishEnabled;

/** The cluster: two tenant namespaces, a name shared across them, dotted names, unlabelled VMs. */
const snapshots: VmSnapshot[] = [
  vmSnapshot('ns-a', 'web', on),
  vmSnapshot('ns-a', 'db', on),
  vmSnapshot('ns-a', 'web.prod', on),
  vmSnapshot('ns-a', 'hidden'), // no label
  vmSnapshot('ns-b', 'web', on),
  vmSnapshot('ns-b', 'worker', { ...on, tier: 'gpu' }),
  vmSnapshot('ns-b', 'b.x', on),
  vmSnapshot('ns-c', 'only-c'),
];

const configText = (convention: string) => `system_id_convention: ${convention}
chassis:
  - {name: alpha, namespace: ns-a, description: Tenant A, vm_selector: {labels: {redfish-enabled: "true"}}}
  - {name: beta, namespace: ns-b, vm_selector: {labels: {redfish-enabled: "true"}}}
  - {name: gpu, namespace: ns-b, vm_selector: {labels: {tier: gpu}}}
  - {name: picked, namespace: ns-a, vm_selector: {names: [db, hidden]}}
  - {name: everything-c, namespace: ns-c}
authentication:
  users:
    - {username: root, password: x, chassis: [alpha, beta, gpu, picked, everything-c]}
    - {username: a, password: x, chassis: [alpha]}
    - {username: b, password: x, chassis: [beta]}
    - {username: g, password: x, chassis: [gpu], role: ReadOnly}
    - {username: p, password: x, chassis: [picked]}
    - {username: ab, password: x, chassis: [beta, alpha]}
`;

const principalOf = (config: Config, user: string): Principal => {
  const u = config.authentication.users.find((x) => x.username === user)!;
  return { user, role: u.role, privileges: privilegesOf(u.role), chassis: u.chassis };
};

const setup = (convention: 'enhanced' | 'legacy') => {
  let config = parseConfig(configText(convention), 'scope').config;
  const { backend, counts } = snapshotBackend(snapshots);
  const scope = createScope({ getConfig: () => config, backend });
  return {
    scope,
    counts,
    who: (user: string) => principalOf(config, user),
    reload: (text: string) => (config = parseConfig(text, 'reload').config),
  };
};

void describe('scope: chassis', () => {
  void it('shows only the caller’s chassis, in name order', () => {
    const { scope, who } = setup('enhanced');
    assert.deepEqual(scope.chassis(who('ab')), [
      { name: 'alpha', namespace: 'ns-a', description: 'Tenant A' },
      { name: 'beta', namespace: 'ns-b' },
    ]);
    assert.deepEqual(
      scope.chassis(who('g')).map((c) => c.name),
      ['gpu'],
    );
  });
});

void describe('scope: users', () => {
  void it('covers a user whose every chassis is the caller’s, and everything only with every chassis', () => {
    const { scope, who, reload } = setup('enhanced');
    assert.equal(scope.coversAll(who('root')), true);
    assert.equal(scope.coversAll(who('ab')), false);
    const covered = (caller: string) =>
      ['root', 'a', 'b', 'g', 'p', 'ab'].filter((u) => scope.coversUser(who(caller), u));
    assert.deepEqual(covered('root'), ['root', 'a', 'b', 'g', 'p', 'ab']);
    assert.deepEqual(covered('ab'), ['a', 'b', 'ab']);
    assert.deepEqual(covered('a'), ['a']);
    // A user no longer configured: only for a caller who covers everything.
    assert.equal(scope.coversUser(who('root'), 'gone'), true);
    assert.equal(scope.coversUser(who('ab'), 'gone'), false);
    // Follows a reload: a new chassis nobody has yet takes "everything" away from root.
    const root = who('root');
    reload(
      configText('enhanced').replace('chassis:\n', 'chassis:\n  - {name: new, namespace: ns-d}\n'),
    );
    assert.equal(scope.coversAll(root), false);
  });
});

void describe('scope: the visibility matrix', () => {
  // user → the systems (enhanced Ids) they see, and nothing else.
  const visible: Record<string, string[]> = {
    root: [
      'ns-a.db',
      'ns-a.hidden',
      'ns-a.web',
      'ns-a.web.prod',
      'ns-b.b.x',
      'ns-b.web',
      'ns-b.worker',
      'ns-c.only-c',
    ],
    a: ['ns-a.db', 'ns-a.web', 'ns-a.web.prod'],
    b: ['ns-b.b.x', 'ns-b.web', 'ns-b.worker'],
    g: ['ns-b.worker'],
    p: ['ns-a.db', 'ns-a.hidden'],
    ab: ['ns-a.db', 'ns-a.web', 'ns-a.web.prod', 'ns-b.b.x', 'ns-b.web', 'ns-b.worker'],
  };
  const every = visible.root!;

  for (const [user, ids] of Object.entries(visible)) {
    void it(`${user}: lists exactly its systems and resolves nothing else`, () => {
      const { scope, who } = setup('enhanced');
      const principal = who(user);
      assert.deepEqual(
        scope.systems(principal).map((s) => s.id),
        ids,
      );
      for (const id of every) {
        const result = scope.lookup(principal, id);
        if (ids.includes(id)) {
          assert.ok(result.found, `${user} should see ${id}`);
          assert.equal(result.system.id, id);
        } else {
          assert.deepEqual(
            result,
            { found: false, ambiguous: false },
            `${user} must not see ${id}`,
          );
        }
      }
      // Not in the cluster at all: the same answer as out of scope.
      assert.deepEqual(scope.lookup(principal, 'ns-a.nope'), { found: false, ambiguous: false });
      assert.deepEqual(scope.lookup(principal, 'nope'), { found: false, ambiguous: false });
    });
  }

  void it('places a system covered by several chassis under the first by name', () => {
    const { scope, who } = setup('enhanced');
    const db = scope.systems(who('root')).find((s) => s.id === 'ns-a.db');
    assert.equal(db?.chassis, 'alpha');
    const lookedUp = scope.lookup(who('root'), 'ns-a.db');
    assert.ok(lookedUp.found);
    assert.equal(lookedUp.system.chassis, 'alpha');
    assert.equal(lookedUp.system.snapshot.uuid, 'uuid-ns-a-db');
    // But for a user who only has "picked", it belongs to "picked".
    const forP = scope.lookup(who('p'), 'ns-a.db');
    assert.ok(forP.found);
    assert.equal(forP.system.chassis, 'picked');
  });

  void it('lists the members of one chassis, and nothing for a chassis the caller lacks', () => {
    const { scope, who } = setup('enhanced');
    assert.deepEqual(
      scope.systemsOfChassis(who('root'), 'picked').map((s) => [s.id, s.chassis]),
      [
        ['ns-a.db', 'alpha'],
        ['ns-a.hidden', 'picked'],
      ],
    );
    assert.deepEqual(scope.systemsOfChassis(who('a'), 'beta'), []);
    assert.deepEqual(scope.systemsOfChassis(who('a'), 'no-such'), []);
  });
});

void describe('scope: enhanced Ids', () => {
  void it('splits at the first dot, so VM names with dots stay addressable', () => {
    const { scope, who } = setup('enhanced');
    const result = scope.lookup(who('a'), 'ns-a.web.prod');
    assert.ok(result.found);
    assert.deepEqual(result.system.ref, { namespace: 'ns-a', name: 'web.prod' });
  });

  void it('accepts the bare VM name as an alias when unambiguous, answering the canonical Id', () => {
    const { scope, who } = setup('enhanced');
    const db = scope.lookup(who('a'), 'db');
    assert.ok(db.found);
    assert.equal(db.system.id, 'ns-a.db');
    const dotted = scope.lookup(who('a'), 'web.prod');
    assert.ok(dotted.found);
    assert.equal(dotted.system.id, 'ns-a.web.prod');
    // "web" exists in both tenant namespaces: an alias only for someone who sees one of them.
    const web = scope.lookup(who('b'), 'web');
    assert.ok(web.found);
    assert.equal(web.system.id, 'ns-b.web');
    assert.deepEqual(scope.lookup(who('ab'), 'web'), { found: false, ambiguous: true });
  });

  void it('prefers the canonical reading of an Id over an alias', () => {
    // VM "ns-b.web"... would be a legal VM name in ns-a; the namespace reading wins.
    const { backend } = snapshotBackend([...snapshots, vmSnapshot('ns-a', 'ns-b.web', on)]);
    const config = parseConfig(configText('enhanced'), 'x').config;
    const scope = createScope({ getConfig: () => config, backend });
    const result = scope.lookup(principalOf(config, 'ab'), 'ns-b.web');
    assert.ok(result.found);
    assert.deepEqual(result.system.ref, { namespace: 'ns-b', name: 'web' });
  });
});

void describe('scope: legacy Ids', () => {
  void it('uses bare VM names, keeping the namespaced form where a name is shared', () => {
    const { scope, who } = setup('legacy');
    assert.deepEqual(
      scope.systems(who('a')).map((s) => s.id),
      ['db', 'web', 'web.prod'],
    );
    assert.deepEqual(
      scope.systems(who('ab')).map((s) => s.id),
      ['b.x', 'db', 'ns-a.web', 'ns-b.web', 'web.prod', 'worker'],
    );
  });

  void it('fails an ambiguous name clearly instead of picking one', () => {
    const { scope, who } = setup('legacy');
    assert.deepEqual(scope.lookup(who('ab'), 'web'), { found: false, ambiguous: true });
    // Only visible VMs count: user "a" sees one "web", so it is not ambiguous for them.
    const web = scope.lookup(who('a'), 'web');
    assert.ok(web.found);
    assert.equal(web.system.id, 'web');
  });

  void it('resolves every listed Id, and the namespaced form as an alias', () => {
    const { scope, who } = setup('legacy');
    for (const user of ['root', 'a', 'b', 'ab', 'p', 'g']) {
      for (const system of scope.systems(who(user))) {
        const result = scope.lookup(who(user), system.id);
        assert.ok(result.found, `${user}: ${system.id}`);
        assert.equal(result.system.id, system.id);
        assert.deepEqual(result.system.ref, system.ref);
      }
    }
    const alias = scope.lookup(who('a'), 'ns-a.web');
    assert.ok(alias.found);
    assert.equal(alias.system.id, 'web');
    const shared = scope.lookup(who('ab'), 'ns-b.web');
    assert.ok(shared.found);
    assert.equal(shared.system.id, 'ns-b.web');
    const dotted = scope.lookup(who('b'), 'b.x');
    assert.ok(dotted.found);
    assert.deepEqual(dotted.system.ref, { namespace: 'ns-b', name: 'b.x' });
  });

  void it('hides what is out of scope in legacy form too', () => {
    const { scope, who } = setup('legacy');
    assert.deepEqual(scope.lookup(who('a'), 'worker'), { found: false, ambiguous: false });
    assert.deepEqual(scope.lookup(who('a'), 'hidden'), { found: false, ambiguous: false });
    assert.deepEqual(scope.lookup(who('g'), 'ns-b.web'), { found: false, ambiguous: false });
  });
});

void describe('scope: reload and cost', () => {
  void it('follows config reloads at once', () => {
    const { scope, who, reload } = setup('enhanced');
    const a = who('a');
    assert.equal(scope.lookup(a, 'ns-a.db').found, true);
    reload(configText('enhanced').replace('labels: {redfish-enabled: "true"}}', 'names: [web]}'));
    assert.deepEqual(
      scope.systems(a).map((s) => s.id),
      ['ns-a.web'],
    );
    assert.equal(scope.lookup(a, 'ns-a.db').found, false);
    reload(`chassis: [{name: renamed, namespace: ns-a}]
authentication: {users: [{username: a, password: x, chassis: [renamed]}]}
`);
    // The principal still names "alpha", which no longer exists.
    assert.deepEqual(scope.systems(a), []);
    assert.deepEqual(scope.chassis(a), []);
  });

  void it('answers an Id from memory only while its VM stays the same', () => {
    const config = parseConfig(configText('enhanced'), 'scope').config;
    const vms = [...snapshots];
    const { backend } = snapshotBackend(vms);
    const scope = createScope({ getConfig: () => config, backend });
    const a = principalOf(config, 'a');
    const first = scope.lookup(a, 'ns-a.web');
    assert.equal(first.found, true);
    assert.equal(scope.lookup(a, 'ns-a.web'), first);
    // Relabelled out of chassis alpha, back in, then deleted: each a new snapshot or none.
    vms[0] = vmSnapshot('ns-a', 'web');
    assert.equal(scope.lookup(a, 'ns-a.web').found, false);
    vms[0] = vmSnapshot('ns-a', 'web', on);
    const again = scope.lookup(a, 'ns-a.web');
    assert.ok(again.found && again.system.snapshot === vms[0]);
    vms.splice(0, 1);
    assert.equal(scope.lookup(a, 'ns-a.web').found, false);
  });

  void it('looks up one Id with a few cache reads, never a listing', () => {
    const { scope, who, counts } = setup('enhanced');
    const reads = (user: string, id: string) => {
      const before = counts.getVm;
      scope.lookup(who(user), id);
      return counts.getVm - before;
    };
    // Canonical enhanced Id: one read. A bare name: one per namespace of the caller's chassis
    // (root: ns-a, ns-b, ns-c; ab: ns-a, ns-b).
    assert.equal(reads('root', 'ns-a.web'), 1);
    assert.equal(reads('root', 'web'), 3);
    assert.equal(reads('ab', 'nope'), 2);
    assert.equal(reads('ab', 'ns-a.nope'), 3);
    assert.equal(counts.listVms, 0);
  });
});
