// Many clients resetting the same systems at once (issue 11 item 7): a VM in transition answers
// 409 with a message that says so (Base ResourceInUse: "in use or in transition"), never 503,
// which is kept for outages; docs/REDFISH.md "Power".
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { messageId } from '../../src/redfish/messages.ts';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import { startService, users, type Reply, type TestService } from '../helpers/service.ts';
import { postReset, resetUrl, simulatorOf, systemUrl } from './systems-http.ts';

const systems = ['demo-a.db-primary', 'demo-a.web.frontend'];
const resetTypes = ['On', 'ForceOff', 'ForceRestart', 'GracefulShutdown', 'PushPowerButton'];

void describe('resets of a VM in transition', () => {
  let service: TestService;
  before(async () => {
    // Realistic delays: a guest takes seconds to shut down, so a stop stays underway.
    service = await startService({ simulator: { delays: 'realistic' } });
  });
  after(() => service.close());

  void it('a restart while a stop is underway answers 409 ResourceInUse, not 503', async () => {
    const id = 'demo-a.db-primary';
    assert.equal((await postReset(service, id, 'On')).status, 204);
    await service.waitFor(
      async () => (await service.getValid(systemUrl(id))).PowerState === 'On',
      30_000,
    );
    // The service's cache lags behind the cluster, so it still sees the VM On and asks
    // virt-api for a restart while the stop it just requested is being applied.
    simulatorOf(service).faults.watchDelayMs = 2_000;
    try {
      assert.equal((await postReset(service, id, 'GracefulShutdown')).status, 204);
      const restart = await postReset(service, id, 'ForceRestart');
      assert.equal(restart.status, 409, restart.text);
      validateRedfish(restart.body);
      assert.equal(
        restart.body.error['@Message.ExtendedInfo'][0].MessageId,
        messageId('ResourceInUse'),
      );
      assert.match(restart.body.error['@Message.ExtendedInfo'][0].Message, /in transition/);
    } finally {
      simulatorOf(service).faults.watchDelayMs = 0;
    }
  });

  void it('200 concurrent resets answer 204 or 409, never 5xx', async () => {
    // A session token: Basic auth's password check would spread the requests out in time.
    const login = await service.request('/redfish/v1/SessionService/Sessions', {
      method: 'POST',
      body: { UserName: 'admin', Password: users.admin },
    });
    const token = login.headers.get('x-auth-token') ?? '';
    const replies: { type: string; reply: Reply }[] = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const type = resetTypes[i % resetTypes.length] ?? 'On';
        const reply = await service.request(resetUrl(systems[i % systems.length] ?? ''), {
          method: 'POST',
          token,
          body: { ResetType: type },
        });
        return { type, reply };
      }),
    );
    const statuses = new Map<number, number>();
    for (const { type, reply } of replies) {
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      assert.ok([204, 409].includes(reply.status), `${type}: ${reply.status} ${reply.text}`);
      if (reply.status !== 409) continue;
      validateRedfish(reply.body);
      const info = reply.body.error['@Message.ExtendedInfo'] as { MessageId: string }[];
      assert.ok(
        [messageId('ResourceInUse'), messageId('ActionParameterValueConflict')].includes(
          info[0]?.MessageId ?? '',
        ),
        `${type}: ${reply.text}`,
      );
    }
    assert.ok((statuses.get(204) ?? 0) > 0, 'some resets applied');
  });
});
