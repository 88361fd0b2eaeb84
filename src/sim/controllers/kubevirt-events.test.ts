// The core/v1 Events the simulated KubeVirt records for a VM's start and stop, with the reasons,
// messages and components of KubeVirt's own recorders, and the recorder's folding of repeats.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { ManualClock } from '../../util/clock.ts';
import { createStore } from '../store.ts';
import type { KubeObject } from '../types.ts';
import { createEventRecorder } from './event-recorder.ts';
import { namespace, startTestCluster, type TestCluster } from './test-support.ts';

let cluster: TestCluster | undefined;
afterEach(() => {
  cluster?.close();
  assert.deepEqual(cluster?.errors ?? [], []);
  cluster = undefined;
});

interface Event extends KubeObject {
  involvedObject: { kind: string; name: string; uid?: string; apiVersion: string };
  reason: string;
  message: string;
  type: string;
  count: number;
  source: { component: string; host?: string };
  reportingComponent: string;
  firstTimestamp: string;
  lastTimestamp: string;
}

/** Every event of the namespace as `kind type reason: message (component)`, oldest first. */
const timeline = (c: TestCluster): string[] =>
  (c.store.list('events', namespace).items as Event[])
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
    .map(
      (e) => `${e.involvedObject.kind} ${e.type} ${e.reason}: ${e.message} (${e.source.component})`,
    );

const bootToRunning = 5000;

void describe('KubeVirt events', () => {
  void test('a start records the VM controller, pod and virt-handler events in order', async () => {
    cluster = startTestCluster();
    const vm = cluster.createVm({ name: 'vm1', runStrategy: 'Manual' });
    cluster.call('virtualmachines/start', 'vm1');
    await cluster.advance(bootToRunning);
    const vmi = cluster.vmi('vm1');
    assert.ok(vmi);
    const uid = vmi.metadata.uid ?? '';
    assert.deepEqual(timeline(cluster), [
      'VirtualMachine Normal SuccessfulCreate: Started the virtual machine by creating the new virtual machine instance vm1 (virtualmachine-controller)',
      `VirtualMachineInstance Normal SuccessfulCreate: Created virtual machine pod virt-launcher-vm1-${uid.slice(0, 5)} (virtualmachine-controller)`,
      'VirtualMachineInstance Normal Created: VirtualMachineInstance defined. (virt-handler)',
      'VirtualMachineInstance Normal Started: VirtualMachineInstance started. (virt-handler)',
    ]);
    const events = cluster.store.list('events', namespace).items as Event[];
    const onVm = events.find((e) => e.involvedObject.kind === 'VirtualMachine');
    const { resourceVersion, ...involved } = onVm?.involvedObject as Event['involvedObject'] & {
      resourceVersion?: string;
    };
    assert.deepEqual(involved, {
      kind: 'VirtualMachine',
      namespace,
      name: 'vm1',
      uid: vm.metadata.uid,
      apiVersion: 'kubevirt.io/v1',
    });
    assert.match(resourceVersion ?? '', /^\d+$/);
    const started = events.find((e) => e.reason === 'Started');
    assert.equal(started?.involvedObject.uid, uid);
    assert.equal(started?.source.host, 'sim-node-1');
    assert.equal(started?.reportingComponent, 'virt-handler');
    assert.match(started?.metadata.name ?? '', /^vm1\.[0-9a-f]+$/);
  });

  void test('a graceful stop is signalled, and the VM controller records the deletion', async () => {
    cluster = startTestCluster();
    cluster.createVm({ name: 'vm1', runStrategy: 'Always' }); // grace 180 s, guest needs 5 s
    await cluster.advance(bootToRunning);
    const uid = cluster.vmi('vm1')?.metadata.uid ?? '';
    const before = timeline(cluster).length;
    cluster.call('virtualmachines/stop', 'vm1');
    await cluster.advance(5000);
    assert.deepEqual(timeline(cluster).slice(before), [
      `VirtualMachine Normal SuccessfulDelete: Stopped the virtual machine by deleting the virtual machine instance ${uid} (virtualmachine-controller)`,
      'VirtualMachineInstance Normal ShuttingDown: Signaled Graceful Shutdown (virt-handler)',
      'VirtualMachineInstance Normal Stopped: The VirtualMachineInstance was shut down. (virt-handler)',
    ]);
  });

  void test('a forced stop kills the domain; a crash is a Warning', async () => {
    cluster = startTestCluster();
    cluster.createVm({ name: 'vm1', runStrategy: 'Manual' });
    cluster.call('virtualmachines/start', 'vm1');
    await cluster.advance(bootToRunning);
    let before = timeline(cluster).length;
    cluster.call('virtualmachines/stop', 'vm1', { gracePeriod: 0 });
    await cluster.advance(0);
    assert.deepEqual(timeline(cluster).slice(before).slice(1), [
      'VirtualMachineInstance Normal Deleted: VirtualMachineInstance stopping (virt-handler)',
      'VirtualMachineInstance Normal Stopped: The VirtualMachineInstance was shut down. (virt-handler)',
    ]);
    cluster.call('virtualmachines/start', 'vm1');
    await cluster.advance(bootToRunning);
    before = timeline(cluster).length;
    cluster.controllers.crash(namespace, 'vm1');
    await cluster.advance(0);
    assert.equal(
      timeline(cluster)[before],
      'VirtualMachineInstance Warning Stopped: The VirtualMachineInstance crashed. (virt-handler)',
    );
  });
});

void describe('event recorder', () => {
  void test('folds an identical event into one whose count and lastTimestamp grow', async () => {
    const clock = new ManualClock();
    const store = createStore({ clock });
    store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } });
    const recorder = createEventRecorder({ store, clock, component: 'test' });
    const object = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', namespace: 'ns', uid: 'u-1' },
    };
    recorder.event(object, 'Warning', 'Broken', 'it broke');
    await clock.advance(60_000);
    recorder.event(object, 'Warning', 'Broken', 'it broke');
    recorder.event(object, 'Normal', 'Fixed', 'it works');
    const events = store.list('events', 'ns').items as Event[];
    assert.equal(events.length, 2);
    const broken = events.find((e) => e.reason === 'Broken');
    assert.equal(broken?.count, 2);
    assert.equal(broken?.firstTimestamp, '2026-01-01T00:00:00Z');
    assert.equal(broken?.lastTimestamp, '2026-01-01T00:01:00Z');
  });
});
