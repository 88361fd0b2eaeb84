// Acceptance of the Reset action over real HTTP against the simulator (issue 3 item 4): every
// advertised ResetType observed as VM/VMI state in the cluster and as PowerState through the API,
// one API write per reset in the steady state, and no API call at all for a GET.
// The guest ignores ACPI for an hour and the demo VMIs have a 180 s grace period, so anything that
// reaches Off within seconds was really forced; graceful stops are watched on a VM whose grace
// period the test shortens to 2 s (timestamps have whole seconds, so that leaves PoweringOff
// visible for at least one).
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { VirtualMachine } from '../../src/kube/types.ts';
import { instantDelays } from '../../src/sim/controllers/delays.ts';
import { startService, type TestService, type TestUser } from '../helpers/service.ts';
import {
  firstDevice,
  patchBoot,
  reset,
  simulatorOf,
  storedVm,
  storedVmi,
  systemUrl,
  vmKey,
  waitForCluster,
  waitForSystem,
  writes,
  requestsFor,
} from './systems-http.ts';

const ns = 'demo-a';

/** The ResetTypes this suite exercises; the service must advertise exactly these. */
const exercised = [
  'On',
  'ForceOff',
  'GracefulShutdown',
  'ForceRestart',
  'GracefulRestart',
  'PushPowerButton',
  'Pause',
  'Resume',
];

