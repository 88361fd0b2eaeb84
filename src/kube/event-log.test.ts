// The event log over a recording stand-in for the API: which Events a read asks for and keeps,
// their order, and audit writes that are best effort (never thrown, bounded while under way).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { BackendError } from '../backend/errors.ts';
import { createLogger } from '../observability/logger.ts';
import { ManualClock } from '../util/clock.ts';
import type { KubeClients } from './client.ts';
import {
  auditUserAnnotation,
  createKubeEventLog,
  maxEventWritesInFlight,
  type KubeEvent,
} from './event-log.ts';
import type { VirtualMachine } from './types.ts';

const vm = {
  metadata: {
    name: 'web',
    namespace: 'ns',
    uid: 'vm-uid-2',
    resourceVersion: '42',
    creationTimestamp: '2026-01-01T00:00:00Z',
  },
  spec: {},
} as unknown as VirtualMachine;

const event = (
  name: string,
  kind: string,
  object: string,
  time: string,
  extra: Partial<KubeEvent> = {},
): KubeEvent => ({
  metadata: { name, uid: `uid-${name}` },
  involvedObject: { apiVersion: 'kubevirt.io/v1', kind, name: object },
  reason: 'Reason',
  message: `message of ${name}`,
  type: 'Normal',
  lastTimestamp: time,
  source: { component: 'virt-handler' },
  ...extra,
});

const rig = (answer: (method: string, path: string, body?: unknown) => Promise<string>) => {
  const calls: { method: string; path: string; body?: unknown }[] = [];
  const warnings: string[] = [];
  const clients = {
    request: (method: string, path: string, body?: unknown) => {
      calls.push({ method, path, body });
      return answer(method, path, body);
    },
  } as unknown as KubeClients;
  const logger = createLogger({
    level: 'warn',
    destination: {
      write: (line: string) => void warnings.push((JSON.parse(line) as { msg: string }).msg),
    },
  });
  const log = createKubeEventLog({
    clients,
    clock: new ManualClock(Date.parse('2026-01-01T00:10:00Z')),
    logger,
    instance: 'replica-1',
    lookup: () => ({ vm, mediaDataVolumes: ['web-vmedia-0123abcd'] }),
  });
  return { log, calls, warnings };
};

const list = (items: KubeEvent[]) => Promise.resolve(JSON.stringify({ items }));

void describe('kube event log', () => {
  void it("lists the VM's, its VMI's and its media's events, newest first", async () => {
    const { log, calls } = rig((_method, path) =>
      path.includes('DataVolume')
        ? list([event('dv.1', 'DataVolume', 'web-vmedia-0123abcd', '2026-01-01T00:03:00Z')])
        : list([
            event('web.1', 'VirtualMachine', 'web', '2026-01-01T00:01:00Z', {
              involvedObject: { kind: 'VirtualMachine', name: 'web', uid: 'vm-uid-2' },
            }),
            event('web.2', 'VirtualMachineInstance', 'web', '2026-01-01T00:02:00Z', {
              type: 'Warning',
              count: 3,
            }),
            // Same name, other kinds or an earlier VM of that name: not this system's.
            event('web.3', 'DataVolume', 'web', '2026-01-01T00:04:00Z'),
            event('web.4', 'Pod', 'web', '2026-01-01T00:04:00Z'),
            event('web.5', 'VirtualMachine', 'web', '2026-01-01T00:05:00Z', {
              involvedObject: { kind: 'VirtualMachine', name: 'web', uid: 'vm-uid-1' },
            }),
            event('web.6', 'VirtualMachineInstance', 'web', '2025-12-31T23:59:00Z'),
          ]),
    );
    const events = await log.list({ namespace: 'ns', name: 'web' });
    assert.deepEqual(
      calls.map((c) => decodeURIComponent(c.path)),
      [
        '/api/v1/namespaces/ns/events?fieldSelector=involvedObject.name=web',
        '/api/v1/namespaces/ns/events?fieldSelector=involvedObject.kind=DataVolume,involvedObject.name=web-vmedia-0123abcd',
      ],
    );
    assert.deepEqual(
      events.map((e) => e.id),
      ['uid-dv.1', 'uid-web.2', 'uid-web.1'],
    );
    assert.deepEqual(events[1], {
      id: 'uid-web.2',
      time: '2026-01-01T00:02:00.000Z',
      severity: 'Warning',
      reason: 'Reason',
      message: 'message of web.2',
      subject: 'VirtualMachineInstance web',
      reporter: 'virt-handler',
      count: 3,
    });
  });

  void it('reports an unreadable platform as a BackendError', async () => {
    const { log } = rig(() => Promise.reject(new ApiException(403, 'Forbidden', '{}', {})));
    await assert.rejects(
      log.list({ namespace: 'ns', name: 'web' }),
      (error: unknown) => error instanceof BackendError && error.kind === 'unavailable',
    );
  });

  void it('writes an audit record as an Event on the VM, naming its user', async () => {
    const { log, calls } = rig(() => Promise.resolve('{}'));
    log.record(
      { namespace: 'ns', name: 'web' },
      { reason: 'RedfishReset', message: 'admin: reset', user: 'admin', severity: 'Warning' },
    );
    await new Promise((resolve) => setImmediate(resolve));
    const [call] = calls;
    assert.equal(call?.method, 'POST');
    assert.equal(call.path, '/api/v1/namespaces/ns/events');
    const body = call.body as Record<string, any>;
    assert.match(body.metadata.name, /^web\.[0-9a-f]{16}$/);
    assert.deepEqual(body.metadata.annotations, { [auditUserAnnotation]: 'admin' });
    assert.deepEqual(body.involvedObject, {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      namespace: 'ns',
      name: 'web',
      uid: 'vm-uid-2',
      resourceVersion: '42',
    });
    assert.equal(body.type, 'Warning');
    assert.equal(body.reason, 'RedfishReset');
    assert.equal(body.lastTimestamp, '2026-01-01T00:10:00Z');
    assert.deepEqual(body.source, { component: 'kubevirt-redfish' });
    assert.equal(body.reportingComponent, 'kubevirt-redfish');
    assert.equal(body.reportingInstance, 'replica-1');
  });

  void it('never throws on a failed write, and drops records beyond the writes in flight', async () => {
    const pending: (() => void)[] = [];
    const { log, calls, warnings } = rig(
      () =>
        new Promise((_resolve, reject) =>
          pending.push(() => reject(new ApiException(500, 'boom', '{}', {}))),
        ),
    );
    const audit = { reason: 'RedfishReset', message: 'm', user: 'u', severity: 'OK' } as const;
    for (let i = 0; i < maxEventWritesInFlight + 5; i++)
      log.record({ namespace: 'ns', name: 'web' }, audit);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(calls.length, maxEventWritesInFlight);
    assert.equal(warnings.filter((w) => w.startsWith('audit event dropped')).length, 5);
    for (const fail of pending.splice(0)) fail();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(
      warnings.filter((w) => w === 'audit event not recorded').length,
      maxEventWritesInFlight,
    );
    // Room again once the failed writes have ended.
    log.record({ namespace: 'ns', name: 'web' }, audit);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(calls.length, maxEventWritesInFlight + 1);
  });
});
