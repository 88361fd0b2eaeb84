// The KubeVirt adapter against the simulator over real HTTPS: cache sync, zero-call reads, every
// power action observed in the cluster, one call per reset, boot overrides observed as
// bootOrder/firmware, a one-time boot across a guest reboot, If-Match.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startRig, waitForVm, type Rig } from './helpers.ts';
import type { VirtualMachine, VirtualMachineInstance } from '../../src/kube/types.ts';
import { currentOrder } from '../../src/kube/boot-record.ts';
import { isBackendError } from '../../src/backend/errors.ts';

const actor = { user: 'tester' };
const vmKey = 'virtualmachines.kubevirt.io';
const vmiKey = 'virtualmachineinstances.kubevirt.io';

const storedVm = (rig: Rig, namespace: string, name: string) =>
  rig.sim.store.get(vmKey, namespace, name) as unknown as VirtualMachine;
const storedVmi = (rig: Rig, namespace: string, name: string) =>
  rig.sim.store.get(vmiKey, namespace, name) as unknown as VirtualMachineInstance | undefined;

/** Requests that are not long-lived watches. */
const calls = (rig: Rig) => rig.sim.apiServer.requestCount();

const rejectsWith = async (promise: Promise<unknown>, kind: string) =>
  assert.rejects(promise, (e: unknown) => isBackendError(e) && e.kind === kind);

