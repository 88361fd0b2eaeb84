// virt-api legality per runStrategy × verb: legal calls answer 202/200 and change the VM the
// way KubeVirt does; illegal ones answer KubeVirt's exact Status (singular resource names).
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { Keys } from './kubevirt-objects.ts';
import { startTestCluster, vmStatus, vmiPhase, type TestCluster } from './test-support.ts';

let cluster: TestCluster;
afterEach(() => cluster.close());

const runningVm = async (name: string, runStrategy: string): Promise<string> => {
  cluster.createVm({ name, runStrategy });
  if (['Manual', 'Halted', 'RerunOnFailure'].includes(runStrategy))
    assert.equal(cluster.call('virtualmachines/start', name), 202);
  await cluster.advance(0);
  if (runStrategy === 'Halted')
    assert.equal((cluster.vm(name).spec as { runStrategy?: string }).runStrategy, 'Always');
  assert.equal(vmiPhase(cluster.vmi(name)), 'Running');
  return cluster.vmi(name)?.metadata.uid ?? '';
};

const runStrategyOf = (name: string): unknown =>
  (cluster.vm(name).spec as { runStrategy?: string }).runStrategy;

void describe('start', () => {
  void test('Halted: flips runStrategy to Always (202) and the VM starts', async () => {
    cluster = startTestCluster({ delays: 'instant' });
    cluster.createVm({ name: 'vm1', runStrategy: 'Halted' });
    assert.equal(cluster.call('virtualmachines/start', 'vm1', {}), 202);
    assert.equal(runStrategyOf('vm1'), 'Always');
    await cluster.advance(0);
    assert.equal(vmStatus(cluster.vm('vm1')).printableStatus, 'Running');
  });

  void test('Halted, paused: a Start request with data paused=true; the controller sets Always and the VMI starts paused', async () => {
    cluster = startTestCluster({ delays: 'instant' });
    cluster.createVm({ name: 'vm1', runStrategy: 'Halted' });
    assert.equal(cluster.call('virtualmachines/start', 'vm1', { paused: true }), 202);
    assert.deepEqual(vmStatus(cluster.vm('vm1')).stateChangeRequests, [
      { action: 'Start', data: { paused: 'true' } },
    ]);
    await cluster.advance(0);
    assert.equal(runStrategyOf('vm1'), 'Always');
    assert.equal(vmStatus(cluster.vm('vm1')).printableStatus, 'Paused');
  });

  void test('deprecated spec.running=false: flips spec.running to true', async () => {
    cluster = startTestCluster({ delays: 'instant' });
    cluster.createVm({ name: 'vm1', runStrategy: 'Halted' });
    cluster.store.mutate(Keys.vm, 'ns', 'vm1', (d) => {
      const spec = d.spec as Record<string, unknown>;
      delete spec.runStrategy;
      spec.running = false;
    });
    assert.equal(cluster.call('virtualmachines/start', 'vm1'), 202);
    assert.equal((cluster.vm('vm1').spec as { running?: boolean }).running, true);
    await cluster.advance(0);
    assert.equal(vmiPhase(cluster.vmi('vm1')), 'Running');
  });

  void test('Manual: appends a Start request; the controller creates the VMI and trims it', async () => {
    cluster = startTestCluster({ delays: 'instant' });
    cluster.createVm({ name: 'vm1', runStrategy: 'Manual' });
    assert.equal(cluster.call('virtualmachines/start', 'vm1'), 202);
    assert.deepEqual(vmStatus(cluster.vm('vm1')).stateChangeRequests, [{ action: 'Start' }]);
    await cluster.advance(0);
    assert.equal(vmStatus(cluster.vm('vm1')).stateChangeRequests, undefined);
    assert.equal(vmiPhase(cluster.vmi('vm1')), 'Running');
    assert.equal(runStrategyOf('vm1'), 'Manual');
  });

  void test('Manual after the guest shut down: Stop{old uid} + Start, a new VMI', async () => {
    cluster = startTestCluster({ delays: 'instant' });
    const uid = await runningVm('vm1', 'Manual');
    cluster.controllers.guestShutdown('ns', 'vm1');
    await cluster.advance(0);
    assert.equal(vmiPhase(cluster.vmi('vm1')), 'Succeeded');
    assert.equal(vmStatus(cluster.vm('vm1')).printableStatus, 'Stopped');
    assert.equal(cluster.call('virtualmachines/start', 'vm1'), 202);
    assert.deepEqual(vmStatus(cluster.vm('vm1')).stateChangeRequests, [
      { action: 'Stop', uid },
      { action: 'Start' },
    ]);
    await cluster.advance(0);
    assert.equal(vmiPhase(cluster.vmi('vm1')), 'Running');
    assert.notEqual(cluster.vmi('vm1')?.metadata.uid, uid);
  });

  void test('RerunOnFailure with a Failed VMI: 409', async () => {
    cluster = startTestCluster({ delays: 'instant' });
    await runningVm('vm1', 'RerunOnFailure');
    cluster.controllers.crash('ns', 'vm1');
    const error = cluster.callError('virtualmachines/start', 'vm1');
    assert.equal(error.code, 409);
    assert.equal(
      error.message,
      'Operation cannot be fulfilled on virtualmachine.kubevirt.io "vm1": RerunOnFailure does not support starting VM from failed state',
    );
    assert.deepEqual(error.details, { name: 'vm1', group: 'kubevirt.io', kind: 'virtualmachine' });
  });

  for (const strategy of ['Always', 'Once']) {
    void test(`${strategy}: 409 does not support manual start requests`, async () => {
      cluster = startTestCluster({ delays: 'instant' });
      cluster.createVm({ name: 'vm1', runStrategy: strategy });
      // Before the VMI exists the strategy rule answers; afterwards "already running" does.
      const early = cluster.callError('virtualmachines/start', 'vm1');
      assert.equal(
        early.message,
        `Operation cannot be fulfilled on virtualmachine.kubevirt.io "vm1": ${strategy} does not support manual start requests`,
      );
      await cluster.advance(0);
      const late = cluster.callError('virtualmachines/start', 'vm1');
      assert.equal(
        late.message,
        'Operation cannot be fulfilled on virtualmachine.kubevirt.io "vm1": VM is already running',
      );
    });
  }

  void test('a second start while one is pending: 500 stop/start already underway', () => {
    cluster = startTestCluster({ delays: 'instant' });
    cluster.createVm({ name: 'vm1', runStrategy: 'Manual' });
    cluster.call('virtualmachines/start', 'vm1');
    const error = cluster.callError('virtualmachines/start', 'vm1');
    assert.equal(error.code, 500);
    assert.equal(error.reason, 'InternalError');
    assert.equal(
      error.message,
      'Internal error occurred: unable to complete request: stop/start already underway',
    );
  });

  void test('dryRun All: 202 and nothing changes; unknown VM: 404 with the singular resource', () => {
    cluster = startTestCluster({ delays: 'instant' });
    cluster.createVm({ name: 'vm1', runStrategy: 'Halted' });
    assert.equal(cluster.call('virtualmachines/start', 'vm1', { dryRun: ['All'] }), 202);
    assert.equal(runStrategyOf('vm1'), 'Halted');
    const error = cluster.callError('virtualmachines/start', 'nope');
    assert.equal(error.code, 404);
    assert.equal(error.message, 'virtualmachine.kubevirt.io "nope" not found');
    const bad = cluster.callError('virtualmachines/start', 'vm1', { paused: 'yes' });
    assert.equal(bad.code, 400);
  });
});

