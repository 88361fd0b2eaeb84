// HTTP-level tests of the Redfish layer over fastify.inject: routing, auth, scope, errors,
// preamble, writes and a crawl of every link. The backend, scope and authenticator here are test
// doubles built from literal snapshots (acceptance tests run against the simulator instead).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type {
  AuthResult,
  Authenticator,
  ChassisView,
  Principal,
  Privilege,
  RoleId,
  Scope,
  VisibleSystem,
} from '../auth/types.ts';
import { BackendError } from '../backend/errors.ts';
import type {
  Actor,
  BackendCapabilities,
  BootChange,
  PowerAction,
  VmBackend,
  VmRef,
  VmSnapshot,
  WriteOptions,
} from '../backend/port.ts';
import { buildApp } from '../app.ts';
import { createSessionManager, type SessionManager } from '../auth/sessions.ts';
import { MemorySessionStore } from '../../test/security/memory-session-store.ts';
import { createLogger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { ManualClock } from '../util/clock.ts';
import { validateRedfish } from '../../test/helpers/redfish-schema.ts';
import { routeTable } from './routes.ts';

// --- Test doubles ----------------------------------------------------------------------------

const GiB = 1024 ** 3;
let serial = 0;

const snapshot = (
  namespace: string,
  name: string,
  extra: Partial<VmSnapshot> = {},
): VmSnapshot => ({
  ref: { namespace, name },
  labels: {},
  uuid: `6f1c3a52-0000-4000-8000-${String(++serial).padStart(12, '0')}`,
  powerState: 'Off',
  health: 'OK',
  platformStatus: 'Stopped',
  boot: { target: 'None', enabled: 'Disabled', mode: 'UEFI' },
  bootTargets: ['None', 'Pxe', 'Cd', 'Hdd'],
  cpu: { sockets: 1, cores: 2, threads: 2 },
  memoryBytes: 4 * GiB,
  nics: [],
  disks: [],
  indicatorLed: 'Off',
  efiVarsPersistent: false,
  media: { state: 'Empty', inserted: false, writeProtected: true, pendingRestart: false },
  version: '1',
  createdAt: '2026-01-01T00:00:00Z',
  ...extra,
});

interface Call {
  readonly op: 'reset' | 'setBoot';
  readonly ref: VmRef;
  readonly arg: PowerAction | BootChange;
  readonly actor: Actor;
  readonly options: WriteOptions | undefined;
}

class TestBackend implements VmBackend {
  readonly calls: Call[] = [];
  ready = true;
  /** Rejects the next write. */
  failNext: Error | undefined;
  /** Makes cache reads throw (a bug, as far as the Redfish layer can tell). */
  brokenCache: Error | undefined;
  readonly vms: VmSnapshot[];
  constructor(
    vms: readonly VmSnapshot[],
    readonly capabilities: BackendCapabilities = {
      nmi: false,
      cdromHotplug: false,
      rebootPolicyTerminate: true,
    },
  ) {
    this.vms = [...vms];
  }
  isReady(): boolean {
    return this.ready;
  }
  listVms(namespace: string): readonly VmSnapshot[] {
    if (this.brokenCache) throw this.brokenCache;
    return this.vms.filter((v) => v.ref.namespace === namespace);
  }
  getVm(ref: VmRef): VmSnapshot | undefined {
    return this.vms.find((v) => v.ref.namespace === ref.namespace && v.ref.name === ref.name);
  }
  #write(call: Call): Promise<void> {
    this.calls.push(call);
    const failure = this.failNext;
    this.failNext = undefined;
    return failure ? Promise.reject(failure) : Promise.resolve();
  }
  reset(ref: VmRef, action: PowerAction, actor: Actor, options?: WriteOptions): Promise<void> {
    return this.#write({ op: 'reset', ref, arg: action, actor, options });
  }
  setBoot(ref: VmRef, change: BootChange, actor: Actor, options?: WriteOptions): Promise<void> {
    return this.#write({ op: 'setBoot', ref, arg: change, actor, options });
  }
  insertMedia(): never {
    throw new Error('not used by these routes');
  }
  ejectMedia(): never {
    throw new Error('not used by these routes');
  }
  setIndicatorLed(): never {
    throw new Error('not used by these routes');
  }
  setSecureBoot(): never {
    throw new Error('not used by these routes');
  }
}

const chassisConfig: readonly ChassisView[] = [
  { name: 'chassis-a', namespace: 'demo-a', description: 'Lab A' },
  { name: 'chassis-b', namespace: 'demo-b' },
];

/** Enhanced Ids (<namespace>.<name>) with bare names as aliases where unambiguous. */
const testScope = (backend: VmBackend): Scope => {
  const chassis = (p: Principal) => chassisConfig.filter((c) => p.chassis.includes(c.name));
  const systemsOfChassis = (p: Principal, name: string): VisibleSystem[] =>
    chassis(p)
      .filter((c) => c.name === name)
      .flatMap((c) =>
        backend.listVms(c.namespace).map((snapshot) => ({
          id: `${snapshot.ref.namespace}.${snapshot.ref.name}`,
          ref: snapshot.ref,
          chassis: c.name,
          snapshot,
        })),
      );
  const systems = (p: Principal) =>
    chassis(p)
      .flatMap((c) => systemsOfChassis(p, c.name))
      .sort((a, b) => a.id.localeCompare(b.id));
  return {
    chassis,
    systems,
    systemsOfChassis,
    lookup(p, id) {
      const all = systems(p);
      const exact = all.find((s) => s.id === id);
      if (exact) return { found: true, system: exact };
      const named = all.filter((s) => s.ref.name === id);
      if (named.length === 1 && named[0]) return { found: true, system: named[0] };
      return { found: false, ambiguous: named.length > 1 };
    },
  };
};

const rolePrivileges: Record<RoleId, readonly Privilege[]> = {
  Administrator: [
    'Login',
    'ConfigureComponents',
    'ConfigureManager',
    'ConfigureUsers',
    'ConfigureSelf',
  ],
  Operator: ['Login', 'ConfigureComponents', 'ConfigureSelf'],
  ReadOnly: ['Login', 'ConfigureSelf'],
};

