import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trimObject } from './trim.ts';

void describe('trimObject', () => {
  void it('drops managedFields and last-applied-configuration, and nothing else', () => {
    const object = {
      metadata: {
        name: 'vm-1',
        resourceVersion: '7',
        labels: { 'redfish-enabled': 'true' },
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': '{"huge":true}',
          'redfish.kubevirt.io/boot': 'Cd',
        },
        managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
      },
      spec: { template: { spec: { domain: { cpu: { cores: 2 } }, volumes: [] } } },
      status: { printableStatus: 'Running' },
    };
    const before = structuredClone(object);
    assert.deepEqual(trimObject(object), {
      metadata: {
        name: 'vm-1',
        resourceVersion: '7',
        labels: { 'redfish-enabled': 'true' },
        annotations: { 'redfish.kubevirt.io/boot': 'Cd' },
      },
      spec: object.spec,
      status: object.status,
    });
    assert.deepEqual(object, before, 'the input is not changed');
  });

  void it('returns an object with nothing to drop as it is', () => {
    const object = { metadata: { name: 'pvc', annotations: { a: 'b' } }, spec: {} };
    assert.equal(trimObject(object), object);
  });
});
