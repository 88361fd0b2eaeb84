// The Redfish layer over fastify.inject with test doubles built from literal snapshots: a
// backend that records its calls, a scope, an authenticator and a session manager, shared by the
// HTTP-level suites under src/redfish (acceptance tests run against the simulator instead).
import { strict as assert } from 'node:assert';
import { after } from 'node:test';
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
} from '../../src/auth/types.ts';
import type { AuditEvent, SystemEvent, SystemEventLog } from '../../src/backend/event-log.ts';
import type {
  Actor,
  BackendCapabilities,
  BootChange,
  PowerAction,
  VmBackend,
  VmRef,
  VmSnapshot,
  WriteOptions,
} from '../../src/backend/port.ts';
import { buildApp } from '../../src/app.ts';
import { createSessionManager, type SessionManager } from '../../src/auth/sessions.ts';
import { MemorySessionStore } from '../security/memory-session-store.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { ManualClock } from '../../src/util/clock.ts';
import type { AuditHook } from '../../src/redfish/write.ts';
import { validateRedfish } from './redfish-schema.ts';

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
  /** The options without their signal (which every write carries: see `signal`). */
  readonly options: WriteOptions | undefined;
  readonly signal: AbortSignal | undefined;
}

const splitSignal = (
  options: WriteOptions | undefined,
): { options: WriteOptions | undefined; signal: AbortSignal | undefined } => {
  if (options === undefined) return { options, signal: undefined };
  const { signal, ...rest } = options;
  return { options: rest, signal };
};

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
    return this.#write({ op: 'reset', ref, arg: action, actor, ...splitSignal(options) });
  }
  setBoot(ref: VmRef, change: BootChange, actor: Actor, options?: WriteOptions): Promise<void> {
    return this.#write({ op: 'setBoot', ref, arg: change, actor, ...splitSignal(options) });
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

/** An event log holding what it was given, plus the audit events recorded through it. */
class TestEventLog implements SystemEventLog {
  readonly events: { readonly ref: VmRef; readonly event: SystemEvent }[] = [];
  readonly recorded: { readonly ref: VmRef; readonly event: AuditEvent }[] = [];
  /** Makes reads fail as an unreachable platform does. */
  failReads: Error | undefined;
  constructor(readonly clock: ManualClock) {}
  list(ref: VmRef): Promise<readonly SystemEvent[]> {
    if (this.failReads) return Promise.reject(this.failReads);
    return Promise.resolve(
      this.events
        .filter((e) => e.ref.namespace === ref.namespace && e.ref.name === ref.name)
        .map((e) => e.event)
        .sort((a, b) => Date.parse(b.time) - Date.parse(a.time)),
    );
  }
  record(ref: VmRef, event: AuditEvent): void {
    this.recorded.push({ ref, event });
    this.events.push({
      ref,
      event: {
        id: `audit-${this.recorded.length}`,
        time: new Date(this.clock.now()).toISOString(),
        severity: event.severity,
        reason: event.reason,
        message: event.message,
        subject: `VirtualMachine ${ref.name}`,
        reporter: 'kubevirt-redfish',
        user: event.user,
        count: 1,
      },
    });
  }
}

/** What the platform says happened to demo-a/web before any test acts. */
const demoEvents = (): TestEventLog['events'] => [
  {
    ref: { namespace: 'demo-a', name: 'web' },
    event: {
      id: '5b0c2f7e-3d61-4c1a-9e55-0a1b2c3d4e5f',
      time: '2026-01-01T00:00:05Z',
      severity: 'OK',
      reason: 'Started',
      message: 'VirtualMachineInstance started.',
      subject: 'VirtualMachineInstance web',
      reporter: 'virt-handler',
      count: 1,
    },
  },
];

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
  const coversAll = (p: Principal) => chassisConfig.every((c) => p.chassis.includes(c.name));
  return {
    chassis,
    systems,
    systemsOfChassis,
    coversAll,
    coversUser: (p, user) => {
      const other = users[user];
      return other === undefined
        ? coversAll(p)
        : user === p.user || other.chassis.every((c) => p.chassis.includes(c));
    },
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
  lockout: {
    policy: { threshold: 10, durationSeconds: 60, counterResetAfterSeconds: 60 },
    // As the fake's Basic check: the user named `locked` is locked out.
    isLocked: (user) => user === 'locked',
    unlock: () => undefined,
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

export const makeApp = async (
  options: {
    vms?: VmSnapshot[];
    capabilities?: BackendCapabilities;
    bodyLimitBytes?: number;
    /** Leave out the optional SessionService and AccountService dependencies. */
    bare?: boolean;
    audit?: AuditHook;
  } = {},
) => {
  const backend = new TestBackend(options.vms ?? demoVms(), options.capabilities);
  const logs: Record<string, unknown>[] = [];
  const metrics = createMetrics();
  const clock = new ManualClock();
  const events = new TestEventLog(clock);
  events.events.push(...demoEvents());
  let timeoutSeconds = 1800;
  const sessions = createSessionManager({
    store: new MemorySessionStore(),
    clock,
    timeoutSeconds: () => timeoutSeconds,
  });
  const sessionsAndAccounts = {
    sessions: {
      manager: sessions,
      timeout: {
        current: () => timeoutSeconds,
        set: (seconds: number) => {
          timeoutSeconds = seconds;
          return Promise.resolve();
        },
      },
    },
    accounts: () => Object.entries(users).map(([userName, { role }]) => ({ userName, role })),
  };
  const app = await buildApp({
    backend,
    events,
    authenticator: testAuthenticator(sessions),
    scope: testScope(backend),
    ...(options.bare ? {} : sessionsAndAccounts),
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
    ...(options.audit === undefined ? {} : { audit: options.audit }),
  });
  apps.push(app);
  return { app, backend, events, logs, metrics, sessions };
};

export const basic = (user: string, password = users[user]?.password ?? 'x') =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

export interface Request {
  method?: 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  user?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export const call = (app: FastifyInstance, url: string, req: Request = {}) =>
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
export const redfish = (res: LightMyRequestResponse): Body => {
  const body = res.json<Body>();
  validateRedfish(body);
  return body;
};

/** Asserts a Redfish error answer and returns its MessageIds (without the registry prefix). */
export const errorIds = (res: LightMyRequestResponse, status: number): string[] => {
  assert.equal(res.statusCode, status, res.body);
  assert.equal(res.headers['odata-version'], '4.0');
  const info = redfish(res).error['@Message.ExtendedInfo'] as { MessageId: string }[];
  return info.map((m) => m.MessageId.replace('Base.1.22.', ''));
};

export const resetUrl = (id: string) => `/redfish/v1/Systems/${id}/Actions/ComputerSystem.Reset`;

// --- Tests -----------------------------------------------------------------------------------