const users: Record<string, { password: string; role: RoleId; chassis: string[] }> = {
  admin: { password: 'adminpw', role: 'Administrator', chassis: ['chassis-a', 'chassis-b'] },
  oper: { password: 'operpw', role: 'Operator', chassis: ['chassis-a'] },
  viewer: { password: 'viewerpw', role: 'ReadOnly', chassis: ['chassis-a', 'chassis-b'] },
};

const principalOf = (user: string, sessionId?: string): Principal | undefined => {
  const entry = users[user];
  if (entry === undefined) return undefined;
  return {
    user,
    role: entry.role,
    privileges: new Set(rolePrivileges[entry.role]),
    chassis: entry.chassis,
    ...(sessionId === undefined ? {} : { sessionId }),
  };
};

/** Basic against `users`, X-Auth-Token against the app's session manager. */
const testAuthenticator = (sessions: SessionManager): Authenticator => ({
  async authenticate({ authorization, authToken }): Promise<AuthResult> {
    if (authToken !== undefined) {
      const check = await sessions.authenticate(authToken);
      const principal = check.ok ? principalOf(check.record.user, check.record.id) : undefined;
      return principal ? { ok: true, principal } : { ok: false, reason: 'invalid' };
    }
    if (authorization === undefined) return { ok: false, reason: 'missing' };
    const [user = '', password] = Buffer.from(authorization.replace(/^Basic /, ''), 'base64')
      .toString()
      .split(':');
    if (user === 'locked') return { ok: false, reason: 'rateLimited', retryAfterSeconds: 30 };
    const principal = principalOf(user);
    if (principal === undefined || users[user]?.password !== password)
      return { ok: false, reason: 'invalid' };
    return { ok: true, principal };
  },
  verifyPassword(user, password): Promise<AuthResult> {
    const principal = principalOf(user);
    return Promise.resolve(
      principal && users[user]?.password === password
        ? { ok: true, principal }
        : { ok: false, reason: 'invalid' },
    );
  },
});

// --- Harness ---------------------------------------------------------------------------------

const apps: FastifyInstance[] = [];
after(() => Promise.all(apps.map((a) => a.close())));

/** A VM whose CPU and memory the platform does not report. */
const withoutInventory = ({ cpu: _cpu, memoryBytes: _memory, ...vm }: VmSnapshot): VmSnapshot => vm;

const demoVms = (): VmSnapshot[] => [
  snapshot('demo-a', 'web', { powerState: 'On', platformStatus: 'Running', serialNumber: 'SN-1' }),
  withoutInventory(snapshot('demo-a', 'db.primary')),
  snapshot('demo-a', 'dup'),
  snapshot('demo-b', 'dup', {
    health: 'Critical',
    healthMessage: '0/3 nodes are available',
    platformStatus: 'ErrorUnschedulable',
    powerState: 'PoweringOn',
  }),
  snapshot('demo-b', 'api', { bootTargets: ['None', 'Hdd'] }),
];

const makeApp = async (
  options: { vms?: VmSnapshot[]; capabilities?: BackendCapabilities; bodyLimitBytes?: number } = {},
) => {
  const backend = new TestBackend(options.vms ?? demoVms(), options.capabilities);
  const logs: Record<string, unknown>[] = [];
  const metrics = createMetrics();
  const clock = new ManualClock();
  let timeoutSeconds = 1800;
  const sessions = createSessionManager({
    store: new MemorySessionStore(),
    clock,
    timeoutSeconds: () => timeoutSeconds,
  });
  const app = await buildApp({
    backend,
    authenticator: testAuthenticator(sessions),
    scope: testScope(backend),
    sessions: {
      manager: sessions,
      timeout: {
        current: () => timeoutSeconds,
        set: (seconds) => {
          timeoutSeconds = seconds;
          return Promise.resolve();
        },
      },
    },
    accounts: () => Object.entries(users).map(([userName, { role }]) => ({ userName, role })),
    logger: createLogger({
      level: 'debug',
      destination: { write: (line: string) => void logs.push(JSON.parse(line)) },
    }),
    metrics,
    clock,
    service: {
      uuid: '0b5d3c2e-1111-4222-8333-444455556666',
      product: 'kubevirt-redfish',
      firmwareVersion: '0.1.0',
    },
    ...(options.bodyLimitBytes === undefined ? {} : { bodyLimitBytes: options.bodyLimitBytes }),
  });
  apps.push(app);
  return { app, backend, logs, metrics, sessions };
};

const basic = (user: string, password = users[user]?.password ?? 'x') =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

