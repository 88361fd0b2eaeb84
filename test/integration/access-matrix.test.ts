// The access matrix over real HTTP (issue 3 item 6): every user × every VM in the demo namespaces
// (labelled or not) × GET / PATCH / POST Reset, plus collection membership; then every user ×
// every user's sessions and accounts (issue 11 item 9). A system outside the
// caller's scope answers exactly as a system that does not exist; ReadOnly gets 403 on writes.
// Writes carry a deliberately invalid value, so a permitted caller gets 400 from the handler, a
// refused one 403 or 404, and nothing changes in the cluster either way.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import {
  defaultConfigYaml,
  startService,
  users,
  type Reply,
  type TestService,
  type TestUser,
} from '../helpers/service.ts';
import { errorIds } from '../conformance/redfish-errors.ts';
import { allVms, resetUrl, systemUrl, writes } from './systems-http.ts';

const namespaces = ['demo-a', 'demo-b'] as const;

/** The default test config: each user's chassis (one per namespace) and whether it may write. */
const access: Readonly<Record<TestUser, { chassis: readonly string[]; writes: boolean }>> = {
  admin: { chassis: ['demo-a', 'demo-b'], writes: true },
  'operator-a': { chassis: ['demo-a'], writes: true },
  'viewer-b': { chassis: ['demo-b'], writes: false },
};
const testUsers = Object.keys(access) as TestUser[];

interface Operation {
  readonly name: string;
  readonly method: string;
  readonly url: (id: string) => string;
  readonly body?: unknown;
  /** The handler's answer to a permitted caller on a visible system. */
  readonly allowed: { readonly status: number; readonly ids: readonly string[] };
  readonly write: boolean;
}

const operations: readonly Operation[] = [
  {
    name: 'GET system',
    method: 'GET',
    url: systemUrl,
    allowed: { status: 200, ids: [] },
    write: false,
  },
  {
    name: 'GET manager',
    method: 'GET',
    url: (id) => `/redfish/v1/Managers/${id}`,
    allowed: { status: 200, ids: [] },
    write: false,
  },
  {
    name: 'PATCH boot',
    method: 'PATCH',
    url: systemUrl,
    body: { Boot: { BootSourceOverrideTarget: 'Floppy' } },
    allowed: { status: 400, ids: ['PropertyValueNotInList'] },
    write: true,
  },
  {
    name: 'POST Reset',
    method: 'POST',
    url: resetUrl,
    body: { ResetType: 'Explode' },
    allowed: { status: 400, ids: ['ActionParameterValueNotInList'] },
    write: true,
  },
];

interface Target {
  readonly id: string;
  readonly namespace: string;
  readonly labelled: boolean;
}

