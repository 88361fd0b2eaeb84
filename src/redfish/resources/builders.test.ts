// Unit tests of the pure body builders: same input, same body, valid against the DMTF schema.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { VisibleSystem } from '../../auth/types.ts';
import type { VmSnapshot } from '../../backend/port.ts';
import { validateRedfish } from '../../../test/helpers/redfish-schema.ts';
import type { Route } from '../handler.ts';
import { toChassis, toChassisCollection } from './chassis.ts';
import { toManager } from './managers.ts';
import { toServiceRoot } from './service-root.ts';
import { toComputerSystem } from './systems.ts';

const service = {
  uuid: '0b5d3c2e-1111-4222-8333-444455556666',
  product: 'p',
  firmwareVersion: '1.2.3',
};

const system = (name: string, extra: Partial<VmSnapshot> = {}): VisibleSystem => ({
  id: `ns.${name}`,
  ref: { namespace: 'ns', name },
  chassis: 'lab',
  snapshot: {
    ref: { namespace: 'ns', name },
    labels: {},
    uuid: '6f1c3a52-0000-4000-8000-000000000001',
    powerState: 'On',
    health: 'OK',
    platformStatus: 'Running',
    boot: { target: 'Pxe', enabled: 'Continuous', mode: 'Legacy' },
    bootTargets: ['None', 'Pxe'],
    nics: [],
    disks: [],
    indicatorLed: 'Off',
    efiVarsPersistent: false,
    media: { state: 'Empty', inserted: false, writeProtected: true, pendingRestart: false },
    version: '7',
    createdAt: '2026-01-01T00:00:00Z',
    ...extra,
  },
});

const get = (url: string): Route => ({
  method: 'GET',
  url,
  privilege: 'Login',
  handler: () => ({ status: 200 }),
});

void describe('body builders', () => {
  void it('service root links exactly the services the table serves', () => {
    const bare = toServiceRoot(service, [get('/redfish/v1/Systems')]);
    assert.deepEqual(bare.Systems, { '@odata.id': '/redfish/v1/Systems' });
    assert.equal(bare.Managers, undefined);
    assert.equal(bare.Links, undefined);
    const full = toServiceRoot(service, [
      get('/redfish/v1/Systems'),
      get('/redfish/v1/SessionService'),
      get('/redfish/v1/SessionService/Sessions'),
      get('/redfish/v1/TaskService'),
    ]);
    validateRedfish(full);
    assert.deepEqual(full.Links, {
      Sessions: { '@odata.id': '/redfish/v1/SessionService/Sessions' },
    });
    assert.deepEqual(full.Tasks, { '@odata.id': '/redfish/v1/TaskService' });
  });

  void it('computer system reflects the snapshot and the given ResetTypes', () => {
    const paused = toComputerSystem(system('vm', { powerState: 'Paused' }), ['On', 'Resume']);
    validateRedfish(paused);
    assert.deepEqual(paused.Status, { State: 'Quiesced', Health: 'OK', HealthRollup: 'OK' });
    assert.deepEqual(paused.Boot, {
      BootSourceOverrideTarget: 'Pxe',
      'BootSourceOverrideTarget@Redfish.AllowableValues': ['None', 'Pxe'],
      BootSourceOverrideEnabled: 'Continuous',
      'BootSourceOverrideEnabled@Redfish.AllowableValues': ['Disabled', 'Once', 'Continuous'],
      BootSourceOverrideMode: 'Legacy',
      'BootSourceOverrideMode@Redfish.AllowableValues': ['UEFI', 'Legacy'],
    });
    assert.deepEqual(
      (paused.Actions as Record<string, Record<string, unknown>>)['#ComputerSystem.Reset']?.[
        'ResetType@Redfish.AllowableValues'
      ],
      ['On', 'Resume'],
    );
    assert.deepEqual(
      toComputerSystem(system('vm'), ['On']),
      toComputerSystem(system('vm'), ['On']),
    );
  });

  void it('manager reports the service clock and firmware', () => {
    const manager = toManager(system('vm'), service, Date.parse('2026-03-04T05:06:07.890Z'));
    validateRedfish(manager);
    assert.equal(manager.DateTime, '2026-03-04T05:06:07+00:00');
    assert.equal(manager.FirmwareVersion, '1.2.3');
    assert.equal(manager.ManagerType, 'BMC');
  });

  void it('chassis rolls up the worst health of its systems', () => {
    const lab = { name: 'lab', namespace: 'ns' };
    const empty = toChassis(lab, [], service.uuid);
    validateRedfish(empty);
    assert.equal((empty.Status as { HealthRollup: string }).HealthRollup, 'OK');
    const mixed = toChassis(
      lab,
      [system('a', { health: 'Warning' }), system('b', { health: 'Critical' }), system('c')],
      service.uuid,
    );
    validateRedfish(mixed);
    assert.equal((mixed.Status as { HealthRollup: string }).HealthRollup, 'Critical');
    assert.equal(mixed.Description, 'KubeVirt VirtualMachines in namespace ns');
    validateRedfish(toChassisCollection([lab]));
  });

  void it("chassis is On while any system is, and shows its members' identify lamps", () => {
    const lab = { name: 'lab', namespace: 'ns' };
    const off = toChassis(lab, [system('a', { powerState: 'Off' })], service.uuid);
    assert.equal(off.PowerState, 'Off');
    assert.equal(off.IndicatorLED, 'Off');
    const on = toChassis(
      lab,
      [
        system('a', { powerState: 'Off', indicatorLed: 'Lit' }),
        system('b', { indicatorLed: 'Blinking' }),
      ],
      service.uuid,
    );
    validateRedfish(on);
    assert.equal(on.PowerState, 'On');
    assert.equal(on.IndicatorLED, 'Blinking');
    assert.equal(on.UUID, off.UUID, 'the UUID depends only on the service and the chassis name');
  });
});