void describe('Reset over HTTP, observed in the cluster', () => {
  let service: TestService;

  /** Steps on one VM of demo-a. */
  const subject = (name: string) => {
    const id = `${ns}.${name}`;
    const vmi = () => storedVmi(service, ns, name);
    return {
      id,
      vm: () => storedVm(service, ns, name),
      vmi,
      /** Performs the reset and asserts it made exactly `calls` API writes. */
      reset: async (resetType: string, calls: number): Promise<void> => {
        const before = writes(service);
        await reset(service, id, resetType);
        assert.equal(writes(service) - before, calls, `API writes for ${resetType}`);
      },
      power: (state: string) =>
        waitForSystem(service, id, (s) => s.PowerState === state, `PowerState ${state}`),
      /** Waits for a running, non-terminating VMI other than `notUid`; returns it. */
      runningVmi: async (notUid?: string) => {
        await waitForCluster(
          service,
          () =>
            vmi()?.status?.phase === 'Running' &&
            vmi()?.metadata.uid !== notUid &&
            !vmi()?.metadata.deletionTimestamp,
          `a running VMI of ${name} other than ${notUid}`,
        );
        return vmi()!;
      },
      gone: (what: string, timeoutMs?: number) =>
        waitForCluster(service, () => vmi() === undefined, what, timeoutMs),
      paused: () =>
        vmi()?.status?.conditions?.some((c) => c.type === 'Paused' && c.status === 'True') === true,
    };
  };

  before(async () => {
    service = await startService({
      simulator: { delays: { ...instantDelays, guestShutdown: 3_600_000 } },
    });
    await service.waitFor(async () => (await service.request('/readyz')).status === 200);
  });
  after(() => service.close());

  void it('advertises exactly the ResetTypes exercised here, on every system', async () => {
    const members = (await service.getValid('/redfish/v1/Systems')).Members as {
      '@odata.id': string;
    }[];
    assert.ok(members.length >= 7);
    for (const member of members) {
      const system = await service.getValid(member['@odata.id']);
      const action = system.Actions['#ComputerSystem.Reset'];
      assert.equal(action.target, `${member['@odata.id']}/Actions/ComputerSystem.Reset`);
      assert.deepEqual(
        [...action['ResetType@Redfish.AllowableValues']].sort(),
        [...exercised].sort(),
      );
    }
  });

  void describe('a running VM under runStrategy Always (the guest ignores ACPI)', () => {
    const web = subject('web.frontend');

    void it('On succeeds without touching it', async () => {
      const running = await web.runningVmi();
      assert.equal((await service.getValid(systemUrl(web.id))).PowerState, 'On');
      await web.reset('On', 0);
      assert.equal(web.vmi()?.metadata.uid, running.metadata.uid);
      assert.equal(web.vmi()?.metadata.deletionTimestamp, undefined);
    });

    void it('ForceOff ends the VMI at once despite its 180 s grace period', async () => {
      const spec = web.vmi()?.spec as { terminationGracePeriodSeconds?: number };
      assert.equal(spec.terminationGracePeriodSeconds, 180);
      await web.reset('ForceOff', 1);
      await web.gone('VMI deleted', 5_000);
      const system = await web.power('Off');
      assert.equal(system.Status.State, 'Disabled');
      assert.notEqual(web.vm().spec.runStrategy, 'Always', 'the VM stays off');
      await web.reset('ForceOff', 0);
    });

    void it('On starts it under runStrategy Manual: VMI Running, PowerState On', async () => {
      await reset(service, web.id, 'On');
      await web.runningVmi();
      const system = await web.power('On');
      assert.equal(system.Status.State, 'Enabled');
      assert.equal(web.vm().spec.runStrategy, 'Manual');
      await web.reset('On', 0);
    });

    void it('ForceRestart replaces the VMI (one write)', async () => {
      const uid = web.vmi()?.metadata.uid;
      await web.reset('ForceRestart', 1);
      await web.runningVmi(uid);
      await web.power('On');
    });

    void it('GracefulRestart soft-reboots the same VMI when no boot change is pending', async () => {
      const uid = web.vmi()?.metadata.uid;
      const api = simulatorOf(service).apiServer;
      const softreboots = () =>
        api.requestCount({
          method: 'PUT',
          pathPrefix: `/apis/subresources.kubevirt.io/v1/namespaces/${ns}/virtualmachineinstances/web.frontend/softreboot`,
        });
      const before = softreboots();
      await web.reset('GracefulRestart', 1);
      assert.equal(softreboots() - before, 1);
      await web.power('On');
      assert.equal(web.vmi()?.metadata.uid, uid);
      assert.equal(web.vmi()?.status?.phase, 'Running');
    });

    void it('Pause and Resume pause and unpause the VMI (one write each, idempotent)', async () => {
      const uid = web.vmi()?.metadata.uid;
      await web.reset('Pause', 1);
      await waitForCluster(service, web.paused, 'VMI Paused condition');
      const paused = await web.power('Paused');
      assert.equal(paused.Status.State, 'Quiesced');
      await web.reset('Pause', 0);
      await web.reset('Resume', 1);
      await waitForCluster(service, () => !web.paused(), 'VMI unpaused');
      await web.power('On');
      await web.reset('Resume', 0);
      assert.equal(web.vmi()?.metadata.uid, uid, 'the same VMI throughout');
    });

    void it('GracefulShutdown leaves the VMI its grace period; ForceOff cuts that short', async () => {
      await web.reset('GracefulShutdown', 1);
      await web.power('PoweringOff');
      assert.ok(web.vmi()?.metadata.deletionTimestamp, 'the VMI is terminating');
      assert.equal(web.vmi()?.status?.phase, 'Running', 'the guest still runs');
      await web.reset('GracefulShutdown', 0);
      await web.reset('ForceOff', 1);
      await web.gone('VMI gone after ForceOff', 5_000);
      await web.power('Off');
    });

    void it('a guest shutdown after On stays off (the VM left runStrategy Always)', async () => {
      await reset(service, web.id, 'On');
      const uid = (await web.runningVmi()).metadata.uid;
      await web.power('On');
      simulatorOf(service).controllers.guestShutdown(ns, 'web.frontend');
      await web.power('Off');
      assert.equal(web.vm().spec.runStrategy, 'Manual');
      // Under Manual KubeVirt keeps the finished VMI and builds no new one.
      assert.equal(web.vmi()?.metadata.uid, uid, 'nothing restarted it');
      assert.equal(web.vmi()?.status?.phase, 'Succeeded');
    });
  });

  void describe('a Manual VM whose guest is given 2 s to shut down', () => {
    const db = subject('db-primary');

    before(() => {
      // A user's edit while the VM is off: its next VMI gets a 2 s grace period.
      simulatorOf(service).store.mutate(vmKey, ns, 'db-primary', (draft) => {
        const template = (draft as unknown as VirtualMachine).spec.template!.spec as {
          terminationGracePeriodSeconds?: number;
        };
        template.terminationGracePeriodSeconds = 2;
      });
    });

    void it('On is one write', async () => {
      assert.equal(db.vm().spec.runStrategy, 'Manual');
      assert.equal((await service.getValid(systemUrl(db.id))).PowerState, 'Off');
      await db.reset('On', 1);
      await db.runningVmi();
      await db.power('On');
    });

    void it('GracefulShutdown reaches Off through PoweringOff', async () => {
      await db.reset('GracefulShutdown', 1);
      await db.power('PoweringOff');
      await db.gone('VMI gone');
      await db.power('Off');
    });

    void it('GracefulRestart builds a new VMI when a boot change is pending, which applies it', async () => {
      await reset(service, db.id, 'On');
      const first = await db.runningVmi();
      assert.equal(firstDevice(first.spec), 'rootdisk');
      await patchBoot(service, db.id, {
        BootSourceOverrideTarget: 'Pxe',
        BootSourceOverrideEnabled: 'Continuous',
      });
      await waitForSystem(
        service,
        db.id,
        (s) => s.Boot.BootSourceOverrideTarget === 'Pxe',
        'the override read back',
      );
      await db.reset('GracefulRestart', 1);
      const next = await db.runningVmi(first.metadata.uid);
      assert.equal(firstDevice(next.spec), 'default', 'the new VMI boots the NIC first');
      await patchBoot(service, db.id, { BootSourceOverrideEnabled: 'Disabled' });
      await waitForSystem(
        service,
        db.id,
        (s) => s.Boot.BootSourceOverrideEnabled === 'Disabled',
        'override off',
      );
    });

    void it('PushPowerButton asks an On VM to shut down and powers an Off VM on', async () => {
      await db.power('On');
      await db.reset('PushPowerButton', 1);
      await db.power('PoweringOff');
      assert.ok(db.vmi()?.metadata.deletionTimestamp, 'a graceful stop');
      await db.power('Off');
      await db.reset('PushPowerButton', 1);
      await db.runningVmi();
      await db.power('On');
      await db.reset('ForceOff', 1);
      await db.power('Off');
    });
  });

  void it('answers GETs of systems, managers and chassis without any API call', async () => {
    const users: readonly TestUser[] = ['admin', 'operator-a', 'viewer-b'];
    const before = requestsFor(service);
    let bodies = 0;
    for (const user of users) {
      for (const collection of ['Systems', 'Managers', 'Chassis']) {
        const list = await service.getValid(`/redfish/v1/${collection}`, user);
        bodies++;
        for (const member of list.Members as { '@odata.id': string }[]) {
          await service.getValid(member['@odata.id'], user);
          bodies++;
        }
      }
    }
    assert.ok(bodies > 20);
    assert.equal(requestsFor(service), before, 'no API request during the GETs');
  });
});
