// HTTP-level tests of the ComputerSystem resource and its writes (Reset, boot override PATCH) over
// fastify.inject, with the doubles of test/helpers/redfish-app.ts.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { BackendError } from '../backend/errors.ts';
import type { AuditRecord } from './write.ts';
import { makeApp, call, redfish, errorIds, resetUrl } from '../../test/helpers/redfish-app.ts';

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
    assert.ok(
      backend.calls.every((c) => c.signal instanceof AbortSignal),
      'every write carries the request signal',
    );
    const line = logs.find((l) => l.msg === 'write' && l.resetType === 'ForceOff');
    assert.ok(line);
    assert.equal(line.action, 'ComputerSystem.Reset');
    assert.equal(line.outcome, 'succeeded');
    assert.equal(logs.filter((l) => l.msg === 'write').length, 3, 'one audit record per write');
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

  void it('hands one record per write, success or failure, to the audit hook', async () => {
    const records: AuditRecord[] = [];
    const { app, backend, logs } = await makeApp({ audit: (record) => records.push(record) });
    const post = (resetType: string) =>
      call(app, resetUrl('demo-a.web'), {
        method: 'POST',
        user: 'oper',
        body: { ResetType: resetType },
      });
    assert.equal((await post('ForceOff')).statusCode, 204);
    backend.failNext = new BackendError('inTransition', 'stop/start underway');
    assert.deepEqual(errorIds(await post('On'), 409), ['ResourceInUse']);
    assert.deepEqual(
      records.map((r) => [r.user, r.system?.id, r.action, r.details, r.outcome]),
      [
        ['oper', 'demo-a.web', 'ComputerSystem.Reset', { resetType: 'ForceOff' }, 'succeeded'],
        ['oper', 'demo-a.web', 'ComputerSystem.Reset', { resetType: 'On' }, 'failed'],
      ],
    );
    assert.ok(records[1]?.error, 'the failure is passed on');
    assert.equal(logs.filter((l) => l.msg === 'write').length, 0, 'the hook replaces the log');
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
      logs.some((l) => l.msg === 'write' && l.action === 'SetBootOverride' && l.user === 'oper'),
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