void describe('stop', () => {
  for (const strategy of ['Always', 'Once']) {
    void test(`${strategy}: patches runStrategy Halted`, async () => {
      cluster = startTestCluster({ delays: 'instant' });
      await runningVm('vm1', strategy);
      assert.equal(cluster.call('virtualmachines/stop', 'vm1'), 202);
      assert.equal(runStrategyOf('vm1'), 'Halted');
      await cluster.advance(0);
      assert.equal(cluster.vmi('vm1'), undefined);
      assert.equal(vmStatus(cluster.vm('vm1')).printableStatus, 'Stopped');
    });
  }

  for (const strategy of ['Manual', 'RerunOnFailure']) {
    void test(`${strategy}: Stop{uid} when running, 409 VM is not running otherwise`, async () => {
      cluster = startTestCluster({ delays: 'instant' });
      const uid = await runningVm('vm1', strategy);
      assert.equal(cluster.call('virtualmachines/stop', 'vm1'), 202);
      assert.deepEqual(vmStatus(cluster.vm('vm1')).stateChangeRequests, [{ action: 'Stop', uid }]);
      await cluster.advance(0);
      assert.equal(cluster.vmi('vm1'), undefined);
      assert.equal(vmStatus(cluster.vm('vm1')).stateChangeRequests, undefined);
      assert.equal(runStrategyOf('vm1'), strategy);
      const error = cluster.callError('virtualmachines/stop', 'vm1');
      assert.equal(
        error.message,
        'Operation cannot be fulfilled on virtualmachine.kubevirt.io "vm1": VM is not running',
      );
    });
  }

  void test('Halted: 409 without a VMI; with a stopping VMI only a shorter grace period is accepted', async () => {
    cluster = startTestCluster();
    cluster.createVm({ name: 'vm1', runStrategy: 'Halted' });
    assert.equal(
      cluster.callError('virtualmachines/stop', 'vm1').message,
      'Operation cannot be fulfilled on virtualmachine.kubevirt.io "vm1": VM is not running',
    );
    cluster.call('virtualmachines/start', 'vm1');
    await cluster.advance(60_000);
    assert.equal(vmiPhase(cluster.vmi('vm1')), 'Running');
    cluster.call('virtualmachines/stop', 'vm1');
    await cluster.advance(0);
    assert.equal(vmStatus(cluster.vm('vm1')).printableStatus, 'Stopping');
    assert.equal(
      cluster.callError('virtualmachines/stop', 'vm1').message,
      'Operation cannot be fulfilled on virtualmachine.kubevirt.io "vm1": Halted only supports manual stop requests with a shorter graceperiod',
    );
    const uid = cluster.vmi('vm1')?.metadata.uid;
    assert.equal(cluster.call('virtualmachines/stop', 'vm1', { gracePeriod: 0 }), 202);
    assert.equal(
      (cluster.vmi('vm1')?.spec as { terminationGracePeriodSeconds?: number })
        .terminationGracePeriodSeconds,
      0,
    );
    assert.deepEqual(vmStatus(cluster.vm('vm1')).stateChangeRequests, [{ action: 'Stop', uid }]);
    await cluster.advance(0);
    assert.equal(cluster.vmi('vm1'), undefined);
  });

  void test('a Stop replaces a pending Start request', () => {
    cluster = startTestCluster();
    cluster.createVm({ name: 'vm1', runStrategy: 'Manual' });
    cluster.call('virtualmachines/start', 'vm1');
    // The VMI is created on the next tick; a Stop right away targets nothing yet.
    assert.equal(cluster.callError('virtualmachines/stop', 'vm1').code, 409);
  });
});

