// Ironic's out-of-band inspection, secure boot and BIOS settings through Debian's sushy
// (sushy/inspection.py, issue 13 item 8), on a VM of its own in the Ironic suite's service. What
// sushy reads is checked against the simulator's VM, VMI and PVC objects; what it writes is
// observed on the VM at once and on the VMI after the next reset, as on a server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createVm } from '../../src/sim/scenarios.ts';
import type { Simulator } from '../../src/sim/simulator.ts';
import type { KubeObject } from '../../src/sim/types.ts';
import { parseQuantity } from '../../src/kube/quantity.ts';
import { users, type TestService } from '../helpers/service.ts';
import { IronicProcess, type StepReply } from './sushy-driver.ts';

const namespace = 'demo-a';
const name = 'ironic-inspect';
const systemPath = `/redfish/v1/Systems/${namespace}.${name}`;
const GiB = 1024 ** 3;
const Keys = {
  vm: 'virtualmachines.kubevirt.io',
  vmi: 'virtualmachineinstances.kubevirt.io',
  pvc: 'persistentvolumeclaims',
} as const;

/** Disk name to size, of the disks sushy's inspection lists (null: no CapacityBytes). */
const sizes = (disks: { name: string; size: number | null }[]) =>
  Object.fromEntries(disks.map((d) => [d.name, d.size]));

/** The parts of a VM or VMI template this suite reads. */
interface TemplateSpec {
  architecture?: string;
  domain: {
    cpu?: { sockets: number; cores: number; threads: number };
    memory?: { guest?: string };
    firmware?: { uuid?: string; serial?: string; bootloader?: { efi?: { secureBoot?: boolean } } };
    features?: { smm?: { enabled?: boolean } };
    devices: { interfaces: { name: string; macAddress?: string }[] };
  };
  volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[];
}

export interface InspectionContext {
  readonly service: () => TestService;
  readonly python: () => string;
}