interface Request {
  method?: 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  user?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

const call = (app: FastifyInstance, url: string, req: Request = {}) =>
  app.inject({
    method: req.method ?? 'GET',
    url,
    headers: {
      ...(req.user === undefined ? {} : { authorization: basic(req.user) }),
      ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...req.headers,
    },
    ...(req.body === undefined
      ? {}
      : { payload: typeof req.body === 'string' ? req.body : JSON.stringify(req.body) }),
  });

/** A JSON body as tests read it: loosely, since validateRedfish has checked its shape. */

type Body = Record<string, any>;

/** The response body, validated against its DMTF schema. */
const redfish = (res: LightMyRequestResponse): Body => {
  const body = res.json<Body>();
  validateRedfish(body);
  return body;
};

/** Asserts a Redfish error answer and returns its MessageIds (without the registry prefix). */
const errorIds = (res: LightMyRequestResponse, status: number): string[] => {
  assert.equal(res.statusCode, status, res.body);
  assert.equal(res.headers['odata-version'], '4.0');
  const info = redfish(res).error['@Message.ExtendedInfo'] as { MessageId: string }[];
  return info.map((m) => m.MessageId.replace('Base.1.22.', ''));
};

const resetUrl = (id: string) => `/redfish/v1/Systems/${id}/Actions/ComputerSystem.Reset`;

// --- Tests -----------------------------------------------------------------------------------

void describe('public documents', () => {
  void it('serves the version object and the service root without credentials', async () => {
    const { app } = await makeApp();
    const version = await call(app, '/redfish');
    assert.equal(version.statusCode, 200);
    assert.deepEqual(version.json(), { v1: '/redfish/v1/' });
    assert.equal(version.headers['odata-version'], '4.0');

    const bare = await call(app, '/redfish/v1');
    const slash = await call(app, '/redfish/v1/');
    assert.equal(bare.statusCode, 200);
    assert.equal(bare.body, slash.body);
    const root = bare.json();
    assert.equal(root.Id, 'RootService');
    assert.equal(root.UUID, '0b5d3c2e-1111-4222-8333-444455556666');
    assert.equal(root.Vendor, 'KubeVirt');
    assert.deepEqual(root.Systems, { '@odata.id': '/redfish/v1/Systems' });
    assert.equal(root.ProtocolFeaturesSupported.SelectQuery, true);
    assert.deepEqual(root.Links, {
      Sessions: { '@odata.id': '/redfish/v1/SessionService/Sessions' },
    });
    assert.deepEqual(root.SessionService, { '@odata.id': '/redfish/v1/SessionService' });
    validateRedfish(root);
  });

  void it('advertises no SessionService, AccountService or Links.Sessions without their dependencies', async () => {
    const backend = new TestBackend(demoVms());
    const app = await buildApp({
      backend,
      authenticator: testAuthenticator(
        createSessionManager({
          store: new MemorySessionStore(),
          clock: new ManualClock(),
          timeoutSeconds: () => 1800,
        }),
      ),
      scope: testScope(backend),
      logger: createLogger({ level: 'silent' }),
      metrics: createMetrics(),
      clock: new ManualClock(),
      service: { uuid: '0b5d3c2e-1111-4222-8333-444455556666', product: 'p', firmwareVersion: '1' },
    });
    apps.push(app);
    const root = (await call(app, '/redfish/v1')).json();
    assert.equal(root.SessionService, undefined);
    assert.equal(root.AccountService, undefined);
    assert.equal(root.Links, undefined);
    assert.ok(root.JsonSchemas);
    assert.equal(
      (await call(app, '/redfish/v1/SessionService/Sessions', { method: 'POST', body: {} }))
        .statusCode,
      404,
    );
  });
});

void describe('authentication and privilege', () => {
  void it('asks for Basic credentials on every protected URL, before anything else', async () => {
    const { app, backend } = await makeApp();
    for (const res of [
      await call(app, '/redfish/v1/Systems'),
      await call(app, '/redfish/v1/Systems/demo-a.web', {
        user: 'admin',
        headers: { authorization: basic('admin', 'wrong') },
      }),
      await call(app, '/redfish/v1/Systems/nonexistent'),
      await call(app, resetUrl('demo-a.web'), { method: 'POST', body: '{not json' }),
      await call(app, '/redfish/v1/Systems/demo-a.web', { method: 'DELETE' }),
    ]) {
      assert.deepEqual(errorIds(res, 401), ['AccessUnauthorized']);
      assert.equal(res.headers['www-authenticate'], 'Basic realm="kubevirt-redfish"');
    }
    assert.equal(backend.calls.length, 0);
  });

  void it('tells a rate-limited client when to retry, and nothing more', async () => {
    const { app } = await makeApp();
    const res = await call(app, '/redfish/v1/Systems', { user: 'locked' });
    assert.deepEqual(errorIds(res, 401), ['AccessUnauthorized']);
    assert.equal(res.headers['retry-after'], '30');
  });

  void it('lets ReadOnly read but not reset or PATCH (403)', async () => {
    const { app, backend } = await makeApp();
    assert.equal(
      (await call(app, '/redfish/v1/Systems/demo-a.web', { user: 'viewer' })).statusCode,
      200,
    );
    const reset = await call(app, resetUrl('demo-a.web'), {
      method: 'POST',
      user: 'viewer',
      body: { ResetType: 'On' },
    });
    assert.deepEqual(errorIds(reset, 403), ['InsufficientPrivilege']);
    const patch = await call(app, '/redfish/v1/Systems/demo-a.web', {
      method: 'PATCH',
      user: 'viewer',
      body: { Boot: { BootSourceOverrideTarget: 'Pxe' } },
    });
    assert.deepEqual(errorIds(patch, 403), ['InsufficientPrivilege']);
    assert.equal(backend.calls.length, 0);
  });
});

void describe('scope', () => {
  void it('lists only the caller’s systems, managers and chassis', async () => {
    const { app } = await makeApp();
    const ids = async (url: string, user: string) =>
      (redfish(await call(app, url, { user })).Members as { '@odata.id': string }[]).map((m) =>
        m['@odata.id'].split('/').pop(),
      );
    assert.deepEqual(await ids('/redfish/v1/Systems', 'oper'), [
      'demo-a.db.primary',
      'demo-a.dup',
      'demo-a.web',
    ]);
    assert.deepEqual(await ids('/redfish/v1/Systems', 'admin'), [
      'demo-a.db.primary',
      'demo-a.dup',
      'demo-a.web',
      'demo-b.api',
      'demo-b.dup',
    ]);
    assert.deepEqual(await ids('/redfish/v1/Managers', 'oper'), [
      'demo-a.db.primary',
      'demo-a.dup',
      'demo-a.web',
    ]);
    assert.deepEqual(await ids('/redfish/v1/Chassis', 'oper'), ['chassis-a']);
    const collection = redfish(await call(app, '/redfish/v1/Systems', { user: 'oper' }));
    assert.equal(collection['Members@odata.count'], 3);
  });

  void it('answers a system outside the caller’s chassis exactly like a missing one, on every method', async () => {
    const { app, backend } = await makeApp();
    const requests: [string, Request][] = [
      ['/redfish/v1/Systems/ID', { user: 'oper' }],
      ['/redfish/v1/Managers/ID', { user: 'oper' }],
      [
        '/redfish/v1/Systems/ID',
        { method: 'PATCH', user: 'oper', body: { Boot: { BootSourceOverrideTarget: 'Pxe' } } },
      ],
      [resetUrl('ID'), { method: 'POST', user: 'oper', body: { ResetType: 'On' } }],
    ];
    for (const [url, req] of requests) {
      const hidden = await call(app, url.replace('ID', 'demo-b.api'), req);
      const missing = await call(app, url.replace('ID', 'demo-b.nope'), req);
      assert.equal(hidden.statusCode, 404);
      assert.equal(
        hidden.body.replaceAll('demo-b.api', 'X'),
        missing.body.replaceAll('demo-b.nope', 'X'),
      );
      assert.deepEqual(errorIds(hidden, 404), ['ResourceNotFound']);
    }
    assert.deepEqual(
      errorIds(await call(app, '/redfish/v1/Chassis/chassis-b', { user: 'oper' }), 404),
      ['ResourceNotFound'],
    );
    assert.equal(backend.calls.length, 0);
  });

  void it('accepts an unambiguous alias and refuses an ambiguous one clearly', async () => {
    const { app } = await makeApp();
    assert.equal(
      redfish(await call(app, '/redfish/v1/Systems/dup', { user: 'oper' })).Id,
      'demo-a.dup',
    );
    const res = await call(app, '/redfish/v1/Systems/dup', { user: 'admin' });
    assert.deepEqual(errorIds(res, 409), ['GeneralError']);
    assert.match(res.json().error['@Message.ExtendedInfo'][0].Resolution, /more than one system/);
  });

  void it('answers 503 with Retry-After until the caches have synced', async () => {
    const { app, backend } = await makeApp();
    backend.ready = false;
    const res = await call(app, '/redfish/v1/Systems', { user: 'admin' });
    assert.deepEqual(errorIds(res, 503), ['ServiceTemporarilyUnavailable']);
    assert.equal(res.headers['retry-after'], '10');
  });
});

void describe('ComputerSystem', () => {
  void it('renders the system with the protocol preamble', async () => {
    const { app } = await makeApp();
    const res = await call(app, '/redfish/v1/Systems/demo-a.web/', { user: 'admin' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.headers['odata-version'], '4.0');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers.allow, 'GET, HEAD, PATCH');
    assert.equal(
      res.headers.link,
      '</redfish/v1/JsonSchemas/ComputerSystem/ComputerSystem.v1_27_0.json>; rel=describedby',
    );
    assert.match(String(res.headers.etag), /^"[0-9a-f]+"$/);
    const system = redfish(res);
    assert.equal(system.Name, 'web');
    assert.equal(system.SystemType, 'Virtual');
    assert.equal(system.SerialNumber, 'SN-1');
    assert.equal(system.PowerState, 'On');
    assert.deepEqual(system.Status, { State: 'Enabled', Health: 'OK', HealthRollup: 'OK' });
    assert.deepEqual(system.ProcessorSummary, { Count: 1, CoreCount: 2, LogicalProcessorCount: 4 });
    assert.deepEqual(system.MemorySummary, { TotalSystemMemoryGiB: 4 });
    assert.deepEqual(system.Boot['BootSourceOverrideTarget@Redfish.AllowableValues'], [
      'None',
      'Pxe',
      'Cd',
      'Hdd',
    ]);
    assert.deepEqual(system.Actions['#ComputerSystem.Reset'], {
      target: '/redfish/v1/Systems/demo-a.web/Actions/ComputerSystem.Reset',
      'ResetType@Redfish.AllowableValues': [
        'On',
        'ForceOff',
        'GracefulShutdown',
        'ForceRestart',
        'GracefulRestart',
        'PushPowerButton',
        'Pause',
        'Resume',
      ],
    });
    assert.deepEqual(system.Links, {
      ManagedBy: [{ '@odata.id': '/redfish/v1/Managers/demo-a.web' }],
      Chassis: [{ '@odata.id': '/redfish/v1/Chassis/chassis-a' }],
    });
  });

  void it('omits what the platform does not know and reports faults', async () => {
    const { app } = await makeApp();
    const db = redfish(await call(app, '/redfish/v1/Systems/demo-a.db.primary', { user: 'admin' }));
    assert.equal(db.Name, 'db.primary');
    assert.equal(db.ProcessorSummary, undefined);
    assert.equal(db.MemorySummary, undefined);
    assert.equal(db.SerialNumber, undefined);
    const sick = redfish(await call(app, '/redfish/v1/Systems/demo-b.dup', { user: 'admin' }));
    assert.equal(sick.Status.Health, 'Critical');
    assert.equal(sick.Status.State, 'Starting');
    assert.match(sick.Status.Conditions[0].Message, /ErrorUnschedulable: 0\/3 nodes/);
  });

  void it('advertises Nmi only on platforms that can inject one', async () => {
    const { app } = await makeApp({
      capabilities: { nmi: true, cdromHotplug: false, rebootPolicyTerminate: false },
    });
    const system = redfish(await call(app, '/redfish/v1/Systems/demo-a.web', { user: 'admin' }));
    assert.ok(
      system.Actions['#ComputerSystem.Reset']['ResetType@Redfish.AllowableValues'].includes('Nmi'),
    );
  });

  void it('answers HEAD like GET without a body', async () => {
    const { app } = await makeApp();
    const get = await call(app, '/redfish/v1/Systems/demo-a.web', { user: 'admin' });
    const head = await call(app, '/redfish/v1/Systems/demo-a.web', {
      method: 'HEAD',
      user: 'admin',
    });
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, '');
    assert.equal(head.headers.etag, get.headers.etag);
    assert.equal(head.headers.allow, 'GET, HEAD, PATCH');
    const anonymous = await call(app, '/redfish/v1/Systems/demo-a.web', { method: 'HEAD' });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.headers['www-authenticate'], 'Basic realm="kubevirt-redfish"');
  });
});

