// Reset On while a graceful shutdown is still in progress (issue 14): KubeVirt cannot start a VM
// whose instance is stopping (its start answers "already running" and the stop completes), so
// the service answers 409 ResourceInUse, "in transition", instead of a 204 after which the VM
// ends Off. Once it is Off, On starts it, whatever the service's cache still shows.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { instantDelays } from '../../src/sim/controllers/delays.ts';
import { messageId } from '../../src/redfish/messages.ts';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import { startService, type Reply, type TestService } from '../helpers/service.ts';
import {
  postReset,
  reset,
  simulatorOf,
  storedVm,
  storedVmi,
  waitForCluster,
  waitForSystem,
} from './systems-http.ts';

const ns = 'demo-a';
const name = 'db-primary';
const id = `${ns}.${name}`;

const assertInTransition = (reply: Reply): void => {
  assert.equal(reply.status, 409, reply.text);
  validateRedfish(reply.body);
  assert.equal(reply.body.error['@Message.ExtendedInfo'][0].MessageId, messageId('ResourceInUse'));
};

void describe('Reset On during a graceful shutdown', () => {
  let service: TestService;
  const live = () => {
    const vmi = storedVmi(service, ns, name);
    return vmi !== undefined && !['Succeeded', 'Failed'].includes(vmi.status?.phase ?? '');
  };
  const runningAgain = async () => {
    await reset(service, id, 'On');
    await waitForSystem(service, id, (s) => s.PowerState === 'On', 'On');
  };
  /** Off in the cluster and in Redfish, with no start pending that could undo it. */
  const endsOff = async () => {
    await waitForCluster(service, () => !live(), 'the stop completed', 10_000);
    await waitForSystem(service, id, (s) => s.PowerState === 'Off', 'Off');
    const vm = storedVm(service, ns, name);
    assert.equal(vm.spec.runStrategy, 'Manual');
    assert.equal(vm.status?.stateChangeRequests, undefined, 'no start left pending');
    // Stays Off: nothing the refused On did comes back later.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(live(), false);
  };

  before(async () => {
    // The guest takes 1.5 s to power off after ACPI: long enough to ask for On meanwhile.
    service = await startService({
      simulator: { delays: { ...instantDelays, guestShutdown: 1_500 } },
    });
    await runningAgain();
  });
  after(() => service.close());

  void it('answers 409 ResourceInUse once PoweringOff shows, and the VM ends Off', async () => {
    await reset(service, id, 'GracefulShutdown');
    await waitForSystem(service, id, (s) => s.PowerState === 'PoweringOff', 'PoweringOff');
    assertInTransition(await postReset(service, id, 'On'));
    await endsOff();
  });

  void it('answers 409 too while the cache still shows On (a lagging watch)', async () => {
    await runningAgain();
    simulatorOf(service).faults.watchDelayMs = 1_000;
    try {
      await reset(service, id, 'GracefulShutdown');
      // The service's cache has not seen the stop: it would call On a no-op success.
      assert.equal((await service.getValid(`/redfish/v1/Systems/${id}`)).PowerState, 'On');
      assertInTransition(await postReset(service, id, 'On'));
    } finally {
      simulatorOf(service).faults.watchDelayMs = 0;
    }
    await endsOff();
  });

  void it('ForceRestart is refused the same way; On once Off starts the VM', async () => {
    await runningAgain();
    await reset(service, id, 'GracefulShutdown');
    await waitForSystem(service, id, (s) => s.PowerState === 'PoweringOff', 'PoweringOff');
    assertInTransition(await postReset(service, id, 'ForceRestart'));
    await endsOff();
    await runningAgain();
    assert.equal(live(), true);
  });

  void it('On once the stop is over starts the VM, even while the cache still shows it On', async () => {
    await runningAgain();
    simulatorOf(service).faults.watchDelayMs = 4_000;
    try {
      await reset(service, id, 'GracefulShutdown');
      await waitForCluster(service, () => !live(), 'the stop completed');
      assert.equal((await service.getValid(`/redfish/v1/Systems/${id}`)).PowerState, 'On');
      await reset(service, id, 'On');
    } finally {
      simulatorOf(service).faults.watchDelayMs = 0;
    }
    await waitForCluster(service, live, 'a new VMI runs', 10_000);
    await waitForSystem(service, id, (s) => s.PowerState === 'On', 'On');
  });
});