/** Registers the inspection tests inside an Ironic suite whose service is already running. */
export const defineInspection = (context: InspectionContext): void =>
  void describe('out-of-band inspection, secure boot and BIOS (Ironic redfish inspect)', () => {
    let sim: Simulator;
    let ironic: IronicProcess;

    const vm = (): TemplateSpec =>
      (sim.store.get(Keys.vm, namespace, name)?.spec as { template: { spec: TemplateSpec } })
        .template.spec;
    const vmi = (): KubeObject | undefined => sim.store.get(Keys.vmi, namespace, name);
    const vmiSecureBoot = (): boolean | undefined =>
      (vmi()?.spec as TemplateSpec | undefined)?.domain.firmware?.bootloader?.efi?.secureBoot;
    const claimBytes = (claim: string): number => {
      const pvc = sim.store.get(Keys.pvc, namespace, claim);
      const size = (pvc?.status as { capacity?: { storage?: string } } | undefined)?.capacity
        ?.storage;
      const bytes = parseQuantity(size);
      assert.ok(bytes !== undefined, `capacity of PVC ${claim}`);
      return bytes;
    };
    /** The size virt-handler reports for a volume of the running VMI. */
    const isoBytes = (volume: string): number => {
      const statuses = (vmi()?.status as { volumeStatus?: { name: string; size?: number }[] })
        ?.volumeStatus;
      return statuses?.find((s) => s.name === volume)?.size ?? 0;
    };
    const waitFor = async (what: string, check: () => boolean): Promise<void> => {
      await context
        .service()
        .waitFor(check, 20_000)
        .catch(() => assert.fail(`timed out waiting for ${what}`));
    };
    /** Ironic's hard reboot (node_power_action REBOOT): off, then on, a new VMI. */
    const reboot = async (): Promise<void> => {
      const before = vmi()?.metadata.uid;
      await ironic.step('power_off');
      await ironic.step('power_on');
      await waitFor('a new running VMI', () => {
        const now = vmi();
        return (
          now !== undefined &&
          now.metadata.uid !== before &&
          (now.status as { phase?: string } | undefined)?.phase === 'Running'
        );
      });
    };
    const patches = (reply: StepReply, path: RegExp) =>
      reply.exchanges.filter((x) => x.method === 'PATCH' && path.test(x.path));

    before(async () => {
      const service = context.service();
      assert.ok(service.service.simulator);
      sim = service.service.simulator;
      // A running EFI VM without secure boot: two NICs, and disks of 20 GiB (root), 50 GiB
      // (data) and 2 GiB (scratch, below the 4 GiB Ironic counts), plus what real VMs carry: a
      // containerDisk (a size KubeVirt never measures) and a cloud-init disk (the ISO
      // virt-handler measures while the VM runs).
      createVm(sim.store, {
        namespace,
        name,
        runStrategy: 'Always',
        firmware: 'efi',
        cpu: { sockets: 2, cores: 2, threads: 2 },
        memory: '6Gi',
        mac: '52:54:00:1a:2b:01',
        rootDisk: { kind: 'pvc', size: '20Gi' },
      });
      sim.store.create(Keys.pvc, {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: `${name}-data`, namespace },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } },
        status: { phase: 'Bound', capacity: { storage: '50Gi' } },
      });
      sim.store.mutate(Keys.vm, namespace, name, (draft) => {
        const spec = (draft.spec as { template: { spec: any } }).template.spec;
        spec.domain.devices.interfaces.push({
          name: 'provisioning',
          bridge: {},
          macAddress: '52:54:00:1A:2B:02',
        });
        spec.networks.push({ name: 'provisioning', multus: { networkName: 'prov-net' } });
        spec.domain.devices.disks.push(
          { name: 'data', disk: { bus: 'virtio' } },
          { name: 'scratch', disk: { bus: 'virtio' } },
          { name: 'tools', disk: { bus: 'virtio' } },
          { name: 'cloudinit', disk: { bus: 'virtio' } },
        );
        spec.volumes.push(
          { name: 'data', persistentVolumeClaim: { claimName: `${name}-data` } },
          { name: 'scratch', emptyDisk: { capacity: '2Gi' } },
          { name: 'tools', containerDisk: { image: 'quay.io/containerdisks/fedora:41' } },
          {
            name: 'cloudinit',
            cloudInitNoCloud: { userData: '#cloud-config\nhostname: inspect\n' },
          },
        );
      });
      await service.waitFor(async () => {
        const reply = await service.request(systemPath, { user: 'admin' });
        return reply.status === 200 && reply.body?.PowerState === 'On';
      }, 20_000);
      ironic = new IronicProcess({
        python: context.python(),
        url: service.url,
        auth: 'basic',
        systemPath,
        username: 'admin',
        password: users.admin,
      });
      await ironic.step('register');
    });

    after(async () => {
      await ironic?.close();
    });

    it('reads CPUs, architecture, memory, NIC MACs, disks and boot mode as the VM states them', async () => {
      const { result } = await ironic.step('inspect');
      const template = vm();
      const cpu = template.domain.cpu!;
      // Processors: one per socket, TotalThreads summed into the count (sushy's summary).
      assert.equal(result.cpu.members, cpu.sockets);
      assert.equal(result.cpu.count, cpu.sockets * cpu.cores * cpu.threads);
      // Created without one, the VM got the cluster default from KubeVirt's webhook.
      assert.equal(template.architecture, 'amd64');
      assert.equal(result.cpu.architecture, 'x86');
      assert.equal(result.cpu.instructionSet, 'x86-64');
      assert.equal(result.cpu.cpu_arch, 'x86_64', 'the cpu_arch Ironic requires');
      assert.equal(result.memory_mb, (parseQuantity(template.domain.memory?.guest) ?? 0) / 2 ** 20);
      assert.deepEqual(
        result.interfaces.map((i: { name: string; mac: string }) => [i.name, i.mac]),
        template.domain.devices.interfaces.map((i) => [i.name, i.macAddress?.toLowerCase()]),
      );
      for (const nic of result.interfaces) {
        // Ironic creates ports only for enabled, healthy interfaces.
        assert.equal(nic.state, 'Enabled');
        assert.equal(nic.health, 'OK');
      }
      const root = claimBytes(
        template.volumes.find((v) => v.name === 'rootdisk')!.persistentVolumeClaim!.claimName,
      );
      const data = claimBytes(`${name}-data`);
      assert.equal(data, 50 * GiB);
      assert.deepEqual(result.largest, {
        simpleStorage: data,
        storageDrives: data,
        storageVolumes: data,
      });
      // The smallest disk of at least 4 GiB, less 1 GiB (the 2 GiB scratch disk is ignored).
      assert.equal(result.local_gb, root / GiB - 1);
      // The Storage drives are the disks of known size; SimpleStorage names the containerDisk
      // too, without a size (sushy leaves it out of disks_sizes_bytes).
      const cloudinit = isoBytes('cloudinit');
      assert.ok(cloudinit > 0, 'the running VMI reports the ISO size');
      assert.deepEqual(sizes(result.disks), { rootdisk: root, data, scratch: 2 * GiB, cloudinit });
      assert.deepEqual(sizes(result.simpleDevices), { ...sizes(result.disks), tools: null });
      assert.equal(result.boot_mode, 'uefi');
    });

    it('reads secure boot off, sets it (SMM too) and sees it in force after the next reset', async () => {
      const before = await ironic.step('secure_boot');
      assert.deepEqual(before.result, {
        enabled: false,
        currentBoot: 'Disabled',
        mode: 'SetupMode',
        resetKeys: ['ResetAllKeysToDefault'],
      });
      const set = await ironic.step('set_secure_boot', { enabled: true });
      const [patch] = patches(set, /\/SecureBoot$/);
      assert.deepEqual(patch?.body, { SecureBootEnable: true });
      assert.ok(patch && patch.status >= 200 && patch.status < 300, `PATCH ${patch?.status}`);
      // It reads back at once (the next boot's setting), so Ironic does not reboot to see it...
      assert.equal(set.result.enabled, true);
      assert.equal(set.result.rebootNeeded, false);
      assert.equal(set.result.currentBoot, 'Disabled', '...and the running firmware has not');
      const template = vm();
      assert.equal(template.domain.firmware?.bootloader?.efi?.secureBoot, true);
      assert.equal(template.domain.features?.smm?.enabled, true, 'KubeVirt needs SMM for it');
      assert.equal(vmiSecureBoot(), false, 'the running VMI keeps its firmware');
      await reboot();
      assert.equal(vmiSecureBoot(), true);
      const after = await ironic.step('secure_boot');
      assert.equal(after.result.currentBoot, 'Enabled');
      assert.equal(after.result.mode, 'UserMode');
    });

    it('reads BIOS attributes and changes one through the settings resource, applied on reset', async () => {
      const bios = await ironic.step('bios');
      const firmware = vm().domain.firmware!;
      const expected = {
        BootMode: 'UEFI',
        SecureBoot: 'Enabled',
        SystemUUID: firmware.uuid,
        ...(firmware.serial === undefined ? {} : { SerialNumber: firmware.serial }),
      };
      assert.deepEqual(bios.result.attributes, expected);
      assert.deepEqual(bios.result.pending, expected);
      assert.deepEqual(bios.result.applyTimes, ['OnReset']);
      const wanted = { SecureBoot: 'Disabled' };
      const applied = await ironic.step('apply_bios', { attributes: wanted });
      const [patch] = patches(applied, /\/Bios\/Settings$/);
      assert.ok(patch && patch.status >= 200 && patch.status < 300, `PATCH ${patch?.status}`);
      assert.deepEqual(patch.body, {
        Attributes: wanted,
        '@Redfish.SettingsApplyTime': {
          '@odata.type': '#Settings.v1_0_0.PreferredApplyTime',
          ApplyTime: 'OnReset',
        },
      });
      assert.equal(applied.result.applyTime, 'OnReset');
      assert.equal(applied.result.pending.SecureBoot, 'Disabled');
      assert.equal(applied.result.attributes.SecureBoot, 'Enabled', 'not before the reset');
      assert.equal(vm().domain.firmware?.bootloader?.efi?.secureBoot, false);
      assert.equal(vmiSecureBoot(), true);
      await reboot();
      const verified = await ironic.step('verify_bios', { attributes: wanted });
      assert.deepEqual(verified.result.unapplied, {}, 'Ironic finds every setting applied');
      assert.equal(verified.result.attributes.SecureBoot, 'Disabled');
      assert.equal(vmiSecureBoot(), false);
      const again = await ironic.step('apply_bios', { attributes: wanted });
      assert.equal(again.result.applied, false, 'a repeated request needs no reboot');
    });

    it('inspects the node powered off: the disks the cluster cannot size then are left out', async () => {
      await ironic.step('power_off');
      await waitFor('the VMI gone', () => vmi() === undefined);
      const { result } = await ironic.step('inspect');
      const root = claimBytes(
        vm().volumes.find((v) => v.name === 'rootdisk')!.persistentVolumeClaim!.claimName,
      );
      const data = claimBytes(`${name}-data`);
      // No cloud-init ISO exists until the VM starts: no size, so no Storage drive.
      assert.deepEqual(sizes(result.disks), { rootdisk: root, data, scratch: 2 * GiB });
      assert.deepEqual(sizes(result.simpleDevices), {
        ...sizes(result.disks),
        tools: null,
        cloudinit: null,
      });
      assert.equal(result.local_gb, root / GiB - 1);
      assert.equal(result.largest.storageVolumes, data);
    });
  });
