// The audit trail in the event log over fastify.inject: each write to a system recorded once,
// with its user, arguments and outcome, at once readable in the system's log; and what a log
// read answers when the platform cannot be read.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { BackendError } from '../backend/errors.ts';
import { call, errorIds, makeApp, redfish, resetUrl } from '../../test/helpers/redfish-app.ts';
import { auditMessage, auditReason } from './audit-events.ts';

const entriesUrl = (id: string) => `/redfish/v1/Systems/${id}/LogServices/Log/Entries`;

void describe('audit records in the event log', () => {
  void it('records a reset with its user, arguments and outcome, newest first', async () => {
    const { app, backend, events } = await makeApp();
    const ok = await call(app, resetUrl('demo-a.web'), {
      method: 'POST',
      user: 'oper',
      body: { ResetType: 'ForceOff' },
    });
    assert.equal(ok.statusCode, 204);
    await events.clock.advance(1000);
    backend.failNext = new BackendError('conflict', 'the VM is stopping');
    const refused = await call(app, resetUrl('demo-a.web'), {
      method: 'POST',
      user: 'admin',
      body: { ResetType: 'On' },
    });
    assert.equal(refused.statusCode, 409);
    assert.deepEqual(
      events.recorded.map(({ ref, event }) => [ref.name, event.reason, event.severity, event.user]),
      [
        ['web', 'RedfishReset', 'OK', 'oper'],
        ['web', 'RedfishReset', 'Warning', 'admin'],
      ],
    );
    assert.equal(
      events.recorded[0]?.event.message,
      'oper: ComputerSystem.Reset resetType=ForceOff succeeded',
    );
    assert.match(
      events.recorded[1]?.event.message ?? '',
      /^admin: ComputerSystem\.Reset resetType=On failed: .+/,
    );
    const log = redfish(await call(app, entriesUrl('demo-a.web'), { user: 'viewer' }));
    assert.deepEqual(
      log.Members.filter((e: { Username?: string }) => e.Username !== undefined).map(
        (e: { Username?: string; Severity: string }) => [e.Username, e.Severity],
      ),
      [
        ['admin', 'Warning'],
        ['oper', 'OK'],
      ],
    );
  });

  void it('records boot changes; rejected requests never reach the port or the log', async () => {
    const { app, events } = await makeApp();
    const patch = await call(app, '/redfish/v1/Systems/demo-a.web', {
      method: 'PATCH',
      user: 'admin',
      body: { Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once' } },
    });
    assert.equal(patch.statusCode, 204);
    const invalid = await call(app, resetUrl('demo-a.web'), {
      method: 'POST',
      user: 'admin',
      body: { ResetType: 'Explode' },
    });
    assert.equal(invalid.statusCode, 400);
    assert.deepEqual(
      events.recorded.map(({ event }) => [event.reason, event.message]),
      [['RedfishSetBoot', 'admin: SetBootOverride target=Pxe enabled=Once succeeded']],
    );
  });

  void it('answers 503 when the platform cannot be read, and 404 for an unknown entry', async () => {
    const { app, events } = await makeApp();
    events.failReads = new BackendError('unavailable', 'API down', { retryAfterSeconds: 7 });
    const down = await call(app, entriesUrl('demo-a.web'), { user: 'admin' });
    assert.deepEqual(errorIds(down, 503), ['ServiceTemporarilyUnavailable']);
    assert.equal(down.headers['retry-after'], '7');
    events.failReads = undefined;
    const missing = await call(app, `${entriesUrl('demo-a.web')}/nope`, { user: 'admin' });
    assert.deepEqual(errorIds(missing, 404), ['ResourceNotFound']);
  });

  void it('names reasons after the action and messages after the record', () => {
    assert.equal(auditReason('VirtualMedia.InsertMedia'), 'RedfishInsertMedia');
    assert.equal(auditReason('VirtualMedia.EjectMedia'), 'RedfishEjectMedia');
    assert.equal(auditReason('SetIndicatorLED'), 'RedfishSetIndicatorLED');
    assert.equal(auditReason('Bios.ChangeSettings'), 'RedfishBiosChangeSettings');
    assert.equal(
      auditMessage({
        user: 'u',
        action: 'VirtualMedia.InsertMedia',
        details: { image: 'https://images.example/x.iso?sig=redacted', skipped: undefined },
        outcome: 'failed',
        error: new Error('the image server refused'),
      }),
      'u: VirtualMedia.InsertMedia image=https://images.example/x.iso?sig=redacted failed: the image server refused',
    );
  });
});