void describe('Reset action', () => {
  void it('performs each supported ResetType, logs who did it and answers 204', async () => {
    const { app, backend, logs } = await makeApp();
    for (const resetType of ['On', 'ForceOff', 'GracefulRestart'] as const) {
      const res = await call(app, resetUrl('demo-a.web'), {
        method: 'POST',
        user: 'oper',
        body: { ResetType: resetType },
      });
      assert.equal(res.statusCode, 204, res.body);
    }
    assert.deepEqual(
      backend.calls.map((c) => [c.op, c.ref.namespace, c.ref.name, c.arg, c.actor.user, c.options]),
      [
        ['reset', 'demo-a', 'web', 'On', 'oper', {}],
        ['reset', 'demo-a', 'web', 'ForceOff', 'oper', {}],
        ['reset', 'demo-a', 'web', 'GracefulRestart', 'oper', {}],
      ],
    );
    const line = logs.find((l) => l.msg === 'system action' && l.resetType === 'ForceOff');
    assert.ok(line);
    assert.equal(line.level, 30);
    assert.equal(line.user, 'oper');
    assert.equal(line.system, 'demo-a.web');
  });

  void it('refuses missing, unknown, unsupported and extra parameters with the Base message', async () => {
    const { app, backend } = await makeApp();
    const post = (body?: unknown, headers?: Record<string, string>) =>
      call(app, resetUrl('demo-a.web'), {
        method: 'POST',
        user: 'admin',
        ...(body === undefined ? {} : { body }),
        ...(headers ? { headers } : {}),
      });
    assert.deepEqual(errorIds(await post({}), 400), ['ActionParameterMissing']);
    assert.deepEqual(errorIds(await post(), 400), ['ActionParameterMissing']);
    assert.deepEqual(errorIds(await post(''), 400), ['ActionParameterMissing']);
    assert.deepEqual(errorIds(await post({ ResetType: 'Explode' }), 400), [
      'ActionParameterValueNotInList',
    ]);
    assert.deepEqual(errorIds(await post({ ResetType: 'Nmi' }), 400), [
      'ActionParameterValueNotInList',
    ]);
    assert.deepEqual(errorIds(await post({ ResetType: 'PowerCycle' }), 400), [
      'ActionParameterValueNotInList',
    ]);
    assert.deepEqual(errorIds(await post({ ResetType: 7 }), 400), [
      'ActionParameterValueTypeError',
    ]);
    assert.deepEqual(errorIds(await post({ ResetType: 'On', Force: true }), 400), [
      'ActionParameterUnknown',
    ]);
    assert.deepEqual(errorIds(await post('{"ResetType": '), 400), ['MalformedJSON']);
    const withCharset = await post('{"ResetType": "On"}', {
      'content-type': 'application/json; charset=utf-8',
    });
    assert.equal(withCharset.statusCode, 204, withCharset.body);
    assert.equal(backend.calls.length, 1);
  });

  void it('maps platform refusals: conflict 409, unavailable 503, gone 404', async () => {
    const { app, backend } = await makeApp();
    const post = () =>
      call(app, resetUrl('demo-a.web'), {
        method: 'POST',
        user: 'admin',
        body: { ResetType: 'On' },
      });
    backend.failNext = new BackendError('conflict', 'VM is migrating');
    assert.deepEqual(errorIds(await post(), 409), ['ActionParameterValueConflict']);
    backend.failNext = new BackendError('unavailable', 'API server down', { retryAfterSeconds: 5 });
    const down = await post();
    assert.deepEqual(errorIds(down, 503), ['ServiceTemporarilyUnavailable']);
    assert.equal(down.headers['retry-after'], '5');
    backend.failNext = new BackendError('notFound', 'deleted meanwhile');
    assert.deepEqual(errorIds(await post(), 404), ['ResourceNotFound']);
  });

  void it('honours If-Match: 412 on a stale tag, the version passed on when it matches', async () => {
    const { app, backend } = await makeApp();
    const etag = String(
      (await call(app, '/redfish/v1/Systems/demo-a.web', { user: 'admin' })).headers.etag,
    );
    const stale = await call(app, resetUrl('demo-a.web'), {
      method: 'POST',
      user: 'admin',
      body: { ResetType: 'On' },
      headers: { 'if-match': '"0000"' },
    });
    assert.deepEqual(errorIds(stale, 412), ['PreconditionFailed']);
    assert.equal(backend.calls.length, 0);
    const fresh = await call(app, resetUrl('demo-a.web'), {
      method: 'POST',
      user: 'admin',
      body: { ResetType: 'On' },
      headers: { 'if-match': etag },
    });
    assert.equal(fresh.statusCode, 204);
    assert.deepEqual(backend.calls[0]?.options, { expectedVersion: '1' });
  });
});