void describe('access matrix over HTTP', () => {
  let service: TestService;
  let targets: Target[];
  before(async () => {
    service = await startService();
    targets = allVms(service, namespaces).map((vm) => ({
      id: `${vm.metadata.namespace}.${vm.metadata.name}`,
      namespace: vm.metadata.namespace ?? '',
      labelled: vm.metadata.labels?.['redfish-enabled'] === 'true',
    }));
  });
  after(() => service.close());

  const visible = (user: TestUser, target: Target) =>
    target.labelled && access[user].chassis.includes(target.namespace);

  /** The answer's text with the system id replaced, to compare a hidden and a missing system. */
  const anonymised = (reply: Reply, id: string) => reply.text.replaceAll(id, '<id>');

  const send = (operation: Operation, user: TestUser, id: string) =>
    service.request(operation.url(id), {
      method: operation.method,
      user,
      ...(operation.body === undefined ? {} : { body: operation.body }),
    });

  void it('covers labelled and unlabelled VMs of both namespaces', () => {
    assert.ok(targets.filter((t) => !t.labelled).length >= 2, 'unlabelled VMs');
    for (const ns of namespaces) assert.ok(targets.some((t) => t.namespace === ns && t.labelled));
  });

  void it('lists exactly the visible systems, managers and chassis for each user', async () => {
    for (const user of testUsers) {
      const mine = targets
        .filter((t) => visible(user, t))
        .map((t) => t.id)
        .sort();
      for (const collection of ['Systems', 'Managers']) {
        const body = await service.getValid(`/redfish/v1/${collection}`, user);
        const ids = (body.Members as { '@odata.id': string }[])
          .map((m) => m['@odata.id'].replace(`/redfish/v1/${collection}/`, ''))
          .sort();
        assert.deepEqual(ids, mine, `${user} ${collection}`);
        assert.equal(body['Members@odata.count'], mine.length);
      }
      const chassis = await service.getValid('/redfish/v1/Chassis', user);
      const chassisIds = (chassis.Members as { '@odata.id': string }[]).map((m) =>
        m['@odata.id'].replace('/redfish/v1/Chassis/', ''),
      );
      assert.deepEqual(chassisIds.sort(), [...access[user].chassis].sort(), `${user} Chassis`);
      for (const name of chassisIds) {
        const body = await service.getValid(`/redfish/v1/Chassis/${name}`, user);
        const linked = (body.Links.ComputerSystems as { '@odata.id': string }[])
          .map((m) => m['@odata.id'].replace('/redfish/v1/Systems/', ''))
          .sort();
        assert.deepEqual(
          linked,
          mine.filter((id) => id.startsWith(`${name}.`)),
          `${user} Chassis/${name}`,
        );
      }
      // Nor does an expanded collection show anything else.
      const expanded = await service.request('/redfish/v1/Systems?$expand=.($levels=1)', { user });
      validateRedfish(expanded.body);
      assert.deepEqual(
        (expanded.body.Members as { Id: string }[]).map((m) => m.Id).sort(),
        mine,
        `${user} expanded Systems`,
      );
    }
  });

  for (const operation of operations)
    void it(`${operation.name}: every user × every system`, async () => {
      const versions = () =>
        allVms(service, namespaces).map(
          (vm) => `${vm.metadata.name}@${vm.metadata.resourceVersion}`,
        );
      const before = versions();
      const calls = writes(service);
      let checked = 0;
      for (const user of testUsers) {
        for (const target of targets) {
          const what = `${user} ${operation.method} ${target.id}`;
          const reply = await send(operation, user, target.id);
          const missingId = `${target.namespace}.no-such-vm`;
          const missing = await send(operation, user, missingId);
          if (operation.write && !access[user].writes) {
            // The privilege check comes first, so it tells nothing about the system either.
            assert.deepEqual(errorIds(reply, 403), ['InsufficientPrivilege'], what);
            assert.equal(anonymised(reply, target.id), anonymised(missing, missingId), what);
          } else if (visible(user, target)) {
            if (operation.allowed.status === 200) {
              assert.equal(reply.status, 200, `${what}: ${reply.text.slice(0, 200)}`);
              validateRedfish(reply.body);
              assert.equal(reply.body.Id, target.id, what);
            } else {
              assert.deepEqual(
                errorIds(reply, operation.allowed.status),
                operation.allowed.ids,
                what,
              );
            }
          } else {
            assert.deepEqual(errorIds(reply, 404), ['ResourceNotFound'], what);
            assert.equal(
              anonymised(reply, target.id),
              anonymised(missing, missingId),
              `${what} answers like a missing system`,
            );
          }
          checked++;
        }
      }
      assert.equal(checked, testUsers.length * targets.length);
      assert.equal(writes(service), calls, 'no API write');
      assert.deepEqual(versions(), before, 'no VM changed');
    });

  void it('resolves a bare VM name only within the caller’s scope', async () => {
    for (const user of testUsers)
      for (const target of targets) {
        const name = target.id.slice(target.namespace.length + 1);
        const what = `${user} GET ${name}`;
        const reply = await service.request(systemUrl(name), { user });
        if (visible(user, target)) {
          assert.equal(reply.status, 200, `${what}: ${reply.text.slice(0, 200)}`);
          validateRedfish(reply.body);
          assert.equal(reply.body.Id, target.id, what);
        } else {
          const missing = await service.request(systemUrl('no-such-vm'), { user });
          assert.deepEqual(errorIds(reply, 404), ['ResourceNotFound'], what);
          assert.equal(anonymised(reply, name), anonymised(missing, 'no-such-vm'), what);
        }
      }
  });
});

