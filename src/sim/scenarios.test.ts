// The seeded scenario: the demo set's shape and the determinism of a seed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock, seededRandom } from '../util/clock.ts';
import { Keys } from './controllers/kubevirt-objects.ts';
import { redfishLabel, seedScenario } from './scenarios.ts';
import { createStore } from './store.ts';
import type { KubeObject } from './types.ts';

const seeded = (seed: number, vms: number) => {
  const store = createStore({ clock: new ManualClock(), random: seededRandom(seed) });
  seedScenario(store, { vms, seed });
  return store;
};
const specs = (vms: readonly KubeObject[]) =>
  vms.map((vm) => [vm.metadata.namespace, vm.metadata.name, vm.metadata.labels, vm.spec]);
type Domain = {
  firmware: { uuid?: string; serial?: string; bootloader: { bios?: object; efi?: object } };
  devices: { interfaces: { macAddress?: string; model?: string }[] };
};
const domainOf = (vm: KubeObject): Domain =>
  (vm.spec as { template: { spec: { domain: Domain } } }).template.spec.domain;

void describe('seedScenario', () => {
  void test('the same seed gives the same cluster; another seed a different one', () => {
    const a = specs(seeded(42, 30).list(Keys.vm).items);
    const b = specs(seeded(42, 30).list(Keys.vm).items);
    const c = specs(seeded(43, 30).list(Keys.vm).items);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  void test('demo namespaces with labelled VMs, one unlabelled VM each, a dotted name, and N more', () => {
    const store = seeded(1, 10);
    const vms = store.list(Keys.vm).items;
    assert.equal(vms.length, 9 + 10);
    for (const namespace of ['demo-a', 'demo-b']) {
      const here = vms.filter((vm) => vm.metadata.namespace === namespace);
      const unlabelled = here.filter((vm) => vm.metadata.labels?.[redfishLabel] !== 'true');
      assert.ok(here.length - unlabelled.length >= 3, `${namespace} has several labelled VMs`);
      assert.ok(unlabelled.length >= 1);
    }
    assert.ok(vms.some((vm) => vm.metadata.name === 'web.frontend'));
    for (const vm of vms) {
      assert.match(vm.metadata.name ?? '', /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
      const domain = domainOf(vm);
      assert.match(
        domain.firmware.uuid ?? '',
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      assert.ok(domain.firmware.serial);
      assert.match(domain.devices.interfaces[0]?.macAddress ?? '', /^52:54:00(:[0-9a-f]{2}){3}$/);
      assert.equal(domain.devices.interfaces[0]?.model, 'virtio');
    }
    assert.ok(vms.some((vm) => domainOf(vm).firmware.bootloader.bios !== undefined));
    assert.ok(
      vms.filter((vm) => domainOf(vm).firmware.bootloader.efi !== undefined).length >
        vms.length / 2,
    );
    const strategies = vms.map((vm) => (vm.spec as { runStrategy: string }).runStrategy);
    assert.equal(
      strategies.filter((s) => s === 'Halted' || s === 'Manual').length > vms.length / 2,
      true,
    );
    assert.ok(strategies.includes('Always'));
    assert.ok(strategies.includes('RerunOnFailure'));
  });

  void test('with emptyCdrom the demo VMs get an empty sata CD-ROM drive', () => {
    const store = createStore({ clock: new ManualClock(), random: seededRandom(1) });
    seedScenario(store, { vms: 0, seed: 1, emptyCdrom: true });
    const disks = (
      store.get(Keys.vm, 'demo-a', 'web.frontend')?.spec as {
        template: { spec: { domain: { devices: { disks: { name: string; cdrom?: object }[] } } } };
      }
    ).template.spec.domain.devices.disks;
    assert.deepEqual(disks.find((d) => d.name === 'cdrom')?.cdrom, { bus: 'sata', readonly: true });
  });

  void test('root disks exist already imported: Succeeded DataVolume owned by the VM with its PVC, or a bound PVC', () => {
    const store = seeded(1, 0);
    const web = store.get(Keys.vm, 'demo-a', 'web.frontend');
    const dv = store.get(Keys.dv, 'demo-a', 'web-frontend-rootdisk');
    assert.equal(dv?.metadata.ownerReferences?.[0]?.uid, web?.metadata.uid);
    assert.deepEqual(
      [
        (dv?.status as { phase: string; progress: string }).phase,
        (dv?.status as { progress: string }).progress,
      ],
      ['Succeeded', '100.0%'],
    );
    assert.equal(
      store.get(Keys.pvc, 'demo-a', 'web-frontend-rootdisk')?.metadata.ownerReferences?.[0]?.kind,
      'DataVolume',
    );
    const pvc = store.get(Keys.pvc, 'demo-a', 'db-primary-rootdisk');
    assert.deepEqual(pvc?.status, {
      phase: 'Bound',
      accessModes: ['ReadWriteOnce'],
      capacity: { storage: '100Gi' },
    });
  });
});