void describe('boot override PATCH', () => {
  const patch = (
    app: FastifyInstance,
    body: unknown,
    headers?: Record<string, string>,
    id = 'demo-a.web',
  ) =>
    call(app, `/redfish/v1/Systems/${id}`, {
      method: 'PATCH',
      user: 'oper',
      body,
      ...(headers ? { headers } : {}),
    });

  void it('applies Target, Enabled and Mode and answers 204', async () => {
    const { app, backend, logs } = await makeApp();
    const res = await patch(app, {
      Boot: {
        BootSourceOverrideTarget: 'Cd',
        BootSourceOverrideEnabled: 'Once',
        BootSourceOverrideMode: 'UEFI',
      },
    });
    assert.equal(res.statusCode, 204, res.body);
    assert.deepEqual(
      backend.calls.map((c) => [c.op, c.arg]),
      [['setBoot', { target: 'Cd', enabled: 'Once', mode: 'UEFI' }]],
    );
    assert.ok(
      logs.some(
        (l) => l.msg === 'system action' && l.action === 'SetBootOverride' && l.user === 'oper',
      ),
    );
  });

  void it('reports unknown, read-only and bad values, never touching the VM', async () => {
    const { app, backend } = await makeApp();
    assert.deepEqual(errorIds(await patch(app, { AssetTag: 'x' }), 400), ['PropertyUnknown']);
    assert.deepEqual(errorIds(await patch(app, { PowerState: 'On' }), 400), [
      'PropertyNotWritable',
    ]);
    assert.deepEqual(
      errorIds(
        await patch(app, { Boot: { 'BootSourceOverrideTarget@Redfish.AllowableValues': ['Usb'] } }),
        400,
      ),
      ['PropertyNotWritable'],
    );
    const bad = await patch(app, { Boot: { BootSourceOverrideTarget: 'Floppy' } });
    assert.deepEqual(errorIds(bad, 400), ['PropertyValueNotInList']);
    assert.deepEqual(bad.json().error['@Message.ExtendedInfo'][0].RelatedProperties, [
      '#/Boot/BootSourceOverrideTarget',
    ]);
    // A DMTF target this VM cannot boot from is outside its AllowableValues too.
    assert.deepEqual(
      errorIds(
        await patch(app, { Boot: { BootSourceOverrideTarget: 'Pxe' } }, undefined, 'demo-b.api'),
        404,
      ),
      ['ResourceNotFound'],
    );
    const admin = await call(app, '/redfish/v1/Systems/demo-b.api', {
      method: 'PATCH',
      user: 'admin',
      body: { Boot: { BootSourceOverrideTarget: 'Pxe' } },
    });
    assert.deepEqual(errorIds(admin, 400), ['PropertyValueNotInList']);
    assert.deepEqual(
      errorIds(await patch(app, { Boot: { BootSourceOverrideMode: 'BIOS' } }), 400),
      ['PropertyValueNotInList'],
    );
    const several = await patch(app, { Id: 'x', Boot: { BootSourceOverrideEnabled: 'Always' } });
    assert.deepEqual(errorIds(several, 400).sort(), [
      'PropertyNotWritable',
      'PropertyValueNotInList',
    ]);
    assert.equal(several.json().error.code, 'Base.1.22.GeneralError');
    assert.deepEqual(errorIds(await patch(app, {}), 400), ['EmptyJSON']);
    assert.equal(backend.calls.length, 0);
  });

  void it('honours If-Match (a matching tag, *, a stale one)', async () => {
    const { app, backend } = await makeApp();
    const etag = String(
      (await call(app, '/redfish/v1/Systems/demo-a.web', { user: 'oper' })).headers.etag,
    );
    const body = { Boot: { BootSourceOverrideTarget: 'Pxe' } };
    assert.deepEqual(errorIds(await patch(app, body, { 'if-match': '"deadbeef"' }), 412), [
      'PreconditionFailed',
    ]);
    assert.equal((await patch(app, body, { 'if-match': etag })).statusCode, 204);
    assert.equal((await patch(app, body, { 'if-match': '*' })).statusCode, 204);
    assert.deepEqual(
      backend.calls.map((c) => c.options),
      [{ expectedVersion: '1' }, { expectedVersion: '1' }],
    );
  });

  void it('answers a backend conflict with 409 ResourceInUse and a precondition race with 412', async () => {
    const { app, backend } = await makeApp();
    backend.failNext = new BackendError('conflict', 'busy');
    assert.deepEqual(
      errorIds(await patch(app, { Boot: { BootSourceOverrideTarget: 'Hdd' } }), 409),
      ['ResourceInUse'],
    );
    backend.failNext = new BackendError('preconditionFailed', 'changed');
    assert.deepEqual(
      errorIds(
        await patch(app, { Boot: { BootSourceOverrideTarget: 'Hdd' } }, { 'if-match': '*' }),
        412,
      ),
      ['PreconditionFailed'],
    );
    backend.failNext = new BackendError('unsupported', 'no such device');
    assert.deepEqual(
      errorIds(await patch(app, { Boot: { BootSourceOverrideTarget: 'Hdd' } }), 400),
      ['PropertyValueNotInList'],
    );
  });
});