void describe('restart', () => {
  for (const strategy of ['Halted', 'Once']) {
    void test(`${strategy}: 409 (sic "RunStategy")`, () => {
      cluster = startTestCluster({ delays: 'instant' });
      cluster.createVm({ name: 'vm1', runStrategy: strategy });
      assert.equal(
        cluster.callError('virtualmachines/restart', 'vm1').message,
        `Operation cannot be fulfilled on virtualmachine.kubevirt.io "vm1": RunStategy ${strategy} does not support manual restart requests`,
      );
    });
  }

  for (const strategy of ['Always', 'Manual', 'RerunOnFailure']) {
    void test(`${strategy}: Stop{uid} + Start, then a new VMI with a new uid`, async () => {
      cluster = startTestCluster({ delays: 'instant' });
      const uid = await runningVm('vm1', strategy);
      assert.equal(cluster.call('virtualmachines/restart', 'vm1'), 202);
      assert.deepEqual(vmStatus(cluster.vm('vm1')).stateChangeRequests, [
        { action: 'Stop', uid },
        { action: 'Start' },
      ]);
      await cluster.advance(0);
      assert.equal(vmiPhase(cluster.vmi('vm1')), 'Running');
      assert.notEqual(cluster.vmi('vm1')?.metadata.uid, uid);
      assert.equal(vmStatus(cluster.vm('vm1')).stateChangeRequests, undefined);
    });
  }

  void test('Manual without a VMI: 409 VM is not running: Halted; bad grace periods: 400', () => {
    cluster = startTestCluster({ delays: 'instant' });
    cluster.createVm({ name: 'vm1', runStrategy: 'Manual' });
    assert.equal(
      cluster.callError('virtualmachines/restart', 'vm1').message,
      'Operation cannot be fulfilled on virtualmachine.kubevirt.io "vm1": VM is not running: Halted',
    );
    const positive = cluster.callError('virtualmachines/restart', 'vm1', { gracePeriodSeconds: 5 });
    assert.deepEqual(
      [positive.code, positive.message],
      [400, 'For force restart, only gracePeriod=0 is supported for now'],
    );
    const negative = cluster.callError('virtualmachines/restart', 'vm1', {
      gracePeriodSeconds: -1,
    });
    assert.deepEqual(
      [negative.code, negative.message],
      [400, 'gracePeriod has to be greater or equal to 0'],
    );
  });

  void test('force restart (gracePeriodSeconds 0) shortens the VMI grace period to 1 s', async () => {
    cluster = startTestCluster();
    cluster.createVm({ name: 'vm1', runStrategy: 'Always' });
    await cluster.advance(60_000);
    const uid = cluster.vmi('vm1')?.metadata.uid;
    assert.equal(cluster.call('virtualmachines/restart', 'vm1', { gracePeriodSeconds: 0 }), 202);
    assert.equal(
      (cluster.vmi('vm1')?.spec as { terminationGracePeriodSeconds?: number })
        .terminationGracePeriodSeconds,
      1,
    );
    await cluster.advance(999);
    assert.equal(cluster.vmi('vm1')?.metadata.uid, uid);
    await cluster.advance(1);
    assert.notEqual(cluster.vmi('vm1')?.metadata.uid, uid);
  });
});

