// Unit tests of the BackendError → Redfish message mapping.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { BackendError, BackendErrorKinds, type BackendErrorKind } from '../backend/errors.ts';
import { callBackend, fromBackendFailure, type BackendFailureContext } from './backend-failure.ts';
import {
  RedfishError,
  actionParameterValueConflict,
  actionParameterValueError,
  actionParameterValueNotInList,
} from './messages.ts';

const context: BackendFailureContext = {
  resource: { type: 'ComputerSystem', id: 'ns.vm' },
  conflict: actionParameterValueConflict('ResetType', 'On'),
  unsupported: actionParameterValueNotInList('Nmi', 'ResetType', 'ComputerSystem.Reset'),
  invalid: actionParameterValueError('ResetType', 'ComputerSystem.Reset'),
};

const expected: Record<BackendErrorKind, [number, string]> = {
  notFound: [404, 'ResourceNotFound'],
  conflict: [409, 'ActionParameterValueConflict'],
  inTransition: [409, 'ResourceInUse'],
  preconditionFailed: [412, 'PreconditionFailed'],
  unavailable: [503, 'ServiceTemporarilyUnavailable'],
  unsupported: [400, 'ActionParameterValueNotInList'],
  invalid: [400, 'ActionParameterValueError'],
};

void describe('backend failures', () => {
  for (const kind of BackendErrorKinds) {
    void it(`maps ${kind}`, () => {
      const mapped = fromBackendFailure(new BackendError(kind, 'platform words'), context);
      assert.ok(mapped instanceof RedfishError);
      assert.equal(mapped.status, expected[kind][0]);
      assert.equal(mapped.messages[0].key, expected[kind][1]);
    });
  }

  void it('passes the platform retry hint on as Retry-After, with a default', () => {
    const told = fromBackendFailure(
      new BackendError('unavailable', 'down', { retryAfterSeconds: 42 }),
      context,
    ) as RedfishError;
    assert.equal(told.headers['Retry-After'], '42');
    const untold = fromBackendFailure(
      new BackendError('unavailable', 'down'),
      context,
    ) as RedfishError;
    assert.equal(untold.headers['Retry-After'], '10');
  });

  void it('leaves other errors alone (they are bugs: 500)', () => {
    const bug = new TypeError('oops');
    assert.equal(fromBackendFailure(bug, context), bug);
  });

  void it('callBackend translates a rejected write', async () => {
    await assert.rejects(
      callBackend(() => Promise.reject(new BackendError('conflict', 'starting')), context),
      (error: unknown) => error instanceof RedfishError && error.status === 409,
    );
    assert.equal(await callBackend(() => Promise.resolve(3), context), 3);
  });
});