void describe('protocol errors', () => {
  void it('answers an unknown URL with 404 InvalidURI', async () => {
    const { app } = await makeApp();
    assert.deepEqual(errorIds(await call(app, '/redfish/v1/Nope'), 404), ['InvalidURI']);
    assert.deepEqual(
      errorIds(
        await call(app, '/redfish/v1/Systems/demo-a.web/PCIeDevices', { user: 'admin' }),
        404,
      ),
      ['InvalidURI'],
    );
  });

  void it('answers an unsupported method with 405 and Allow', async () => {
    const { app } = await makeApp();
    const del = await call(app, '/redfish/v1/Systems/demo-a.web', {
      method: 'DELETE',
      user: 'admin',
    });
    assert.deepEqual(errorIds(del, 405), ['OperationNotAllowed']);
    assert.equal(del.headers.allow, 'GET, HEAD, PATCH');
    const get = await call(app, resetUrl('demo-a.web'), { user: 'admin' });
    assert.deepEqual(errorIds(get, 405), ['OperationNotAllowed']);
    assert.equal(get.headers.allow, 'POST');
    const root = await call(app, '/redfish/v1/', { method: 'POST', body: {} });
    assert.deepEqual(errorIds(root, 405), ['OperationNotAllowed']);
    assert.equal(root.headers.allow, 'GET, HEAD');
  });

  void it('refuses bodies that are not JSON (415) or too large (413)', async () => {
    const { app, backend } = await makeApp({ bodyLimitBytes: 256 });
    const text = await call(app, resetUrl('demo-a.web'), {
      method: 'POST',
      user: 'admin',
      body: 'ResetType=On',
      headers: { 'content-type': 'text/plain' },
    });
    assert.deepEqual(errorIds(text, 415), ['HeaderInvalid']);
    const untyped = await app.inject({
      method: 'POST',
      url: resetUrl('demo-a.web'),
      headers: { authorization: basic('admin') },
      payload: '{"ResetType":"On"}',
    });
    assert.deepEqual(errorIds(untyped, 415), ['HeaderMissing']);
    const big = await call(app, resetUrl('demo-a.web'), {
      method: 'POST',
      user: 'admin',
      body: { ResetType: 'On', pad: 'x'.repeat(300) },
    });
    assert.deepEqual(errorIds(big, 413), ['PayloadTooLarge']);
    assert.equal(backend.calls.length, 0);
  });

  void it('answers 501 for query options it does not implement and ignores other parameters', async () => {
    const { app } = await makeApp();
    const filter = await call(app, '/redfish/v1/Systems?$filter=Id%20eq%20x&excerpt', {
      user: 'admin',
    });
    assert.deepEqual(errorIds(filter, 501), [
      'QueryParameterUnsupported',
      'QueryParameterUnsupported',
    ]);
    assert.equal(
      (await call(app, '/redfish/v1/Systems?foo=bar', { user: 'admin' })).statusCode,
      200,
    );
  });

  void it('answers an unexpected exception with 500 InternalError and logs it as an error', async () => {
    const { app, backend, logs } = await makeApp();
    backend.brokenCache = new TypeError('bug in the cache');
    assert.deepEqual(errorIds(await call(app, '/redfish/v1/Systems', { user: 'admin' }), 500), [
      'InternalError',
    ]);
    const line = logs.find((l) => l.level === 50);
    assert.ok(line);
    assert.match(JSON.stringify(line.err), /bug in the cache/);
  });

  void it('never logs credentials', async () => {
    const { app, logs } = await makeApp();
    await call(app, '/redfish/v1/Systems', {
      user: 'admin',
      headers: { authorization: basic('admin', 'wrong') },
    });
    await call(app, '/redfish/v1/Systems', { user: 'admin' });
    const text = JSON.stringify(logs);
    assert.ok(!text.includes(Buffer.from('admin:adminpw').toString('base64')));
    assert.ok(!text.includes('adminpw'));
  });
});

