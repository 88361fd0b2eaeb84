// The privilege matrix per role on the real service: ReadOnly reads only (403 on writes),
// Operator resets, boots and inserts/ejects media but does not configure the service,
// Administrator does everything; AccountService writes are not routed at all (405), but lifting
// an account's lockout (ConfigureUsers).
// Each write is well-formed up to a deliberately bad value, so a permitted caller gets 400 from
// the handler while a refused one gets 403 from the guard, and nothing changes either way.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { startService, type TestService, type TestUser } from '../helpers/service.ts';
import { errorIds } from './redfish-errors.ts';

const roles = ['admin', 'operator-a', 'viewer-b'] as const;

interface Case {
  readonly name: string;
  readonly method: string;
  readonly path: (system: string) => string;
  readonly body?: unknown;
  /** Status per user. */
  readonly expect: Readonly<Record<TestUser, number>>;
}

const everyone = (status: number) => ({ admin: status, 'operator-a': status, 'viewer-b': status });
const components = { admin: 400, 'operator-a': 400, 'viewer-b': 403 };
const manager = { admin: 400, 'operator-a': 403, 'viewer-b': 403 };

const cases: readonly Case[] = [
  ...[
    '/redfish/v1/Systems',
    '/redfish/v1/Managers',
    '/redfish/v1/Chassis',
    '/redfish/v1/TaskService/Tasks',
    '/redfish/v1/SessionService',
    '/redfish/v1/AccountService/Roles',
    '/redfish/v1/Registries/Base',
    '/redfish/v1/JsonSchemas/Session',
  ].map((p) => ({ name: `GET ${p}`, method: 'GET', path: () => p, expect: everyone(200) })),
  {
    name: 'GET system',
    method: 'GET',
    path: (s) => `/redfish/v1/Systems/${s}`,
    expect: everyone(200),
  },
  {
    name: 'PATCH boot',
    method: 'PATCH',
    path: (s) => `/redfish/v1/Systems/${s}`,
    body: { Boot: { BootSourceOverrideTarget: 'Floppy' } },
    expect: components,
  },
  {
    name: 'Reset',
    method: 'POST',
    path: (s) => `/redfish/v1/Systems/${s}/Actions/ComputerSystem.Reset`,
    body: { ResetType: 'Bogus' },
    expect: components,
  },
  ...['Systems', 'Managers'].flatMap((host) => [
    {
      name: `InsertMedia under ${host}`,
      method: 'POST',
      path: (s: string) =>
        `/redfish/v1/${host}/${s}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`,
      body: {},
      expect: components,
    },
    {
      name: `EjectMedia under ${host}`,
      method: 'POST',
      path: (s: string) =>
        `/redfish/v1/${host}/${s}/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia`,
      body: { Bogus: true },
      expect: components,
    },
  ]),
  // The event log: reading it needs Login (registry LogEntry GET); nobody can clear it.
  ...['Systems', 'Managers'].flatMap((host) => [
    {
      name: `GET the event log under ${host}`,
      method: 'GET',
      path: (s: string) => `/redfish/v1/${host}/${s}/LogServices/Log/Entries`,
      expect: everyone(200),
    },
    {
      name: `DELETE the event log's entries under ${host}`,
      method: 'DELETE',
      path: (s: string) => `/redfish/v1/${host}/${s}/LogServices/Log/Entries`,
      expect: everyone(405),
    },
  ]),
  {
    name: 'PATCH SessionService',
    method: 'PATCH',
    path: () => '/redfish/v1/SessionService',
    body: { SessionTimeout: 1 },
    expect: manager,
  },
  {
    name: 'PATCH AccountService',
    method: 'PATCH',
    path: () => '/redfish/v1/AccountService',
    body: { ServiceEnabled: false },
    expect: everyone(405),
  },
  {
    name: 'PATCH an account',
    method: 'PATCH',
    path: () => '/redfish/v1/AccountService/Accounts/viewer-b',
    body: { Locked: true },
    expect: manager,
  },
  {
    name: 'POST Accounts',
    method: 'POST',
    path: () => '/redfish/v1/AccountService/Accounts',
    body: { UserName: 'x', Password: 'y', RoleId: 'Administrator' },
    expect: everyone(405),
  },
  {
    name: 'DELETE Role',
    method: 'DELETE',
    path: () => '/redfish/v1/AccountService/Roles/ReadOnly',
    expect: everyone(405),
  },
];

void describe('privilege matrix per role', () => {
  let service: TestService;
  const systemOf = new Map<TestUser, string>();
  before(async () => {
    service = await startService();
    for (const user of roles) {
      const members = (await service.getValid('/redfish/v1/Systems', user)).Members;
      const id = String(members[0]['@odata.id']).split('/').pop();
      assert.ok(id, `${user} sees a system`);
      systemOf.set(user, id);
    }
  });
  after(() => service.close());

  for (const c of cases)
    void it(c.name, async () => {
      for (const user of roles) {
        const reply = await service.request(c.path(systemOf.get(user) ?? ''), {
          method: c.method,
          user,
          ...(c.body === undefined ? {} : { body: c.body }),
        });
        const expected = c.expect[user];
        if (expected === 200) {
          assert.equal(reply.status, 200, `${user}: ${reply.text.slice(0, 300)}`);
          continue;
        }
        const ids = errorIds(reply, expected);
        if (expected === 403) assert.deepEqual(ids, ['InsufficientPrivilege'], user);
        if (expected === 405) {
          assert.deepEqual(ids, ['OperationNotAllowed'], user);
          assert.match(reply.headers.get('allow') ?? '', /^GET, HEAD$/);
        }
      }
    });

  void it('shows each role with the privileges it is granted', async () => {
    const role = async (id: string): Promise<string[]> =>
      (await service.getValid(`/redfish/v1/AccountService/Roles/${id}`))
        .AssignedPrivileges as string[];
    assert.deepEqual(await role('ReadOnly'), ['Login', 'ConfigureSelf']);
    assert.deepEqual(await role('Operator'), ['Login', 'ConfigureComponents', 'ConfigureSelf']);
    assert.ok((await role('Administrator')).includes('ConfigureManager'));
    const account = await service.getValid('/redfish/v1/AccountService/Accounts/operator-a');
    assert.equal(account.RoleId, 'Operator');
    assert.equal(account.Password, undefined);
    assert.deepEqual(account.Links.Role, {
      '@odata.id': '/redfish/v1/AccountService/Roles/Operator',
    });
  });
});
