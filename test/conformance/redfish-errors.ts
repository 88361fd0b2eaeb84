// Checks a Redfish error answer as DSP0266 and sushy read it: the status, a body valid against
// redfish-error, and every ExtendedInfo entry with the full Message shape.
import { strict as assert } from 'node:assert';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import type { Reply } from '../helpers/service.ts';

const messageKeys = [
  '@odata.type',
  'Message',
  'MessageArgs',
  'MessageId',
  'MessageSeverity',
  'RelatedProperties',
  'Resolution',
  'Severity',
];

/** Asserts the answer is a complete Redfish error with `status`; returns its Base message keys. */
export const errorIds = (reply: Reply, status: number): string[] => {
  assert.equal(reply.status, status, reply.text.slice(0, 500));
  assert.equal(reply.headers.get('odata-version'), '4.0');
  assert.equal(reply.headers.get('cache-control'), 'no-store');
  validateRedfish(reply.body);
  const { code, message } = reply.body.error;
  assert.match(code, /^Base\.1\.22\.[A-Za-z]+$/);
  assert.ok(typeof message === 'string' && message.length > 0);
  const entries = reply.body.error['@Message.ExtendedInfo'] as Record<string, unknown>[];
  assert.ok(entries.length > 0);
  for (const entry of entries) {
    assert.deepEqual(Object.keys(entry).sort(), messageKeys);
    assert.equal(entry.Severity, entry.MessageSeverity);
  }
  return entries.map((e) => String(e.MessageId).replace(/^Base\.1\.22\./, ''));
};
