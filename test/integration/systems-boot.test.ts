// Acceptance of the boot override over real HTTP against the simulator (issue 3 item 5): every
// Target × Enabled × Mode PATCHed and observed as bootOrder and firmware on the VM and read back
// through GET; a one-time boot across the installer's own reboot; Mode applied on the next boot;
// strong ETags and If-Match.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import { startService, type TestService } from '../helpers/service.ts';
import { errorIds } from '../conformance/redfish-errors.ts';
import {
  bootOrderOf,
  firstDevice,
  patchBoot,
  reset,
  resetUrl,
  simulatorOf,
  storedVm,
  storedVmi,
  systemUrl,
  templateOf,
  waitForCluster,
  waitForSystem,
  writes,
  type BootOrder,
} from './systems-http.ts';

const targets = ['None', 'Pxe', 'Cd', 'Hdd'] as const;
const enabledValues = ['Disabled', 'Once', 'Continuous'] as const;
const modes = ['UEFI', 'Legacy'] as const;
/** The device each target must put first on the demo VMs: the NIC, the virtual-media CD-ROM the
 *  service adds, the root disk (a PVC or a DataVolume, found by volume type). */
const firstFor = { Pxe: 'default', Cd: 'redfish-cd', Hdd: 'rootdisk' } as const;
const bootAnnotation = 'kubevirt-redfish.io/boot';

