// fieldValidation on custom resources with a structural schema: Strict refuses undeclared fields
// with the decoder's error and stores nothing, Warn (the default) answers them in a Warning
// header, Ignore says nothing; fields under x-kubernetes-preserve-unknown-fields pass.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { TypeKeys } from '../../src/sim/resource-types.ts';
import type { TestApi } from '../../src/sim/testing.ts';
import { minimalVm, startTestApi } from '../../src/sim/testing.ts';

const vms = '/apis/kubevirt.io/v1/namespaces/demo/virtualmachines';
const json = { 'content-type': 'application/json' };

/** A VM with two fields its CRD schema does not declare. */
const withUnknown = (name: string) => {
  const vm = minimalVm(name, 'demo') as ReturnType<typeof minimalVm> & {
    spec: { template: { spec: { domain: { devices: { disks?: Record<string, unknown>[] } } } } };
  };
  vm.spec.template.spec.domain.devices.disks = [{ name: 'root', disk: {}, bogus: 1 }];
  return { ...vm, spec: { ...vm.spec, colour: 'blue' } };
};

describe('fieldValidation', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.server.close());

  const create = (name: string, directive?: string) =>
    api.request('POST', directive ? `${vms}?fieldValidation=${directive}` : vms, {
      body: JSON.stringify(withUnknown(name)),
      headers: json,
    });

  it('Strict refuses undeclared fields, naming each, and stores nothing', async () => {
    const res = await create('strict', 'Strict');
    assert.equal(res.status, 400);
    assert.equal(
      res.json.message,
      'VirtualMachine in version "v1" cannot be handled as a VirtualMachine: strict decoding error: unknown field "spec.template.spec.domain.devices.disks[0].bogus", unknown field "spec.colour"',
    );
    assert.equal(api.store.get(TypeKeys.virtualMachines, 'demo', 'strict'), undefined);
  });

  it('Warn, the default, answers a Warning per field; Ignore answers none', async () => {
    const warned = await create('warned');
    assert.equal(warned.status, 201, warned.text);
    assert.equal(
      warned.headers.warning,
      '299 - "unknown field \\"spec.template.spec.domain.devices.disks[0].bogus\\"", 299 - "unknown field \\"spec.colour\\""',
    );
    const ignored = await create('ignored', 'Ignore');
    assert.equal(ignored.status, 201, ignored.text);
    assert.equal(ignored.headers.warning, undefined);
  });

  it('checks the patched object, and a declared object passes Strict', async () => {
    const ok = await api.request('POST', `${vms}?fieldValidation=Strict`, {
      body: JSON.stringify(minimalVm('clean', 'demo')),
      headers: json,
    });
    assert.equal(ok.status, 201, ok.text);
    const patched = await api.request('PATCH', `${vms}/clean?fieldValidation=Strict`, {
      body: JSON.stringify({ spec: { shape: 'round' } }),
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    assert.equal(patched.status, 400);
    assert.match(patched.json.message, /strict decoding error: unknown field "spec\.shape"$/);
  });
});