void describe('metrics', () => {
  void it('counts requests by route template, method and status', async () => {
    const { app, metrics } = await makeApp();
    await call(app, '/redfish/v1/Systems/demo-a.web', { user: 'admin' });
    await call(app, '/redfish/v1/Systems/demo-a.nope', { user: 'admin' });
    await call(app, '/redfish/v1/Systems/demo-a.nope', { user: 'admin' });
    await call(app, '/no/such/url');
    const count = async (labels: Record<string, string>) =>
      (await metrics.httpRequests.get()).values.find((v) =>
        Object.entries(labels).every(([k, value]) => v.labels[k as 'route'] === value),
      )?.value;
    const route = '/redfish/v1/Systems/:systemId';
    assert.equal(await count({ route, method: 'GET', status: '200' }), 1);
    assert.equal(await count({ route, method: 'GET', status: '404' }), 2);
    assert.equal(await count({ route: 'unmatched', method: 'GET', status: '404' }), 1);
  });
});

void describe('crawl', () => {
  /** Every string under an `@odata.id` key, and every action target, in a body. */
  const linksIn = (node: unknown): { ids: string[]; targets: string[] } => {
    const ids: string[] = [];
    const targets: string[] = [];
    const walk = (n: unknown, key?: string): void => {
      if (Array.isArray(n)) n.forEach((v) => walk(v));
      else if (n !== null && typeof n === 'object')
        for (const [k, v] of Object.entries(n)) walk(v, k);
      else if (typeof n === 'string' && key === '@odata.id') ids.push(n);
      else if (typeof n === 'string' && key === 'target') targets.push(n);
    };
    walk(node);
    return { ids, targets };
  };

  void it('reaches only resources that resolve, validate and name themselves', async () => {
    const { app } = await makeApp();
    const seen = new Set<string>();
    const queue = ['/redfish/v1'];
    const targets = new Set<string>();
    while (queue.length > 0) {
      const url = queue.shift()!;
      if (seen.has(url)) continue;
      seen.add(url);
      const res = await call(app, url, { user: 'admin' });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      const body = res.json();
      validateRedfish(body);
      assert.equal(body['@odata.id'], url);
      assert.ok(res.headers.allow, `${url} has no Allow`);
      assert.ok(res.headers.link, `${url} has no Link`);
      assert.ok(res.headers.etag, `${url} has no ETag`);
      if (Array.isArray(body.Members))
        assert.equal(body['Members@odata.count'], body.Members.length);
      const links = linksIn(body);
      queue.push(...links.ids.filter((id) => id !== url));
      links.targets.forEach((t) => targets.add(t));
    }
    assert.ok(seen.has('/redfish/v1/Chassis/chassis-b'));
    assert.ok(seen.has('/redfish/v1/Managers/demo-b.dup'));
    const systems = ['demo-a.db.primary', 'demo-a.dup', 'demo-a.web', 'demo-b.api', 'demo-b.dup'];
    for (const url of [
      '/redfish/v1/Systems',
      '/redfish/v1/Managers',
      '/redfish/v1/Chassis',
      '/redfish/v1/Chassis/chassis-a',
      ...systems.flatMap((id) => [`/redfish/v1/Systems/${id}`, `/redfish/v1/Managers/${id}`]),
    ])
      assert.ok(seen.has(url), `${url} not reachable from the service root`);
    // Action targets are POST-only: a GET meets the route (405), never a 404.
    for (const id of systems) assert.ok(targets.has(resetUrl(id)));
    for (const target of targets)
      assert.equal((await call(app, target, { user: 'admin' })).statusCode, 405);
  });
});