void describe('VMI verbs', () => {
  void test('pause / unpause: 200, Paused condition on VMI and VM; 409s in the wrong state', async () => {
    cluster = startTestCluster({ delays: 'instant' });
    assert.equal(
      cluster.callError('virtualmachineinstances/pause', 'vm1').message,
      'virtualmachineinstance.kubevirt.io "vm1" not found',
    );
    await runningVm('vm1', 'Always');
    assert.equal(
      cluster.callError('virtualmachineinstances/unpause', 'vm1').message,
      'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "vm1": VMI is not paused',
    );
    assert.equal(cluster.call('virtualmachineinstances/pause', 'vm1', {}), 200);
    await cluster.advance(0);
    assert.equal(vmStatus(cluster.vm('vm1')).printableStatus, 'Paused');
    assert.deepEqual(
      vmStatus(cluster.vm('vm1')).conditions?.find((c) => c.type === 'Paused'),
      {
        type: 'Paused',
        status: 'True',
        reason: 'PausedByUser',
        message: 'VMI was paused by user',
        lastProbeTime: null,
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    );
    assert.equal(
      cluster.callError('virtualmachineinstances/pause', 'vm1').message,
      'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "vm1": VMI is already paused',
    );
    assert.equal(
      cluster.callError('virtualmachineinstances/softreboot', 'vm1').message,
      'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "vm1": VMI is paused',
    );
    assert.equal(cluster.call('virtualmachineinstances/unpause', 'vm1'), 200);
    await cluster.advance(0);
    assert.equal(vmStatus(cluster.vm('vm1')).printableStatus, 'Running');
    assert.equal(
      vmStatus(cluster.vm('vm1')).conditions?.some((c) => c.type === 'Paused'),
      false,
    );
  });

  void test('pause of a VMI not yet running: 409 VM is not running; reset before Running: 400', async () => {
    cluster = startTestCluster();
    cluster.createVm({ name: 'vm1', runStrategy: 'Always' });
    await cluster.advance(600);
    assert.equal(vmiPhase(cluster.vmi('vm1')), 'Scheduling');
    assert.equal(
      cluster.callError('virtualmachineinstances/pause', 'vm1').message,
      'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "vm1": VM is not running',
    );
    const reset = cluster.callError('virtualmachineinstances/reset', 'vm1');
    assert.equal(reset.code, 400);
    assert.equal(
      reset.message,
      'Failed to reset non-running VMI with phase Scheduling: Unable to connect to VirtualMachineInstance because phase is Scheduling instead of Running or Scheduled',
    );
  });

  void test('softreboot and reset keep the VMI (same uid) and answer 200', async () => {
    cluster = startTestCluster({ delays: 'instant' });
    const uid = await runningVm('vm1', 'Always');
    assert.equal(cluster.call('virtualmachineinstances/softreboot', 'vm1'), 200);
    assert.equal(cluster.call('virtualmachineinstances/reset', 'vm1'), 200);
    await cluster.advance(0);
    assert.equal(cluster.vmi('vm1')?.metadata.uid, uid);
    assert.equal(vmiPhase(cluster.vmi('vm1')), 'Running');
  });

  void test('reset is not served before KubeVirt v1.5', () => {
    cluster = startTestCluster({ cluster: { kubevirtVersion: 'v1.4.0' } });
    assert.throws(
      () => cluster.call('virtualmachineinstances/reset', 'vm1'),
      /not registered|verb/,
    );
  });
});

void describe('addvolume / removevolume', () => {
  void test('a CD-ROM is refused; a disk is added to the template as hotpluggable; removal works', () => {
    cluster = startTestCluster({ delays: 'instant' });
    cluster.createVm({ name: 'vm1', runStrategy: 'Halted' });
    const cdrom = cluster.callError('virtualmachines/addvolume', 'vm1', {
      name: 'iso',
      disk: { cdrom: { bus: 'sata' } },
      volumeSource: { dataVolume: { name: 'iso-dv' } },
    });
    assert.equal(cdrom.code, 422);
    assert.match(cdrom.message, /new hotplugged Disk iso cannot have type cdrom/);
    const missing = cluster.callError('virtualmachines/addvolume', 'vm1', { name: 'data' });
    assert.deepEqual(
      [missing.code, missing.message],
      [400, 'AddVolumeOptions requires disk to not be nil'],
    );
    assert.equal(
      cluster.call('virtualmachines/addvolume', 'vm1', {
        name: 'data',
        disk: { disk: { bus: 'scsi' } },
        volumeSource: { persistentVolumeClaim: { claimName: 'data-pvc' } },
      }),
      202,
    );
    const template = (cluster.vm('vm1').spec as { template: { spec: { volumes: unknown[] } } })
      .template.spec;
    assert.deepEqual(template.volumes.at(-1), {
      name: 'data',
      persistentVolumeClaim: { claimName: 'data-pvc', hotpluggable: true },
    });
    assert.equal(
      cluster.callError('virtualmachines/removevolume', 'vm1', { name: 'rootdisk' }).message,
      'Operation cannot be fulfilled on virtualmachine.kubevirt.io "vm1": Unable to remove volume [rootdisk] because it is not hotpluggable',
    );
    assert.equal(cluster.call('virtualmachines/removevolume', 'vm1', { name: 'data' }), 202);
  });

  void test('without a hotplug feature gate: 400', () => {
    cluster = startTestCluster({ cluster: { declarativeHotplug: false } });
    cluster.createVm({ name: 'vm1', runStrategy: 'Halted' });
    const error = cluster.callError('virtualmachines/addvolume', 'vm1', { name: 'x' });
    assert.deepEqual(
      [error.code, error.message],
      [400, 'Unable to Add Volume because HotplugVolumes feature gate is not enabled.'],
    );
  });
});
