// ForceOff is really forced: with realistic guest delays on a manual clock, ForceOff reaches Off
// without any simulated time passing, while GracefulShutdown waits for the guest's ACPI shutdown.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/util/clock.ts';
import { startRig, waitForVm, type Rig } from './helpers.ts';

const actor = { user: 'tester' };

void describe('power actions with realistic delays', () => {
  let rig: Rig;
  const clock = new ManualClock();
  const settle = async (ms: number) => {
    for (let t = 0; t < ms; t += 500) await clock.advance(500);
  };
  /** Runs the simulator's timers that are due now (zero simulated time) while `wait` runs. */
  const atZeroTime = async (wait: () => Promise<unknown>) => {
    const pump = setInterval(() => void clock.advance(0), 1);
    try {
      await wait();
    } finally {
      clearInterval(pump);
    }
  };
  before(async () => {
    rig = await startRig({ clock, delays: 'realistic' });
  });
  after(async () => {
    await rig.close();
  });

  void it('ForceOff needs no guest time; GracefulShutdown does', async () => {
    const forced = { namespace: 'demo-b', name: 'app-server-1' };
    const graceful = { namespace: 'demo-a', name: 'db-primary' };
    await rig.backend.reset(forced, 'On', actor);
    await rig.backend.reset(graceful, 'On', actor);
    await waitForVm(rig, forced, (v) => v.powerState === 'PoweringOn', 'PoweringOn');
    await settle(10_000);
    await waitForVm(rig, forced, (v) => v.powerState === 'On', 'On');
    await waitForVm(rig, graceful, (v) => v.powerState === 'On', 'On');

    await rig.backend.reset(graceful, 'GracefulShutdown', actor);
    await waitForVm(rig, graceful, (v) => v.powerState === 'PoweringOff', 'PoweringOff');
    await rig.backend.reset(forced, 'ForceOff', actor);
    await atZeroTime(() =>
      waitForVm(rig, forced, (v) => v.powerState === 'Off', 'Off without time passing'),
    );
    assert.equal(
      rig.backend.getVm(graceful)?.powerState,
      'PoweringOff',
      'the graceful one still waits',
    );
    // ForceOff also cuts a graceful shutdown short.
    await rig.backend.reset(graceful, 'ForceOff', actor);
    await atZeroTime(() =>
      waitForVm(rig, graceful, (v) => v.powerState === 'Off', 'Off after ForceOff'),
    );
  });
});