void describe('route table', () => {
  const registry = JSON.parse(
    readFileSync(
      new URL(
        '../../../shared/redfish-schema/registries/Redfish_1.8.0_PrivilegeRegistry.json',
        import.meta.url,
      ),
      'utf8',
    ),
  ) as { Mappings: { Entity: string; OperationMap: Record<string, { Privilege: string[] }[]> }[] };

  /** The privilege-registry entity each URL serves (a new route must be added here). */
  const entities: Record<string, string | undefined> = {
    '/redfish': undefined, // the version object is outside the resource model: never authenticated
    '/redfish/v1': 'ServiceRoot',
    '/redfish/v1/Systems': 'ComputerSystemCollection',
    '/redfish/v1/Systems/:systemId': 'ComputerSystem',
    '/redfish/v1/Systems/:systemId/Actions/ComputerSystem.Reset': 'ComputerSystem',
    '/redfish/v1/Managers': 'ManagerCollection',
    '/redfish/v1/Managers/:managerId': 'Manager',
    '/redfish/v1/Chassis': 'ChassisCollection',
    '/redfish/v1/Chassis/:chassisId': 'Chassis',
    '/redfish/v1/TaskService': 'TaskService',
    '/redfish/v1/TaskService/Tasks': 'TaskCollection',
    '/redfish/v1/TaskService/Tasks/:taskId': 'Task',
    '/redfish/v1/TaskService/TaskMonitors/:taskId': 'Task',
    '/redfish/v1/$metadata': undefined, // OData documents: DSP0266 requires them without auth
    '/redfish/v1/odata': undefined,
    '/redfish/v1/SessionService': 'SessionService',
    '/redfish/v1/SessionService/Sessions': 'SessionCollection',
    '/redfish/v1/SessionService/Sessions/:sessionId': 'Session',
    '/redfish/v1/AccountService': 'AccountService',
    '/redfish/v1/AccountService/Accounts': 'ManagerAccountCollection',
    '/redfish/v1/AccountService/Accounts/:accountId': 'ManagerAccount',
    '/redfish/v1/AccountService/Roles': 'RoleCollection',
    '/redfish/v1/AccountService/Roles/:roleId': 'Role',
    '/redfish/v1/Registries': 'MessageRegistryFileCollection',
    '/redfish/v1/Registries/:registryId': 'MessageRegistryFile',
    '/redfish/v1/Registries/:registryId/:file': 'MessageRegistryFile',
    '/redfish/v1/JsonSchemas': 'JsonSchemaFileCollection',
    '/redfish/v1/JsonSchemas/:schemaId': 'JsonSchemaFile',
    '/redfish/v1/JsonSchemas/:schemaId/:file': 'JsonSchemaFile',
    '/redfish/v1/Systems/:systemId/Processors': 'ProcessorCollection',
    '/redfish/v1/Systems/:systemId/Processors/:processorId': 'Processor',
    '/redfish/v1/Systems/:systemId/Memory': 'MemoryCollection',
    '/redfish/v1/Systems/:systemId/Memory/:memoryId': 'Memory',
    '/redfish/v1/Systems/:systemId/EthernetInterfaces': 'EthernetInterfaceCollection',
    '/redfish/v1/Systems/:systemId/EthernetInterfaces/:interfaceId': 'EthernetInterface',
    '/redfish/v1/Systems/:systemId/SimpleStorage': 'SimpleStorageCollection',
    '/redfish/v1/Systems/:systemId/SimpleStorage/:storageId': 'SimpleStorage',
    '/redfish/v1/Systems/:systemId/Storage': 'StorageCollection',
    '/redfish/v1/Systems/:systemId/Storage/:storageId': 'Storage',
    '/redfish/v1/Systems/:systemId/Storage/:storageId/Drives/:driveId': 'Drive',
    '/redfish/v1/Systems/:systemId/Storage/:storageId/Volumes': 'VolumeCollection',
    '/redfish/v1/Systems/:systemId/Storage/:storageId/Volumes/:volumeId': 'Volume',
    '/redfish/v1/Systems/:systemId/Bios': 'Bios',
    '/redfish/v1/Systems/:systemId/Bios/Settings': 'Bios',
    '/redfish/v1/Systems/:systemId/SecureBoot': 'SecureBoot',
    '/redfish/v1/Systems/:systemId/SecureBoot/Actions/SecureBoot.ResetKeys': 'SecureBoot',
    '/redfish/v1/Managers/:managerId/NetworkProtocol': 'ManagerNetworkProtocol',
    '/redfish/v1/Managers/:managerId/EthernetInterfaces': 'EthernetInterfaceCollection',
    '/redfish/v1/Managers/:managerId/EthernetInterfaces/:interfaceId': 'EthernetInterface',
    ...Object.fromEntries(
      ['/redfish/v1/Systems/:systemId', '/redfish/v1/Managers/:managerId'].flatMap((host) => [
        [`${host}/VirtualMedia`, 'VirtualMediaCollection'],
        [`${host}/VirtualMedia/:mediaId`, 'VirtualMedia'],
        [`${host}/VirtualMedia/:mediaId/Actions/VirtualMedia.InsertMedia`, 'VirtualMedia'],
        [`${host}/VirtualMedia/:mediaId/Actions/VirtualMedia.EjectMedia`, 'VirtualMedia'],
      ]),
    ),
  };

  void it('gives every route the privilege the DMTF privilege registry requires', () => {
    for (const route of routeTable) {
      assert.ok(route.url in entities, `no registry entity recorded for ${route.url}`);
      const entity = entities[route.url];
      if (entity === undefined) {
        assert.equal(route.privilege, 'NoAuth');
        continue;
      }
      const mapping = registry.Mappings.find((m) => m.Entity === entity);
      const allowed = mapping?.OperationMap[route.method]?.map((p) => p.Privilege.join('+')) ?? [];
      // Login needs no credentials: it is how a client gets them (DSP0266).
      if (entity === 'SessionCollection' && route.method === 'POST') {
        assert.equal(route.privilege, 'NoAuth');
        continue;
      }
      // A departure from the registry (its PrivilegeOverride) must say why.
      if (route.privilegeOverride !== undefined) {
        assert.ok(route.privilegeOverride.length > 20, `${route.url}: override without reason`);
        assert.ok(
          !allowed.includes(route.privilege),
          `${route.url}: override that overrides nothing`,
        );
        continue;
      }
      assert.ok(
        allowed.includes(route.privilege),
        `${route.method} ${route.url}: ${route.privilege} not in ${allowed.join('|')}`,
      );
    }
  });
});
