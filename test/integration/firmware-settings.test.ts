// Firmware settings over real HTTP against the simulator (issue 13 items 4 and 5): SecureBoot and
// Bios/Settings change the VM and show on the running firmware only after the next reset, as on a
// server; IndicatorLED is kept on the VM. Every body is schema-validated, every refusal checked.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { odataTypes } from '../../src/redfish/odata.ts';
import { errorIds } from '../conformance/redfish-errors.ts';
import { precompileSchemas } from '../helpers/redfish-schema.ts';
import { startService, type TestService } from '../helpers/service.ts';
import {
  reset,
  storedVm,
  storedVmi,
  systemUrl,
  templateOf,
  waitForCluster,
} from './systems-http.ts';

const efiOf = (spec: ReturnType<typeof templateOf>) => spec?.domain?.firmware?.bootloader?.efi;

void describe('SecureBoot, Bios and IndicatorLED', () => {
  let service: TestService;
  before(async () => {
    precompileSchemas(Object.values(odataTypes));
    service = await startService();
  });
  after(() => service.close());

  const patch = (path: string, body: unknown, user: 'admin' | 'viewer-b' = 'admin') =>
    service.request(path, { method: 'PATCH', user, body });

  /** Waits for the next VMI (a new uid) to run after a reset. */
  const restarted = async (namespace: string, name: string, before: string | undefined) =>
    waitForCluster(
      service,
      () => {
        const vmi = storedVmi(service, namespace, name);
        return vmi?.metadata.uid !== before && vmi?.status?.phase === 'Running';
      },
      `${name} runs a new VMI`,
    );

  void it('reports secure boot as configured and as booted', async () => {
    const sb = await service.getValid(`${systemUrl('demo-a.db-primary')}/SecureBoot`);
    assert.equal(sb.SecureBootEnable, true);
    assert.equal(sb.SecureBootMode, 'UserMode');
    assert.equal(sb.SecureBootCurrentBoot, undefined, 'the VM is off');
    assert.deepEqual(sb.Actions['#SecureBoot.ResetKeys']['ResetKeysType@Redfish.AllowableValues'], [
      'ResetAllKeysToDefault',
    ]);
    const system = await service.getValid(systemUrl('demo-a.db-primary'));
    assert.equal(system.BiosVersion, 'OVMF (Secure Boot)');
    const legacy = await service.getValid(systemUrl('demo-a.legacy-bios'));
    assert.equal(legacy.BiosVersion, 'SeaBIOS');
  });

  void it('turns secure boot on with SMM, effective at the next start', async () => {
    const [namespace, name, id] = ['demo-b', 'app-server-1', 'demo-b.app-server-1'];
    assert.equal(efiOf(templateOf(storedVm(service, namespace, name)))?.secureBoot, false);
    const reply = await patch(`${systemUrl(id)}/SecureBoot`, { SecureBootEnable: true });
    assert.equal(reply.status, 204, reply.text);
    const template = templateOf(storedVm(service, namespace, name)) as any;
    assert.equal(efiOf(template)?.secureBoot, true);
    assert.equal(template.domain.features.smm.enabled, true, 'KubeVirt requires SMM');
    const sb = await service.getValid(`${systemUrl(id)}/SecureBoot`);
    assert.equal(sb.SecureBootEnable, true);
    await reset(service, id, 'On');
    await restarted(namespace, name, undefined);
    assert.equal(efiOf(storedVmi(service, namespace, name)?.spec)?.secureBoot, true);
    await service.waitFor(
      async () =>
        (await service.getValid(`${systemUrl(id)}/SecureBoot`)).SecureBootCurrentBoot === 'Enabled',
    );
    // Off again while running: the running firmware keeps it until the next reset.
    assert.equal(
      (await patch(`${systemUrl(id)}/SecureBoot`, { SecureBootEnable: false })).status,
      204,
    );
    const pending = await service.getValid(`${systemUrl(id)}/SecureBoot`);
    assert.equal(pending.SecureBootEnable, false);
    assert.equal(pending.SecureBootCurrentBoot, 'Enabled');
    const uid = storedVmi(service, namespace, name)?.metadata.uid;
    await reset(service, id, 'ForceRestart');
    await restarted(namespace, name, uid);
    await service.waitFor(
      async () =>
        (await service.getValid(`${systemUrl(id)}/SecureBoot`)).SecureBootCurrentBoot ===
        'Disabled',
    );
  });

  void it('applies Bios settings at the next reset, and shows both sides meanwhile', async () => {
    const [namespace, name, id] = ['demo-a', 'web.frontend', 'demo-a.web.frontend'];
    await waitForCluster(
      service,
      () => storedVmi(service, namespace, name)?.status?.phase === 'Running',
      'web.frontend runs',
    );
    const bios = await service.getValid(`${systemUrl(id)}/Bios`);
    assert.equal(
      bios['@Redfish.Settings'].SettingsObject['@odata.id'],
      `${systemUrl(id)}/Bios/Settings`,
    );
    assert.deepEqual(bios['@Redfish.Settings'].SupportedApplyTimes, ['OnReset']);
    const vm = storedVm(service, namespace, name);
    assert.equal(bios.Attributes.SystemUUID, templateOf(vm)?.domain?.firmware?.uuid);
    assert.equal(bios.Attributes.SerialNumber, templateOf(vm)?.domain?.firmware?.serial);
    assert.equal(bios.Attributes.BootMode, 'UEFI');
    assert.equal(bios.Attributes.SecureBoot, 'Disabled');

    const reply = await patch(`${systemUrl(id)}/Bios/Settings`, {
      Attributes: { SecureBoot: 'Enabled' },
    });
    assert.equal(reply.status, 204, reply.text);
    assert.equal(efiOf(templateOf(storedVm(service, namespace, name)))?.secureBoot, true);
    const settings = await service.getValid(`${systemUrl(id)}/Bios/Settings`);
    assert.equal(settings.Attributes.SecureBoot, 'Enabled');
    assert.equal(
      (await service.getValid(`${systemUrl(id)}/Bios`)).Attributes.SecureBoot,
      'Disabled',
      'the running firmware has not changed yet',
    );
    const uid = storedVmi(service, namespace, name)?.metadata.uid;
    await reset(service, id, 'ForceRestart');
    await restarted(namespace, name, uid);
    assert.equal(efiOf(storedVmi(service, namespace, name)?.spec)?.secureBoot, true);
    await service.waitFor(
      async () =>
        (await service.getValid(`${systemUrl(id)}/Bios`)).Attributes.SecureBoot === 'Enabled',
    );
  });

  void it('switches the boot mode through Bios settings', async () => {
    const [namespace, name, id] = ['demo-b', 'monitoring', 'demo-b.monitoring'];
    // With the apply time Ironic states (the one SupportedApplyTimes offers).
    const reply = await patch(`${systemUrl(id)}/Bios/Settings`, {
      Attributes: { BootMode: 'Legacy' },
      '@Redfish.SettingsApplyTime': {
        '@odata.type': '#Settings.v1_0_0.PreferredApplyTime',
        ApplyTime: 'OnReset',
      },
    });
    assert.equal(reply.status, 204, reply.text);
    const firmware = templateOf(storedVm(service, namespace, name))?.domain?.firmware?.bootloader;
    assert.equal(firmware?.efi, undefined);
    assert.ok(firmware?.bios !== undefined);
    const settings = await service.getValid(`${systemUrl(id)}/Bios/Settings`);
    assert.equal(settings.Attributes.BootMode, 'Legacy');
    assert.equal(settings.Attributes.SecureBoot, 'Disabled');
  });

  void it('refuses what the firmware cannot do, with the Base message', async () => {
    const legacy = systemUrl('demo-a.legacy-bios');
    assert.deepEqual(
      errorIds(await patch(`${legacy}/SecureBoot`, { SecureBootEnable: true }), 400),
      ['PropertyValueConflict'],
    );
    assert.deepEqual(
      errorIds(
        await patch(`${legacy}/Bios/Settings`, { Attributes: { SecureBoot: 'Enabled' } }),
        400,
      ),
      ['PropertyValueConflict'],
    );
    const secure = systemUrl('demo-a.db-primary');
    assert.deepEqual(
      errorIds(await patch(`${secure}/Bios/Settings`, { Attributes: { SerialNumber: 'x' } }), 400),
      ['PropertyNotWritable'],
    );
    assert.deepEqual(
      errorIds(await patch(`${secure}/Bios/Settings`, { Attributes: { BootMode: 'Bios' } }), 400),
      ['PropertyValueNotInList'],
    );
    // Settings apply on reset only: another preferred apply time is refused, not ignored.
    assert.deepEqual(
      errorIds(
        await patch(`${secure}/Bios/Settings`, {
          Attributes: { BootMode: 'UEFI' },
          '@Redfish.SettingsApplyTime': { ApplyTime: 'Immediate' },
        }),
        400,
      ),
      ['PropertyValueNotInList'],
    );
    assert.deepEqual(
      errorIds(await patch(`${secure}/SecureBoot`, { SecureBootMode: 'SetupMode' }), 400),
      ['PropertyNotWritable'],
    );
    const resetKeys = (url: string, type: string, headers: Record<string, string> = {}) =>
      service.request(`${url}/SecureBoot/Actions/SecureBoot.ResetKeys`, {
        method: 'POST',
        user: 'admin',
        body: { ResetKeysType: type },
        headers,
      });
    assert.equal((await resetKeys(secure, 'ResetAllKeysToDefault')).status, 204);
    const stale = { 'if-match': '"0123456789abcdef0123456789abcdef"' };
    assert.deepEqual(errorIds(await resetKeys(secure, 'ResetAllKeysToDefault', stale), 412), [
      'PreconditionFailed',
    ]);
    assert.deepEqual(errorIds(await resetKeys(secure, 'DeleteAllKeys'), 400), [
      'ActionParameterValueNotInList',
    ]);
    assert.deepEqual(errorIds(await resetKeys(legacy, 'ResetAllKeysToDefault'), 400), [
      'ActionNotSupported',
    ]);
    assert.deepEqual(
      errorIds(
        await patch(
          systemUrl('demo-b.monitoring') + '/SecureBoot',
          { SecureBootEnable: true },
          'viewer-b',
        ),
        403,
      ),
      ['InsufficientPrivilege'],
    );
  });

  void it('keeps IndicatorLED on the VM and shows it on the chassis', async () => {
    const id = 'demo-a.db-primary';
    const reply = await patch(systemUrl(id), { IndicatorLED: 'Blinking' });
    assert.equal(reply.status, 204, reply.text);
    assert.equal(
      storedVm(service, 'demo-a', 'db-primary').metadata.annotations?.[
        'kubevirt-redfish.io/indicator-led'
      ],
      'Blinking',
    );
    assert.equal((await service.getValid(systemUrl(id))).IndicatorLED, 'Blinking');
    assert.equal((await service.getValid('/redfish/v1/Chassis/demo-a')).IndicatorLED, 'Blinking');
    assert.equal((await patch(systemUrl(id), { IndicatorLED: 'Off' })).status, 204);
    assert.equal(
      storedVm(service, 'demo-a', 'db-primary').metadata.annotations?.[
        'kubevirt-redfish.io/indicator-led'
      ],
      undefined,
      'Off is no annotation',
    );
    assert.deepEqual(errorIds(await patch(systemUrl(id), { IndicatorLED: 'On' }), 400), [
      'PropertyValueNotInList',
    ]);
  });
});
