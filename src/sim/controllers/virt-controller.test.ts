// VM -> VMI lifecycle on a ManualClock: phases and their timing, graceful vs forced stop, guest
// reboot/shutdown/crash per runStrategy, RestartRequired, DataVolume provisioning, declarative
// CD-ROM hotplug with the feature gate on and off, and VM deletion.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { KubeObject } from '../types.ts';
import { failHosts } from './import-source.ts';
import { Keys } from './kubevirt-objects.ts';
import {
  condition,
  startTestCluster,
  vmStatus,
  vmiPhase,
  type TestCluster,
} from './test-support.ts';

let cluster: TestCluster;
afterEach(() => {
  cluster.close();
  assert.deepEqual(cluster.errors, []);
});

const printable = (name: string): string | undefined => vmStatus(cluster.vm(name)).printableStatus;
const uidOf = (name: string): string | undefined => cluster.vmi(name)?.metadata.uid;
const bootToRunning = 5000; // 500 + 1500 + 3000 ms of realistic delays

void describe('starting', () => {
  void test('VMI phases Pending -> Scheduling -> Scheduled -> Running on the clock, VM Starting -> Running', async () => {
    cluster = startTestCluster();
    const vm = cluster.createVm({ name: 'vm1', runStrategy: 'Always', mac: '52:54:00:aa:bb:cc' });
    await cluster.advance(0);
    assert.equal(vmiPhase(cluster.vmi('vm1')), 'Pending');
    assert.equal(printable('vm1'), 'Starting');
    assert.deepEqual(
      [vmStatus(cluster.vm('vm1')).created, vmStatus(cluster.vm('vm1')).ready],
      [true, false],
    );
    await cluster.advance(499);
    assert.equal(vmiPhase(cluster.vmi('vm1')), 'Pending');
    await cluster.advance(1);
    assert.equal(vmiPhase(cluster.vmi('vm1')), 'Scheduling');
    await cluster.advance(1500);
    assert.equal(vmiPhase(cluster.vmi('vm1')), 'Scheduled');
    assert.equal(printable('vm1'), 'Starting');
    await cluster.advance(3000);
    assert.equal(vmiPhase(cluster.vmi('vm1')), 'Running');
    assert.equal(printable('vm1'), 'Running');
    assert.equal(vmStatus(cluster.vm('vm1')).ready, true);
    assert.equal(condition(cluster.vm('vm1'), 'Ready')?.status, 'True');

    // The VMI is a snapshot of the template: spec copied, owned by the VM, template labels.
    const vmi = cluster.vmi('vm1') as KubeObject;
    const template = (
      vm.spec as { template: { spec: unknown; metadata: { labels: Record<string, string> } } }
    ).template;
    assert.deepEqual(vmi.spec, template.spec);
    assert.deepEqual(vmi.metadata.labels, {
      ...template.metadata.labels,
      'kubevirt.io/nodeName': 'sim-node-1',
    });
    assert.deepEqual(vmi.metadata.ownerReferences, [
      {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachine',
        name: 'vm1',
        uid: vm.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    const iface = (
      vmi.status as { interfaces: { name: string; mac: string; ipAddress?: string }[] }
    ).interfaces[0];
    assert.equal(iface?.mac, '52:54:00:aa:bb:cc');
    assert.equal(iface?.name, 'default');
    assert.equal(condition(vmi, 'AgentConnected'), undefined);
    await cluster.advance(8000);
    assert.equal(condition(cluster.vmi('vm1'), 'AgentConnected')?.status, 'True');
  });

  void test('a Halted VM stays Stopped with the Ready condition VMINotExists', async () => {
    cluster = startTestCluster();
    cluster.createVm({ name: 'vm1', runStrategy: 'Halted' });
    await cluster.advance(60_000);
    assert.equal(cluster.vmi('vm1'), undefined);
    assert.equal(printable('vm1'), 'Stopped');
    assert.deepEqual(
      { ...condition(cluster.vm('vm1'), 'Ready') },
      {
        type: 'Ready',
        status: 'False',
        reason: 'VMINotExists',
        message: 'VMI does not exist',
        lastProbeTime: null,
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    );
  });
});

void describe('stopping', () => {
  void test('graceful stop: Stopping until the guest powers off (min of grace period and shutdown time)', async () => {
    cluster = startTestCluster();
    cluster.createVm({ name: 'vm1', runStrategy: 'Manual', terminationGracePeriodSeconds: 3 });
    cluster.call('virtualmachines/start', 'vm1');
    await cluster.advance(bootToRunning);
    cluster.call('virtualmachines/stop', 'vm1');
    await cluster.advance(0);
    assert.equal(printable('vm1'), 'Stopping');
    await cluster.advance(2999);
    assert.equal(printable('vm1'), 'Stopping');
    assert.ok(cluster.vmi('vm1'));
    await cluster.advance(1);
    assert.equal(cluster.vmi('vm1'), undefined);
    assert.equal(printable('vm1'), 'Stopped');
    assert.equal(vmStatus(cluster.vm('vm1')).created, false);
  });

  void test('a guest that shuts down faster than the grace period stops after its shutdown time', async () => {
    cluster = startTestCluster();
    cluster.createVm({ name: 'vm1', runStrategy: 'Always' }); // grace 180 s, guest needs 5 s
    await cluster.advance(bootToRunning);
    cluster.call('virtualmachines/stop', 'vm1');
    await cluster.advance(4999);
    assert.equal(printable('vm1'), 'Stopping');
    await cluster.advance(1);
    assert.equal(printable('vm1'), 'Stopped');
  });

  void test('forced stop (gracePeriod 0) ends the VMI at once', async () => {
    cluster = startTestCluster();
    cluster.createVm({ name: 'vm1', runStrategy: 'Always' });
    await cluster.advance(bootToRunning);
    cluster.call('virtualmachines/stop', 'vm1', { gracePeriod: 0 });
    await cluster.advance(0);
    assert.equal(cluster.vmi('vm1'), undefined);
    assert.equal(printable('vm1'), 'Stopped');
  });
});

void describe('from inside the guest', () => {
  void test('guest reboot keeps the VMI; the agent reconnects', async () => {
    cluster = startTestCluster();
    cluster.createVm({ name: 'vm1', runStrategy: 'Always' });
    await cluster.advance(bootToRunning + 8000);
    const uid = uidOf('vm1');
    cluster.controllers.guestReboot('ns', 'vm1');
    await cluster.advance(0);
    assert.equal(uidOf('vm1'), uid);
    assert.equal(condition(cluster.vmi('vm1'), 'AgentConnected'), undefined);
    await cluster.advance(8000);
    assert.equal(condition(cluster.vmi('vm1'), 'AgentConnected')?.status, 'True');
  });

  const terminating = { rebootPolicy: 'Terminate' };
  void test('guest reboot with rebootPolicy Terminate ends the VMI; Always starts a new one', async () => {
    cluster = startTestCluster({ delays: 'instant' });
    cluster.createVm({ name: 'vm1', runStrategy: 'Always' });
    cluster.store.mutate(Keys.vm, 'ns', 'vm1', (d) => {
      Object.assign(
        (d.spec as { template: { spec: { domain: object } } }).template.spec.domain,
        terminating,
      );
    });
    await cluster.advance(0);
    const uid = uidOf('vm1');
    cluster.controllers.guestReboot('ns', 'vm1');
    assert.equal(vmiPhase(cluster.vmi('vm1')), 'Succeeded');
    await cluster.advance(0);
    assert.notEqual(uidOf('vm1'), uid);
    assert.equal(vmiPhase(cluster.vmi('vm1')), 'Running');
  });

  void test('guest reboot with rebootPolicy Terminate on Manual: the VM stays off', async () => {
    cluster = startTestCluster({ delays: 'instant' });
    cluster.createVm({ name: 'vm1', runStrategy: 'Manual' });
    cluster.store.mutate(Keys.vm, 'ns', 'vm1', (d) => {
      Object.assign(
        (d.spec as { template: { spec: { domain: object } } }).template.spec.domain,
        terminating,
      );
    });
    cluster.call('virtualmachines/start', 'vm1');
    await cluster.advance(0);
    cluster.controllers.guestReboot('ns', 'vm1');
    await cluster.advance(0);
    assert.equal(vmiPhase(cluster.vmi('vm1')), 'Succeeded');
    assert.equal(printable('vm1'), 'Stopped');
  });

  void test('rebootPolicy is ignored before KubeVirt v1.8', async () => {
    cluster = startTestCluster({ delays: 'instant', cluster: { kubevirtVersion: 'v1.7.4' } });
    cluster.createVm({ name: 'vm1', runStrategy: 'Always' });
    cluster.store.mutate(Keys.vm, 'ns', 'vm1', (d) => {
      Object.assign(
        (d.spec as { template: { spec: { domain: object } } }).template.spec.domain,
        terminating,
      );
    });
    await cluster.advance(0);
    const uid = uidOf('vm1');
    cluster.controllers.guestReboot('ns', 'vm1');
    await cluster.advance(0);
    assert.equal(uidOf('vm1'), uid);
    assert.equal(vmiPhase(cluster.vmi('vm1')), 'Running');
  });

  const outcomes: [string, 'guestShutdown' | 'crash', 'restarted' | 'off'][] = [
    ['Always', 'guestShutdown', 'restarted'],
    ['Manual', 'guestShutdown', 'off'],
    ['RerunOnFailure', 'guestShutdown', 'off'],
    ['Once', 'guestShutdown', 'off'],
    ['Always', 'crash', 'restarted'],
    ['RerunOnFailure', 'crash', 'restarted'],
    ['Manual', 'crash', 'off'],
    ['Once', 'crash', 'off'],
  ];
  for (const [strategy, hook, outcome] of outcomes) {
    void test(`${hook} with ${strategy}: ${outcome}`, async () => {
      cluster = startTestCluster({ delays: 'instant' });
      cluster.createVm({ name: 'vm1', runStrategy: strategy });
      if (strategy === 'Manual' || strategy === 'RerunOnFailure')
        cluster.call('virtualmachines/start', 'vm1');
      await cluster.advance(0);
      const uid = uidOf('vm1');
      cluster.controllers[hook]('ns', 'vm1');
      assert.equal(vmiPhase(cluster.vmi('vm1')), hook === 'crash' ? 'Failed' : 'Succeeded');
      await cluster.advance(0);
      if (outcome === 'restarted') {
        assert.notEqual(uidOf('vm1'), uid);
        assert.equal(printable('vm1'), 'Running');
      } else {
        assert.equal(printable('vm1'), 'Stopped');
        assert.notEqual(vmiPhase(cluster.vmi('vm1')), 'Running');
      }
    });
  }
});

void describe('template changes', () => {
  void test('RestartRequired while the running VMI differs from the template; a restart clears it', async () => {
    cluster = startTestCluster({ delays: 'instant' });
    cluster.createVm({ name: 'vm1', runStrategy: 'Always' });
    await cluster.advance(0);
    assert.equal(condition(cluster.vm('vm1'), 'RestartRequired'), undefined);
    cluster.store.mutate(Keys.vm, 'ns', 'vm1', (d) => {
      (
        d.spec as { template: { spec: { domain: { cpu: { cores: number } } } } }
      ).template.spec.domain.cpu.cores = 8;
    });
    await cluster.advance(0);
    assert.deepEqual(
      [
        condition(cluster.vm('vm1'), 'RestartRequired')?.status,
        condition(cluster.vm('vm1'), 'RestartRequired')?.message,
      ],
      ['True', 'a non-live-updatable field was changed in the template spec'],
    );
    const status = vmStatus(cluster.vm('vm1')) as {
      observedGeneration?: number;
      desiredGeneration?: number;
    };
    assert.equal(status.desiredGeneration, (status.observedGeneration ?? 0) + 1);
    cluster.call('virtualmachines/restart', 'vm1');
    await cluster.advance(0);
    assert.equal(condition(cluster.vm('vm1'), 'RestartRequired'), undefined);
    const vmi = cluster.vmi('vm1') as KubeObject;
    assert.equal((vmi.spec as { domain: { cpu: { cores: number } } }).domain.cpu.cores, 8);
  });
});

void describe('DataVolumes', () => {
  const importingVm = (runStrategy: string): void => {
    cluster.createVm({ name: 'vm1', runStrategy });
    // Point the root disk at a DataVolume that still has to be imported.
    cluster.store.mutate(Keys.vm, 'ns', 'vm1', (d) => {
      const spec = d.spec as {
        dataVolumeTemplates?: unknown[];
        template: { spec: { volumes: object[] } };
      };
      spec.dataVolumeTemplates = [
        {
          metadata: { name: 'vm1-root' },
          spec: {
            source: { http: { url: 'https://images.example.com/disk.qcow2' } },
            storage: { resources: { requests: { storage: '10Gi' } } },
          },
        },
      ];
      spec.template.spec.volumes = [{ name: 'rootdisk', dataVolume: { name: 'vm1-root' } }];
    });
  };

  void test('an Always VM stays Provisioning without a VMI until its DataVolume succeeds, then starts', async () => {
    cluster = startTestCluster();
    importingVm('Always');
    await cluster.advance(0);
    const dv = cluster.store.get(Keys.dv, 'ns', 'vm1-root');
    assert.equal(dv?.metadata.ownerReferences?.[0]?.uid, cluster.vm('vm1').metadata.uid);
    assert.equal(printable('vm1'), 'Provisioning');
    await cluster.advance(10_000);
    assert.equal(printable('vm1'), 'Provisioning');
    assert.equal(cluster.vmi('vm1'), undefined);
    await cluster.advance(8_000); // 1 s scheduled + 2 s start + 15 s download
    assert.equal(
      (cluster.store.get(Keys.dv, 'ns', 'vm1-root')?.status as { phase: string }).phase,
      'Succeeded',
    );
    assert.equal(printable('vm1'), 'Starting');
    await cluster.advance(bootToRunning);
    assert.equal(printable('vm1'), 'Running');
    assert.equal(condition(cluster.vm('vm1'), 'DataVolumesReady')?.status, 'True');
  });

  void test('a Halted VM whose DataVolume imports shows Provisioning, then Stopped', async () => {
    cluster = startTestCluster();
    importingVm('Halted');
    await cluster.advance(0);
    assert.equal(printable('vm1'), 'Provisioning');
    await cluster.advance(18_000);
    assert.equal(printable('vm1'), 'Stopped');
  });

  void test('a failing import shows DataVolumeError', async () => {
    cluster = startTestCluster({ importRule: failHosts(/example\.com$/) });
    importingVm('Always');
    await cluster.advance(3_000);
    assert.equal(printable('vm1'), 'DataVolumeError');
    assert.equal(cluster.vmi('vm1'), undefined);
  });
});

void describe('declarative CD-ROM hotplug', () => {
  const isoDv = (name: string): void => {
    cluster.store.create(Keys.dv, {
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataVolume',
      metadata: { name, namespace: 'ns' },
      spec: {
        source: { http: { url: `https://images.example.com/${name}.iso` } },
        storage: { resources: { requests: { storage: '1Gi' } } },
      },
    });
  };
  /** A running VM whose sata CD-ROM holds a hotpluggable DataVolume. */
  const vmWithCdrom = async (): Promise<void> => {
    isoDv('iso-1');
    isoDv('iso-2');
    cluster.createVm({ name: 'vm1', runStrategy: 'Always', cdrom: true, cdromMedia: 'iso-1' });
    await cluster.advance(60_000);
    assert.equal(printable('vm1'), 'Running');
  };
  const swapTo = (dvName: string): void => {
    cluster.store.mutate(Keys.vm, 'ns', 'vm1', (d) => {
      const spec = (
        d.spec as { template: { spec: { volumes: { name: string; dataVolume?: object }[] } } }
      ).template.spec;
      const cdrom = spec.volumes.find((v) => v.name === 'cdrom');
      if (cdrom) cdrom.dataVolume = { name: dvName, hotpluggable: true };
    });
  };
  const vmiVolume = () =>
    (
      cluster.vmi('vm1')?.spec as { volumes: { name: string; dataVolume?: { name: string } }[] }
    ).volumes.find((v) => v.name === 'cdrom');
  const cdromStatus = () =>
    (
      cluster.vmi('vm1')?.status as {
        volumeStatus?: {
          name: string;
          phase?: string;
          persistentVolumeClaimInfo?: { claimName: string };
        }[];
      }
    ).volumeStatus?.find((v) => v.name === 'cdrom');

  void test('gate on: the running VMI follows the template; volumeStatus walks to Ready; no restart', async () => {
    cluster = startTestCluster();
    await vmWithCdrom();
    assert.deepEqual(
      [cdromStatus()?.phase, cdromStatus()?.persistentVolumeClaimInfo?.claimName],
      ['Ready', 'iso-1'],
    );
    const uid = uidOf('vm1');
    swapTo('iso-2');
    await cluster.advance(0);
    assert.equal(vmiVolume()?.dataVolume?.name, 'iso-2');
    assert.equal(condition(cluster.vm('vm1'), 'RestartRequired'), undefined);
    await cluster.advance(400);
    assert.equal(cdromStatus()?.phase, 'Detaching');
    await cluster.advance(10_000);
    assert.deepEqual(
      [cdromStatus()?.phase, cdromStatus()?.persistentVolumeClaimInfo?.claimName],
      ['Ready', 'iso-2'],
    );
    // Eject: the volume goes, the drive stays.
    cluster.store.mutate(Keys.vm, 'ns', 'vm1', (d) => {
      const spec = (d.spec as { template: { spec: { volumes: { name: string }[] } } }).template
        .spec;
      spec.volumes = spec.volumes.filter((v) => v.name !== 'cdrom');
    });
    await cluster.advance(10_000);
    assert.equal(vmiVolume(), undefined);
    assert.equal(cdromStatus(), undefined);
    const disks = (
      cluster.vmi('vm1')?.spec as { domain: { devices: { disks: { name: string }[] } } }
    ).domain.devices.disks;
    assert.ok(disks.some((d) => d.name === 'cdrom'));
    assert.equal(uidOf('vm1'), uid);
    assert.equal(condition(cluster.vm('vm1'), 'RestartRequired'), undefined);
  });

  void test('gate on: media inserted into an empty drive of a running VM attaches once imported', async () => {
    cluster = startTestCluster();
    isoDv('iso-1');
    cluster.createVm({ name: 'vm1', runStrategy: 'Always', cdrom: true });
    await cluster.advance(bootToRunning);
    assert.equal(printable('vm1'), 'Running');
    cluster.store.mutate(Keys.vm, 'ns', 'vm1', (d) => {
      const spec = (d.spec as { template: { spec: { volumes: object[] } } }).template.spec;
      spec.volumes.push({ name: 'cdrom', dataVolume: { name: 'iso-1', hotpluggable: true } });
    });
    await cluster.advance(0);
    assert.equal(vmiVolume()?.dataVolume?.name, 'iso-1');
    assert.equal(printable('vm1'), 'Running');
    await cluster.advance(5_000);
    assert.equal(cdromStatus()?.phase, 'Pending');
    await cluster.advance(15_000);
    assert.equal(cdromStatus()?.phase, 'Ready');
    assert.equal(condition(cluster.vm('vm1'), 'RestartRequired'), undefined);
  });

  void test('gate off: the change only shows RestartRequired; the VMI keeps its media', async () => {
    cluster = startTestCluster({ cluster: { declarativeHotplug: false } });
    await vmWithCdrom();
    swapTo('iso-2');
    await cluster.advance(10_000);
    assert.equal(vmiVolume()?.dataVolume?.name, 'iso-1');
    assert.equal(condition(cluster.vm('vm1'), 'RestartRequired')?.status, 'True');
  });
});

void describe('deletion', () => {
  void test('deleting a running VM: Terminating, the VMI stops, then the VM and its DataVolumes go', async () => {
    cluster = startTestCluster();
    cluster.createVm({
      name: 'vm1',
      runStrategy: 'Always',
      rootDisk: { kind: 'dataVolume', source: 'http', size: '10Gi' },
    });
    await cluster.advance(bootToRunning);
    assert.ok(cluster.store.get(Keys.dv, 'ns', 'vm1-rootdisk'));
    cluster.store.delete(Keys.vm, 'ns', 'vm1');
    await cluster.advance(0);
    assert.equal(printable('vm1'), 'Terminating');
    await cluster.advance(5_000);
    assert.equal(cluster.store.get(Keys.vm, 'ns', 'vm1'), undefined);
    assert.equal(cluster.vmi('vm1'), undefined);
    assert.equal(cluster.store.get(Keys.dv, 'ns', 'vm1-rootdisk'), undefined);
    assert.equal(cluster.store.get(Keys.pvc, 'ns', 'vm1-rootdisk'), undefined);
  });
});