void describe('boot override over HTTP, observed in the cluster', () => {
  let service: TestService;
  before(async () => {
    service = await startService();
  });
  after(() => service.close());

  const firmwareOf = (namespace: string, name: string) =>
    templateOf(storedVm(service, namespace, name))?.domain?.firmware?.bootloader as
      { efi?: unknown; bios?: unknown } | undefined;

  void it('applies every Target × Enabled × Mode to bootOrder and firmware, and reads it back', async () => {
    // monitoring: off, its root disk a plain PVC, its own order rootdisk then the empty CD-ROM.
    const [namespace, name, id] = ['demo-b', 'monitoring', 'demo-b.monitoring'];
    const vm = () => storedVm(service, namespace, name);
    const original: BootOrder = bootOrderOf(templateOf(vm()));
    assert.equal(original.disks.rootdisk, 1);
    assert.equal(
      (await service.getValid(systemUrl(id)))['Boot'][
        'BootSourceOverrideTarget@Redfish.AllowableValues'
      ].join(),
      targets.join(),
    );
    let combinations = 0;
    for (const target of targets)
      for (const enabled of enabledValues)
        for (const mode of modes) {
          const what = `${target}/${enabled}/${mode}`;
          await patchBoot(service, id, {
            BootSourceOverrideTarget: target,
            BootSourceOverrideEnabled: enabled,
            BootSourceOverrideMode: mode,
          });
          const template = templateOf(vm());
          const firmware = firmwareOf(namespace, name);
          assert.equal(firmware?.efi !== undefined, mode === 'UEFI', `${what}: efi`);
          assert.equal(firmware?.bios !== undefined, mode === 'Legacy', `${what}: bios`);
          const active = target !== 'None' && enabled !== 'Disabled';
          if (active) {
            assert.equal(firstDevice(template), firstFor[target], `${what}: first device`);
            // Whatever boots first, the PVC root disk stays bootable behind it.
            assert.ok(bootOrderOf(template).disks.rootdisk !== undefined, `${what}: rootdisk`);
            assert.equal(
              template?.domain?.rebootPolicy,
              enabled === 'Once' ? 'Terminate' : undefined,
              `${what}: rebootPolicy`,
            );
          } else {
            assert.deepEqual(bootOrderOf(template), original, `${what}: the VM's own order`);
            assert.equal(template?.domain?.rebootPolicy, undefined, `${what}: rebootPolicy`);
          }
          // A boot change powers nothing (a cancelled Once may leave Manual, also off).
          assert.ok(['Halted', 'Manual'].includes(vm().spec.runStrategy ?? ''), what);
          assert.equal(storedVmi(service, namespace, name), undefined, `${what}: no VMI`);
          const system = await waitForSystem(
            service,
            id,
            (s) =>
              s.Boot.BootSourceOverrideTarget === (active ? target : 'None') &&
              s.Boot.BootSourceOverrideEnabled === (active ? enabled : 'Disabled') &&
              s.Boot.BootSourceOverrideMode === mode,
            `${what} read back`,
          );
          assert.equal(system.PowerState, 'Off');
          combinations++;
        }
    assert.equal(combinations, 24);
    await patchBoot(service, id, { BootSourceOverrideEnabled: 'Disabled' });
    assert.equal(vm().metadata.annotations?.[bootAnnotation], undefined);
    assert.deepEqual(bootOrderOf(templateOf(vm())), original);
    await waitForSystem(service, id, (s) => s.Boot.BootSourceOverrideTarget === 'None', 'None');
  });

  for (const start of ['off, powered on', 'running, reset'] as const) {
    void it(`Once (${start}) boots the CD once, then the disk across the guest's own reboot`, async () => {
      // legacy-bios: a plain-PVC root disk; app-server-2: a DataVolume root disk.
      const [namespace, name] = start.startsWith('off')
        ? ['demo-b', 'app-server-2']
        : ['demo-a', 'legacy-bios'];
      const id = `${namespace}.${name}`;
      const vm = () => storedVm(service, namespace, name);
      const vmi = () => storedVmi(service, namespace, name);
      const runningVmi = async (notUid: string | undefined) => {
        await waitForCluster(
          service,
          () =>
            vmi()?.status?.phase === 'Running' &&
            vmi()?.metadata.uid !== notUid &&
            !vmi()?.metadata.deletionTimestamp,
          `a running VMI of ${name} other than ${notUid}`,
        );
        return vmi()!;
      };
      const original = bootOrderOf(templateOf(vm()));
      let uid: string | undefined;
      if (start.startsWith('running')) {
        await reset(service, id, 'On');
        uid = (await runningVmi(undefined)).metadata.uid;
      }
      await patchBoot(service, id, {
        BootSourceOverrideTarget: 'Cd',
        BootSourceOverrideEnabled: 'Once',
      });
      await waitForSystem(
        service,
        id,
        (s) =>
          s.Boot.BootSourceOverrideTarget === 'Cd' && s.Boot.BootSourceOverrideEnabled === 'Once',
        'Cd/Once read back',
      );
      // What Ironic does next: power on, or reset a running machine.
      await reset(service, id, start.startsWith('off') ? 'On' : 'ForceRestart');
      const once = await runningVmi(uid);
      assert.equal(firstDevice(once.spec), 'redfish-cd', 'the one-time VMI boots the CD');
      assert.ok(bootOrderOf(once.spec).disks.rootdisk !== undefined, 'the disk stays bootable');
      assert.equal(once.spec?.domain?.rebootPolicy, 'Terminate');
      // The override is spent as soon as that VMI runs; the template boots the disk again.
      const spent = await waitForSystem(
        service,
        id,
        (s) =>
          s.Boot.BootSourceOverrideEnabled === 'Disabled' &&
          s.Boot.BootSourceOverrideTarget === 'None',
        'Disabled after the one-time boot',
      );
      assert.equal(spent.PowerState, 'On');
      assert.deepEqual(bootOrderOf(templateOf(vm())).disks, original.disks);

      // The installer reboots itself: that VMI ends and the next one boots the disk.
      simulatorOf(service).controllers.guestReboot(namespace, name);
      const disk = await runningVmi(once.metadata.uid);
      assert.equal(firstDevice(disk.spec), 'rootdisk');
      assert.equal(disk.spec?.domain?.rebootPolicy, undefined);
      await waitForCluster(
        service,
        () =>
          vm().spec.runStrategy === 'Manual' &&
          vm().metadata.annotations?.[bootAnnotation] === undefined,
        'back to Manual with no override recorded',
      );
      const after = await waitForSystem(service, id, (s) => s.PowerState === 'On', 'On');
      assert.equal(after.Boot.BootSourceOverrideEnabled, 'Disabled');
      // A later guest reboot is an ordinary reboot of the same VMI.
      simulatorOf(service).controllers.guestReboot(namespace, name);
      assert.equal(vmi()?.metadata.uid, disk.metadata.uid);
      assert.equal(vmi()?.status?.phase, 'Running');
      await reset(service, id, 'ForceOff');
      await waitForSystem(service, id, (s) => s.PowerState === 'Off', 'Off');
    });
  }

  void it('Mode reads back at once and applies on the next boot', async () => {
    const [namespace, name, id] = ['demo-a', 'legacy-bios', 'demo-a.legacy-bios'];
    const vmi = () => storedVmi(service, namespace, name);
    await reset(service, id, 'On');
    await waitForCluster(service, () => vmi()?.status?.phase === 'Running', 'running');
    const uid = vmi()?.metadata.uid;
    const bootloader = () =>
      vmi()?.spec?.domain?.firmware?.bootloader as { efi?: unknown; bios?: unknown } | undefined;
    assert.ok(bootloader()?.bios !== undefined);
    await patchBoot(service, id, { BootSourceOverrideMode: 'UEFI' });
    await waitForSystem(service, id, (s) => s.Boot.BootSourceOverrideMode === 'UEFI', 'UEFI');
    assert.equal(vmi()?.metadata.uid, uid, 'the running VMI is left alone');
    assert.ok(bootloader()?.bios !== undefined, 'and keeps booting BIOS until it restarts');
    // A boot change is pending, so even a graceful restart builds a new (EFI) VMI.
    await reset(service, id, 'GracefulRestart');
    await waitForCluster(
      service,
      () => vmi()?.metadata.uid !== uid && vmi()?.status?.phase === 'Running',
      'a new VMI',
    );
    assert.ok(bootloader()?.efi !== undefined);
    assert.equal(bootloader()?.bios, undefined);
    await patchBoot(service, id, { BootSourceOverrideMode: 'Legacy' });
    await reset(service, id, 'ForceOff');
    await waitForSystem(service, id, (s) => s.PowerState === 'Off', 'Off');
  });

  void it('serves a strong ETag and honours If-Match on PATCH and Reset', async () => {
    const [namespace, name, id] = ['demo-b', 'monitoring', 'demo-b.monitoring'];
    const read = async () => {
      const reply = await service.request(systemUrl(id), { user: 'admin' });
      assert.equal(reply.status, 200);
      validateRedfish(reply.body);
      return reply;
    };
    const etag = (await read()).headers.get('etag') ?? '';
    assert.match(etag, /^"[^"]+"$/, 'strong (no W/ prefix)');
    assert.equal((await read()).headers.get('etag'), etag, 'stable while nothing changes');

    const version = storedVm(service, namespace, name).metadata.resourceVersion;
    const calls = writes(service);
    const stale = await service.request(systemUrl(id), {
      method: 'PATCH',
      user: 'admin',
      body: { Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Continuous' } },
      headers: { 'if-match': '"not-the-current-tag"' },
    });
    assert.deepEqual(errorIds(stale, 412), ['PreconditionFailed']);
    const staleReset = await postResetIfMatch(service, id, '"not-the-current-tag"');
    assert.deepEqual(errorIds(staleReset, 412), ['PreconditionFailed']);
    assert.equal(writes(service), calls, 'no API write');
    assert.equal(storedVm(service, namespace, name).metadata.resourceVersion, version);
    assert.equal((await read()).headers.get('etag'), etag);

    await patchBoot(
      service,
      id,
      { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Continuous' },
      { 'if-match': etag },
    );
    assert.equal(firstDevice(templateOf(storedVm(service, namespace, name))), 'default');
    await waitForSystem(service, id, (s) => s.Boot.BootSourceOverrideTarget === 'Pxe', 'Pxe');
    const newTag = (await read()).headers.get('etag');
    assert.notEqual(newTag, etag);
    // The old tag no longer matches.
    assert.deepEqual(errorIds(await postResetIfMatch(service, id, etag), 412), [
      'PreconditionFailed',
    ]);
    assert.equal(storedVmi(service, namespace, name), undefined, 'not powered on');
    await patchBoot(
      service,
      id,
      { BootSourceOverrideEnabled: 'Disabled' },
      { 'if-match': newTag ?? '' },
    );
    await waitForSystem(
      service,
      id,
      (s) => s.Boot.BootSourceOverrideEnabled === 'Disabled',
      'Disabled read back',
    );
  });
});

const postResetIfMatch = (service: TestService, id: string, etag: string) =>
  service.request(resetUrl(id), {
    method: 'POST',
    user: 'admin',
    body: { ResetType: 'On' },
    headers: { 'if-match': etag },
  });