// Issue 11 item 9: sessions and accounts follow the chassis scope too. An Administrator of one
// chassis manages the users within it (every chassis of theirs is one of its own), sees nobody
// else's session or account (404, as if missing), and cannot change SessionTimeout, which
// applies to every chassis.
void describe('access matrix over HTTP: sessions and accounts by scope', () => {
  const scoped = { user: 'admin-a', password: 'admin-a-password' } as const;
  let service: TestService;
  /** Each user's session: its token and URL. */
  const sessions = new Map<string, { token: string; url: string }>();
  const principals = ['admin', scoped.user, 'operator-a', 'viewer-b'] as const;
  type Who = (typeof principals)[number];
  /** Whose sessions and accounts each principal may see (its own, plus those within scope). */
  const sees: Readonly<Record<Who, readonly Who[]>> = {
    admin: principals,
    'admin-a': ['admin-a', 'operator-a'],
    'operator-a': ['operator-a'],
    'viewer-b': ['viewer-b'],
  };
  const password = (who: Who) => (who === scoped.user ? scoped.password : users[who]);
  const as = (who: Who) => ({ token: sessions.get(who)!.token });

  before(async () => {
    service = await startService({
      configYaml: defaultConfigYaml().replace(
        '  users:\n',
        `  users:\n    - username: "${scoped.user}"\n      password: "${scoped.password}"\n      chassis: ["demo-a"]\n`,
      ),
    });
    for (const who of principals) {
      const reply = await service.request('/redfish/v1/SessionService/Sessions', {
        method: 'POST',
        body: { UserName: who, Password: password(who) },
      });
      assert.equal(reply.status, 201, reply.text);
      sessions.set(who, {
        token: reply.headers.get('x-auth-token')!,
        url: reply.headers.get('location')!,
      });
    }
  });
  after(() => service.close());

  void it('lists and reads exactly the sessions and accounts within each caller’s scope', async () => {
    for (const who of principals) {
      const listed = await service.request('/redfish/v1/SessionService/Sessions', as(who));
      assert.equal(listed.status, 200);
      validateRedfish(listed.body);
      const urls = (listed.body.Members as { '@odata.id': string }[]).map((m) => m['@odata.id']);
      assert.deepEqual(
        urls.sort(),
        sees[who].map((other) => sessions.get(other)!.url).sort(),
        `${who} Sessions`,
      );
      const accounts = await service.request('/redfish/v1/AccountService/Accounts', as(who));
      validateRedfish(accounts.body);
      assert.deepEqual(
        (accounts.body.Members as { '@odata.id': string }[])
          .map((m) => m['@odata.id'].replace('/redfish/v1/AccountService/Accounts/', ''))
          .sort(),
        [...sees[who]].sort(),
        `${who} Accounts`,
      );
      for (const other of principals) {
        const session = await service.request(sessions.get(other)!.url, as(who));
        const account = await service.request(`/redfish/v1/AccountService/Accounts/${other}`, {
          ...as(who),
        });
        if (sees[who].includes(other)) {
          assert.equal(session.status, 200, `${who} GET ${other}'s session`);
          validateRedfish(session.body);
          assert.equal(account.status, 200, `${who} GET ${other}'s account`);
          validateRedfish(account.body);
        } else {
          assert.deepEqual(errorIds(session, 404), ['ResourceNotFound'], `${who} ${other}`);
          assert.deepEqual(errorIds(account, 404), ['ResourceNotFound'], `${who} ${other}`);
        }
      }
    }
  });

  void it('lets a scoped Administrator end sessions only within its scope', async () => {
    const secrets = () =>
      service.service
        .simulator!.store.list('secrets', 'kubevirt-redfish')
        .items.filter((s) => s.metadata.labels?.['kubevirt-redfish.io/kind'] === 'session').length;
    const before = secrets();
    for (const other of ['admin', 'viewer-b'] as const) {
      const refused = await service.request(sessions.get(other)!.url, {
        method: 'DELETE',
        ...as(scoped.user),
      });
      assert.deepEqual(errorIds(refused, 404), ['ResourceNotFound'], other);
      assert.equal((await service.request('/redfish/v1/Systems', as(other))).status, 200);
    }
    assert.equal(secrets(), before, 'no session deleted');
    const ended = await service.request(sessions.get('operator-a')!.url, {
      method: 'DELETE',
      ...as(scoped.user),
    });
    assert.equal(ended.status, 204);
    assert.equal(secrets(), before - 1);
    assert.deepEqual(
      errorIds(await service.request('/redfish/v1/Systems', as('operator-a')), 401),
      ['AccessUnauthorized'],
    );
  });

  void it('lets a scoped Administrator unlock accounts only within its scope', async () => {
    for (const who of principals) {
      const reply = await service.request(`/redfish/v1/AccountService/Accounts/${who}`, {
        method: 'PATCH',
        body: { Locked: false },
        ...as(scoped.user),
      });
      if (sees[scoped.user].includes(who)) {
        assert.equal(reply.status, 200, `${who}: ${reply.text}`);
        validateRedfish(reply.body);
        assert.equal(reply.body.Locked, false);
      } else assert.deepEqual(errorIds(reply, 404), ['ResourceNotFound'], who);
    }
  });

  void it('leaves SessionTimeout to callers scoped to every chassis', async () => {
    const refused = await service.request('/redfish/v1/SessionService', {
      method: 'PATCH',
      body: { SessionTimeout: 600 },
      ...as(scoped.user),
    });
    assert.deepEqual(errorIds(refused, 403), ['InsufficientPrivilege']);
    assert.equal((await service.getValid('/redfish/v1/SessionService')).SessionTimeout, 1800);
    const settings = () =>
      service.service.simulator!.store.get(
        'configmaps',
        'kubevirt-redfish',
        'kubevirt-redfish-settings',
      );
    assert.equal(settings(), undefined, 'nothing stored');
    const allowed = await service.request('/redfish/v1/SessionService', {
      method: 'PATCH',
      body: { SessionTimeout: 600 },
      ...as('admin'),
    });
    assert.equal(allowed.status, 204, allowed.text);
    await service.waitFor(
      async () => (await service.getValid('/redfish/v1/SessionService')).SessionTimeout === 600,
    );
  });
});
