import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trimClaim, trimDataVolume, trimObject } from './trim.ts';

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

  void it('keeps of a claim and a DataVolume only the fields the service reads', () => {
    const metadata = {
      name: 'disk-1',
      namespace: 'demo-a',
      uid: 'u-1',
      resourceVersion: '9',
      creationTimestamp: '2026-01-01T00:00:00Z',
      finalizers: ['kubernetes.io/pvc-protection'],
      ownerReferences: [{ apiVersion: 'v1', kind: 'VirtualMachine', name: 'vm-1', uid: 'u-0' }],
      managedFields: [{ manager: 'cdi' }],
    };
    const kept = {
      name: 'disk-1',
      namespace: 'demo-a',
      uid: 'u-1',
      resourceVersion: '9',
      creationTimestamp: '2026-01-01T00:00:00Z',
      ownerReferences: metadata.ownerReferences,
    };
    const claim = {
      metadata,
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '3Gi' } },
        storageClassName: 'local',
      },
      status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '3Gi' } },
    };
    assert.deepEqual(trimClaim(claim), {
      metadata: kept,
      spec: { resources: { requests: { storage: '3Gi' } } },
      status: { phase: 'Bound', capacity: { storage: '3Gi' } },
    });
    const condition = { type: 'Running', status: 'False', reason: 'Completed', message: 'done' };
    const dataVolume = {
      metadata,
      spec: { source: { http: { url: 'http://images/a.iso' } } },
      status: {
        phase: 'Succeeded',
        progress: '100.0%',
        conditions: [{ ...condition, lastHeartbeatTime: 'x', lastTransitionTime: 'y' }],
      },
    };
    assert.deepEqual(trimDataVolume(dataVolume), {
      metadata: kept,
      spec: dataVolume.spec,
      // The transition time stays: the insertion deadlines count from it (media-snapshot.ts).
      status: {
        phase: 'Succeeded',
        progress: '100.0%',
        conditions: [{ ...condition, lastTransitionTime: 'y' }],
      },
    });
  });
});