void describe('kube backend over the simulator', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
    // The virtual-media drive with media in it. (KubeVirt v1.9 also accepts the empty drive the
    // adapter adds for Cd on its own, but the simulator's validation does not model that yet.)
    for (const name of ['monitoring', 'app-server-1', 'app-server-2']) {
      rig.sim.store.mutate(vmKey, 'demo-b', name, (draft) => {
        const spec = (draft as unknown as VirtualMachine).spec.template!.spec!;
        spec.domain!.devices!.disks!.push({ name: 'redfish-cd', cdrom: { bus: 'sata' } });
        spec.volumes!.push({
          name: 'redfish-cd',
          containerDisk: { image: 'registry.example/installer:iso' },
        });
      });
    }
    await waitForVm(rig, { namespace: 'demo-b', name: 'app-server-2' }, (v) =>
      v.disks.some((d) => d.virtualMedia),
    );
  });
  after(async () => {
    await rig.close();
  });

  void it('syncs every namespace and follows changes made in the cluster', async () => {
    assert.equal(rig.backend.isReady(), true);
    const names = rig.backend.listVms('demo-a').map((v) => v.ref.name);
    assert.deepEqual(names, [...names].sort());
    assert.ok(names.includes('web.frontend'));
    assert.ok(rig.backend.listVms('demo-b').length >= 3);
    const ref = { namespace: 'demo-b', name: 'monitoring' };
    const before = rig.backend.getVm(ref)!;
    rig.sim.store.mutate(vmKey, 'demo-b', 'monitoring', (d) => {
      d.metadata.labels = { ...d.metadata.labels, team: 'sre' };
    });
    const changed = await waitForVm(rig, ref, (v) => v.labels.team === 'sre');
    assert.notEqual(changed.version, before.version);
  });

  void it('answers reads from the cache without any API call', () => {
    const count = calls(rig);
    for (let i = 0; i < 200; i++) {
      rig.backend.listVms('demo-a');
      rig.backend.getVm({ namespace: 'demo-b', name: 'app-server-1' });
    }
    assert.equal(calls(rig), count);
  });

  void it('On starts a Manual VM with exactly one call and is idempotent', async () => {
    const ref = { namespace: 'demo-a', name: 'db-primary' };
    assert.equal(rig.backend.getVm(ref)?.powerState, 'Off');
    const count = calls(rig);
    await rig.backend.reset(ref, 'On', actor);
    assert.equal(calls(rig) - count, 1);
    await waitForVm(rig, ref, (v) => v.powerState === 'On', 'On');
    assert.equal(storedVmi(rig, 'demo-a', 'db-primary')?.status?.phase, 'Running');
    const again = calls(rig);
    const reads = rig.sim.apiServer.requestCount({ method: 'GET' });
    await rig.backend.reset(ref, 'On', actor);
    // One read confirms no stop was asked for since the cache saw it (power.ts confirmUp).
    assert.equal(calls(rig) - again, 1, 'On on a running VM makes one call');
    assert.equal(rig.sim.apiServer.requestCount({ method: 'GET' }) - reads, 1, 'a read, no write');
  });

  void it('GracefulRestart soft-reboots (same VMI); ForceRestart makes a new VMI, one call each', async () => {
    const ref = { namespace: 'demo-a', name: 'db-primary' };
    const uid = storedVmi(rig, 'demo-a', 'db-primary')?.metadata.uid;
    let count = calls(rig);
    await rig.backend.reset(ref, 'GracefulRestart', actor);
    assert.equal(calls(rig) - count, 1);
    assert.equal(
      rig.sim.apiServer.requestCount({
        method: 'PUT',
        pathPrefix:
          '/apis/subresources.kubevirt.io/v1/namespaces/demo-a/virtualmachineinstances/db-primary/softreboot',
      }),
      1,
    );
    await waitForVm(rig, ref, (v) => v.powerState === 'On');
    assert.equal(storedVmi(rig, 'demo-a', 'db-primary')?.metadata.uid, uid);
    count = calls(rig);
    await rig.backend.reset(ref, 'ForceRestart', actor);
    assert.equal(calls(rig) - count, 1);
    await waitForVm(
      rig,
      ref,
      (v) => v.powerState === 'On' && storedVmi(rig, 'demo-a', 'db-primary')?.metadata.uid !== uid,
      'a new running VMI',
    );
  });

  void it('Pause and Resume go through the VMI subresources', async () => {
    const ref = { namespace: 'demo-a', name: 'db-primary' };
    await rig.backend.reset(ref, 'Pause', actor);
    await waitForVm(rig, ref, (v) => v.powerState === 'Paused', 'Paused');
    await rig.backend.reset(ref, 'Pause', actor);
    await rig.backend.reset(ref, 'Resume', actor);
    await waitForVm(rig, ref, (v) => v.powerState === 'On', 'On after Resume');
  });

  void it('ForceOff reaches Off and is idempotent; Nmi is unsupported', async () => {
    const ref = { namespace: 'demo-a', name: 'db-primary' };
    await rejectsWith(rig.backend.reset(ref, 'Nmi', actor), 'unsupported');
    const count = calls(rig);
    await rig.backend.reset(ref, 'ForceOff', actor);
    assert.equal(calls(rig) - count, 1);
    await waitForVm(rig, ref, (v) => v.powerState === 'Off', 'Off');
    const again = calls(rig);
    await rig.backend.reset(ref, 'ForceOff', actor);
    await rig.backend.reset(ref, 'GracefulShutdown', actor);
    assert.equal(calls(rig), again);
    await rejectsWith(rig.backend.reset(ref, 'Pause', actor), 'conflict');
  });

  void it('PushPowerButton toggles; a guest shutdown stays off (Manual)', async () => {
    const ref = { namespace: 'demo-a', name: 'db-primary' };
    await rig.backend.reset(ref, 'PushPowerButton', actor);
    await waitForVm(rig, ref, (v) => v.powerState === 'On', 'On');
    rig.sim.controllers.guestShutdown('demo-a', 'db-primary');
    await waitForVm(rig, ref, (v) => v.powerState === 'Off', 'Off after guest shutdown');
    await rig.backend.reset(ref, 'PushPowerButton', actor);
    await waitForVm(rig, ref, (v) => v.powerState === 'On', 'On again');
    await rig.backend.reset(ref, 'PushPowerButton', actor);
    await waitForVm(rig, ref, (v) => v.powerState === 'Off', 'Off by button');
  });

  void it('a VM under Always is moved to Manual on power-on so Off stays off', async () => {
    const ref = { namespace: 'demo-a', name: 'web.frontend' };
    assert.equal(rig.backend.getVm(ref)?.powerState, 'On');
    await rig.backend.reset(ref, 'GracefulShutdown', actor);
    await waitForVm(rig, ref, (v) => v.powerState === 'Off', 'Off');
    await rig.backend.reset(ref, 'On', actor);
    await waitForVm(rig, ref, (v) => v.powerState === 'On', 'On');
    assert.equal(storedVm(rig, 'demo-a', 'web.frontend').spec.runStrategy, 'Manual');
    rig.sim.controllers.guestShutdown('demo-a', 'web.frontend');
    await waitForVm(rig, ref, (v) => v.powerState === 'Off', 'stays Off');
    assert.equal(storedVm(rig, 'demo-a', 'web.frontend').spec.runStrategy, 'Manual');
  });

  void it('a Halted VM starts (Halted → Manual) and an unknown VM is notFound', async () => {
    const ref = { namespace: 'demo-a', name: 'legacy-bios' };
    await rig.backend.reset(ref, 'On', actor);
    await waitForVm(rig, ref, (v) => v.powerState === 'On', 'On');
    assert.equal(storedVm(rig, 'demo-a', 'legacy-bios').spec.runStrategy, 'Manual');
    await rig.backend.reset(ref, 'ForceOff', actor);
    await waitForVm(rig, ref, (v) => v.powerState === 'Off', 'Off');
    await rejectsWith(
      rig.backend.reset({ namespace: 'demo-a', name: 'nope' }, 'On', actor),
      'notFound',
    );
  });

  void it('every boot target × enabled × mode lands as bootOrder/firmware and reads back', async () => {
    const ref = { namespace: 'demo-b', name: 'monitoring' };
    const original = currentOrder(storedVm(rig, 'demo-b', 'monitoring'));
    const first = { Pxe: 'default', Cd: 'redfish-cd', Hdd: 'rootdisk' } as const;
    for (const target of ['Pxe', 'Cd', 'Hdd'] as const) {
      for (const enabled of ['Once', 'Continuous'] as const) {
        for (const mode of ['UEFI', 'Legacy'] as const) {
          await rig.backend.setBoot(ref, { target, enabled, mode }, actor);
          const vm = storedVm(rig, 'demo-b', 'monitoring');
          const order = currentOrder(vm);
          const firstDevice = [
            ...Object.entries(order.disks),
            ...Object.entries(order.interfaces),
          ].find(([, o]) => o === 1)?.[0];
          assert.equal(firstDevice, first[target], `${target}/${enabled}/${mode}`);
          assert.equal(
            vm.spec.template?.spec?.domain?.firmware?.bootloader?.efi !== undefined,
            mode === 'UEFI',
          );
          const read = await waitForVm(
            rig,
            ref,
            (v) => v.boot.target === target && v.boot.enabled === enabled && v.boot.mode === mode,
          );
          assert.ok(read.bootTargets.includes(target));
        }
      }
    }
    await rig.backend.setBoot(ref, { target: 'None', mode: 'Legacy' }, actor);
    assert.deepEqual(currentOrder(storedVm(rig, 'demo-b', 'monitoring')), original);
    await waitForVm(rig, ref, (v) => v.boot.enabled === 'Disabled' && v.boot.target === 'None');
  });

  void it('If-Match: a stale version is preconditionFailed, the current one works', async () => {
    const ref = { namespace: 'demo-b', name: 'monitoring' };
    const current = rig.backend.getVm(ref)!;
    await rejectsWith(
      rig.backend.setBoot(ref, { target: 'Pxe', enabled: 'Continuous' }, actor, {
        expectedVersion: 'stale',
      }),
      'preconditionFailed',
    );
    await rejectsWith(
      rig.backend.reset(ref, 'On', actor, { expectedVersion: 'stale' }),
      'preconditionFailed',
    );
    await rig.backend.setBoot(ref, { target: 'Pxe', enabled: 'Continuous' }, actor, {
      expectedVersion: current.version,
    });
    await waitForVm(rig, ref, (v) => v.boot.target === 'Pxe');
    await rig.backend.setBoot(ref, { enabled: 'Disabled' }, actor);
  });

  void it('a boot write survives a 409 from a concurrent writer (retried on a fresh read)', async () => {
    const ref = { namespace: 'demo-b', name: 'monitoring' };
    rig.sim.faults.failNextWrites(2, 409);
    await rig.backend.setBoot(ref, { target: 'Hdd', enabled: 'Continuous' }, actor);
    await waitForVm(rig, ref, (v) => v.boot.target === 'Hdd');
    await rig.backend.setBoot(ref, { enabled: 'Disabled' }, actor);
  });

  const bootDevice = (vmi: VirtualMachineInstance | undefined) =>
    vmi?.spec?.domain?.devices?.disks?.find((d) => d.bootOrder === 1)?.name ??
    vmi?.spec?.domain?.devices?.interfaces?.find((i) => i.bootOrder === 1)?.name;

  /** Waits for a running VMI other than `uid`, and returns it. */
  const nextVmi = async (
    namespace: string,
    name: string,
    uid: string | undefined,
    extra = () => true,
  ) => {
    await waitForVm(
      rig,
      { namespace, name },
      () => {
        const vmi = storedVmi(rig, namespace, name);
        return (
          vmi !== undefined &&
          vmi.metadata.uid !== uid &&
          vmi.status?.phase === 'Running' &&
          extra()
        );
      },
      `a new running VMI of ${name}`,
    );
    return storedVmi(rig, namespace, name)!;
  };

  for (const start of ['running, reset by the client', 'off, powered on by the client'] as const) {
    void it(`Once (${start}) boots the CD once, then the disk across the installer's own reboot`, async () => {
      const name = start.startsWith('running') ? 'app-server-1' : 'app-server-2';
      const ref = { namespace: 'demo-b', name };
      const original = currentOrder(storedVm(rig, 'demo-b', name));
      let uid: string | undefined;
      if (start.startsWith('running')) {
        await rig.backend.reset(ref, 'On', actor);
        uid = (await nextVmi('demo-b', name, undefined)).metadata.uid;
      }
      await rig.backend.setBoot(ref, { target: 'Cd', enabled: 'Once' }, actor);
      await waitForVm(rig, ref, (v) => v.boot.enabled === 'Once' && v.boot.target === 'Cd');
      // What Ironic does next: a reset (running) or a power-on (off). Either builds a new VMI
      // from the CD-first template.
      await rig.backend.reset(ref, start.startsWith('running') ? 'ForceRestart' : 'On', actor);
      const onceVmi = await nextVmi('demo-b', name, uid);
      assert.equal(bootDevice(onceVmi), 'redfish-cd');
      assert.equal(onceVmi.spec?.domain?.rebootPolicy, 'Terminate');
      // As soon as that VMI exists the override reads Disabled and the template boots the disk.
      await waitForVm(
        rig,
        ref,
        (v) => v.boot.enabled === 'Disabled' && v.boot.target === 'None',
        'Disabled',
      );
      assert.deepEqual(currentOrder(storedVm(rig, 'demo-b', name)).disks, original.disks);
      // The installer reboots itself: that VMI ends (Terminate) and the next one boots the disk.
      rig.sim.controllers.guestReboot('demo-b', name);
      const diskVmi = await nextVmi(
        'demo-b',
        name,
        onceVmi.metadata.uid,
        () => storedVm(rig, 'demo-b', name).spec.runStrategy === 'Manual',
      );
      assert.notEqual(bootDevice(diskVmi), 'redfish-cd');
      assert.equal(diskVmi.spec?.domain?.rebootPolicy, undefined);
      assert.equal(
        storedVm(rig, 'demo-b', name).metadata.annotations?.['kubevirt-redfish.io/boot'],
        undefined,
      );
      // Under Manual again: the guest's own shutdown stays off.
      rig.sim.controllers.guestShutdown('demo-b', name);
      await waitForVm(rig, ref, (v) => v.powerState === 'Off', 'Off after guest shutdown');
    });
  }

  void it('setNamespaces drops and adds namespace caches (config reload)', async () => {
    rig.backend.setNamespaces(['demo-a']);
    assert.deepEqual(rig.backend.listVms('demo-b'), []);
    assert.equal(rig.backend.isReady(), true);
    rig.backend.setNamespaces(['demo-a', 'demo-b']);
    await rig.backend.waitForSync(AbortSignal.timeout(10_000));
    assert.ok(rig.backend.listVms('demo-b').some((v) => v.ref.name === 'monitoring'));
  });
});
