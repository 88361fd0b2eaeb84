// The metal3.io BareMetalHost CRD as the simulator serves it: its structural schema prunes
// undeclared fields, applies defaults and refuses a bad object with kube-apiserver's 422.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ManualClock } from '../util/clock.ts';
import { createStore, type AdmissionRecord } from './store.ts';
import { TypeKeys } from './resource-types.ts';
import { namespace } from './testing.ts';
import type { KubeObject } from './types.ts';
import { StatusError } from './types.ts';

const BMH = TypeKeys.bareMetalHosts;

const setup = () => {
  const admissions: AdmissionRecord[] = [];
  const store = createStore({ clock: new ManualClock(), onAdmission: (r) => admissions.push(r) });
  store.create('namespaces', namespace('metal3'));
  return { store, admissions };
};

const host = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'metal3.io/v1alpha1',
  kind: 'BareMetalHost',
  metadata: { name: 'worker-0', namespace: 'metal3' },
  spec,
});

const bmc = {
  address: 'redfish-virtualmedia://redfish.example:8443/redfish/v1/Systems/demo-a.vm-1',
  credentialsName: 'worker-0-bmc-secret',
};

void describe('BareMetalHost CRD', () => {
  it('prunes undeclared fields and applies the schema defaults', () => {
    const { store, admissions } = setup();
    const created = store.create(
      BMH,
      host({ online: true, bmc: { ...bmc, port: 623 }, bootMode: 'UEFI', colour: 'blue' }),
    );
    const spec = created.spec as Record<string, unknown>;
    assert.deepEqual(spec.bmc, bmc);
    assert.equal(spec.colour, undefined);
    // automatedCleaningMode has `default: metadata` in the CRD.
    assert.equal(spec.automatedCleaningMode, 'metadata');
    assert.deepEqual(
      admissions.map((a) => [a.outcome, a.detail]),
      [['pruned', 'spec.bmc.port, spec.colour']],
    );
  });

  it('refuses undeclared fields under fieldValidation Strict, reports them under Warn', () => {
    const { store, admissions } = setup();
    let error: unknown;
    try {
      store.create(BMH, host({ online: true, bmc, colour: 'blue' }), { fieldValidation: 'Strict' });
    } catch (caught) {
      error = caught;
    }
    assert.ok(error instanceof StatusError);
    assert.equal(error.code, 400);
    assert.equal(
      error.message,
      'BareMetalHost in version "v1alpha1" cannot be handled as a BareMetalHost: strict decoding error: unknown field "spec.colour"',
    );
    assert.equal(store.get(BMH, 'metal3', 'worker-0'), undefined);
    assert.deepEqual(admissions, [], 'refused, not pruned');
    const warned: string[] = [];
    store.create(BMH, host({ online: true, bmc, colour: 'blue' }), {
      fieldValidation: 'Warn',
      onPruned: (fields) => warned.push(...fields),
    });
    assert.deepEqual(warned, ['spec.colour']);
  });

  it('refuses missing, mistyped and malformed fields with the real 422 Invalid', () => {
    const { store } = setup();
    let error: unknown;
    try {
      store.create(
        BMH,
        host({
          bmc: { address: bmc.address },
          bootMode: 'bios',
          bootMACAddress: 'not-a-mac',
          externallyProvisioned: 'yes',
        }),
      );
    } catch (caught) {
      error = caught;
    }
    assert.ok(error instanceof StatusError);
    assert.equal(error.code, 422);
    assert.equal(error.reason, 'Invalid');
    assert.deepEqual(error.details?.causes?.map((c) => [c.reason, c.field]).sort(), [
      ['FieldValueInvalid', 'spec.bootMACAddress'],
      ['FieldValueNotSupported', 'spec.bootMode'],
      ['FieldValueRequired', 'spec.bmc.credentialsName'],
      ['FieldValueRequired', 'spec.online'],
      ['FieldValueTypeInvalid', 'spec.externallyProvisioned'],
    ]);
    assert.match(error.message, /^BareMetalHost\.metal3\.io "worker-0" is invalid: \[/);
    for (const part of [
      'spec.online: Required value',
      'spec.bmc.credentialsName: Required value',
      'spec.bootMode: Unsupported value: "bios": supported values: "UEFI", "UEFISecureBoot", "legacy"',
      `spec.bootMACAddress: Invalid value: "not-a-mac": spec.bootMACAddress in body should match '[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}'`,
      'spec.externallyProvisioned: Invalid value: "string": spec.externallyProvisioned in body must be of type boolean: "string"',
    ])
      assert.ok(error.message.includes(part), part);
  });
});
