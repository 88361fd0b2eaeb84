// Checks every DMTF enumeration declared in enums.ts against the DMTF JSON Schema it names.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { dmtfEnums, supportedResetTypes } from './enums.ts';

const schemaDir = new URL('../../../shared/redfish-schema/json-schema/', import.meta.url);

void describe('DMTF enums', () => {
  for (const [name, { schema, values }] of Object.entries(dmtfEnums)) {
    void it(`${name} matches ${schema}`, () => {
      const file = JSON.parse(readFileSync(new URL(schema, schemaDir), 'utf8')) as {
        definitions: Record<string, { enum?: string[] }>;
      };
      assert.deepEqual([...values], file.definitions[name]?.enum);
    });
  }

  void it('advertises NMI only when the platform can do it', () => {
    const base = { cdromHotplug: false, rebootPolicyTerminate: false };
    assert.ok(!supportedResetTypes({ ...base, nmi: false }).includes('Nmi'));
    assert.ok(supportedResetTypes({ ...base, nmi: true }).includes('Nmi'));
    assert.ok(supportedResetTypes({ ...base, nmi: false }).includes('ForceOff'));
  });
});
