// Unit tests of the Base-registry messages and the error body they render.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { validateRedfish } from '../../test/helpers/redfish-schema.ts';
import * as messages from './messages.ts';
import { baseMessages } from './registry/base-messages.generated.ts';

const { RedfishError, errorBody, formatMessage } = messages;

void describe('Redfish messages', () => {
  void it('formats the registry text with its arguments', () => {
    const m = messages.propertyValueNotInList('Floppy', 'Boot/BootSourceOverrideTarget');
    assert.equal(
      formatMessage(m),
      "The value 'Floppy' for the property Boot/BootSourceOverrideTarget is not in the list of acceptable values.",
    );
    assert.equal(m.status, 400);
    assert.deepEqual(m.relatedProperties, ['#/Boot/BootSourceOverrideTarget']);
  });

  void it('renders a single message as a DSP0266 error body that the DMTF schema accepts', () => {
    const body = errorBody(new RedfishError(messages.resourceNotFound('ComputerSystem', 'x')));
    validateRedfish(body);
    assert.deepEqual(body, {
      error: {
        code: 'Base.1.22.ResourceNotFound',
        message: "The requested resource of type ComputerSystem named 'x' was not found.",
        '@Message.ExtendedInfo': [
          {
            '@odata.type': '#Message.v1_3_0.Message',
            MessageId: 'Base.1.22.ResourceNotFound',
            Message: "The requested resource of type ComputerSystem named 'x' was not found.",
            MessageArgs: ['ComputerSystem', 'x'],
            Severity: 'Critical',
            MessageSeverity: 'Critical',
            Resolution: baseMessages.ResourceNotFound.resolution,
            RelatedProperties: [],
          },
        ],
      },
    });
  });

  void it('uses GeneralError as code when several messages are reported', () => {
    const error = new RedfishError(
      messages.propertyUnknown('Foo'),
      messages.propertyNotWritable('Id'),
    );
    const body = errorBody(error) as { error: Record<string, unknown> };
    validateRedfish(body);
    assert.equal(body.error.code, 'Base.1.22.GeneralError');
    assert.equal((body.error['@Message.ExtendedInfo'] as unknown[]).length, 2);
    assert.equal(error.status, 400);
  });

  void it('carries the headers its status needs', () => {
    assert.deepEqual(messages.serviceTemporarilyUnavailable(7).headers, { 'Retry-After': '7' });
    assert.deepEqual(messages.accessUnauthorized('r').headers, {
      'WWW-Authenticate': 'Basic realm="r"',
    });
    assert.deepEqual(messages.accessUnauthorized('r', 30).headers['Retry-After'], '30');
    assert.deepEqual(messages.operationNotAllowed(['GET', 'HEAD']).headers, { Allow: 'GET, HEAD' });
    const error = new RedfishError(messages.serviceTemporarilyUnavailable(5));
    assert.deepEqual(error.headers, { 'Retry-After': '5' });
  });

  void it('gives each helper the HTTP status a BMC answers with', () => {
    const statuses: [messages.RedfishMessage, number][] = [
      [messages.internalError(), 500],
      [messages.invalidUri('/x'), 404],
      [messages.malformedJson(), 400],
      [messages.emptyJson(), 400],
      [messages.payloadTooLarge(), 413],
      [messages.unsupportedMediaType('text/plain'), 415],
      [messages.contentTypeMissing(), 415],
      [messages.actionParameterMissing('A', 'P'), 400],
      [messages.actionParameterUnknown('A', 'P'), 400],
      [messages.actionParameterValueNotInList('v', 'P', 'A'), 400],
      [messages.actionParameterValueConflict('P', 'v'), 409],
      [messages.resourceInUse(), 409],
      [messages.preconditionFailed(), 412],
      [messages.accessUnauthorized('r'), 401],
      [messages.insufficientPrivilege(), 403],
      [messages.serviceTemporarilyUnavailable(1), 503],
      [messages.queryParameterUnsupported('$expand'), 501],
      [messages.generalError(409, 'why'), 409],
    ];
    for (const [m, status] of statuses) {
      assert.equal(m.status, status, m.key);
      assert.ok(m.key in baseMessages);
      assert.ok(!('deprecated' in baseMessages[m.key]), `${m.key} is deprecated`);
      validateRedfish(errorBody(new RedfishError(m)));
    }
  });

  void it('lets a service-defined resolution replace the registry one', () => {
    const body = errorBody(new RedfishError(messages.generalError(409, 'Use the unique Id.'))) as {
      error: { '@Message.ExtendedInfo': { Resolution: string }[] };
    };
    assert.equal(body.error['@Message.ExtendedInfo'][0]?.Resolution, 'Use the unique Id.');
  });

  void it('builds Status conditions from registry messages', () => {
    const c = messages.condition(
      messages.undeterminedFault('ErrorUnschedulable: no node'),
      'Critical',
    );
    assert.equal(c.MessageId, 'Base.1.22.UndeterminedFault');
    assert.equal(
      c.Message,
      "An undetermined fault condition was reported by 'ErrorUnschedulable: no node'.",
    );
  });
});
