// Sessions as sushy and redfishtool use them, on two replicas of the service sharing one
// simulated cluster: login on one, use and logout on the other; SessionTimeout set on one holds
// on both; who may see and end which session.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serve, type RunningService } from '../../src/cli/serve.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import { startService, users, type TestService, type TestUser } from '../helpers/service.ts';

const sessionsPath = '/redfish/v1/SessionService/Sessions';

/** The Base MessageIds of an error answer, after checking the full ExtendedInfo shape. */
const errorIds = (reply: { status: number; body: any }, status: number): string[] => {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  validateRedfish(reply.body);
  return (reply.body.error['@Message.ExtendedInfo'] as { MessageId: string }[]).map((m) =>
    m.MessageId.replace(/^Base\.1\.22\./, ''),
  );
};

void describe('sessions across two replicas', () => {
  let one: TestService;
  let two: RunningService;
  /** A request to the second replica. */
  let onTwo: (
    path: string,
    init?: { method?: string; token?: string; body?: unknown },
  ) => Promise<{ status: number; body: any; headers: Headers }>;

  before(async () => {
    one = await startService();
    const kubeconfigPath = join(one.configPath, '..', 'kubeconfig.yaml');
    const simulator = one.service.simulator;
    assert.ok(simulator);
    await simulator.writeKubeconfig(kubeconfigPath);
    two = await serve({
      configPath: one.configPath,
      kubeconfigPath,
      simulate: false,
      port: 0,
      host: '127.0.0.1',
      logger: createLogger({ level: 'silent' }),
    });
    await two.backend.waitForSync(AbortSignal.timeout(20_000));
    onTwo = async (path, init = {}) => {
      const response = await fetch(`${two.url}${path}`, {
        method: init.method ?? 'GET',
        headers: {
          ...(init.token === undefined ? {} : { 'x-auth-token': init.token }),
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: text ? (JSON.parse(text) as unknown) : undefined,
      };
    };
  });
  after(async () => {
    await two.close();
    await one.close();
  });

  const login = async (user: TestUser) => {
    const reply = await one.request(sessionsPath, {
      method: 'POST',
      body: { UserName: user, Password: users[user] },
    });
    assert.equal(reply.status, 201, reply.text);
    const token = reply.headers.get('x-auth-token');
    assert.ok(token);
    return { token, location: reply.headers.get('location') ?? '', body: reply.body };
  };

  void it('logs in without credentials: 201, X-Auth-Token, Location and the Session', async () => {
    const { token, location, body } = await login('operator-a');
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(location, body['@odata.id']);
    assert.ok(location.startsWith(`${sessionsPath}/`));
    assert.equal(body.UserName, 'operator-a');
    assert.equal(typeof body.Id, 'string');
    assert.equal(body.Password, undefined);
    validateRedfish(body);
    // The token authenticates on this replica...
    const own = await one.request(location, { token });
    assert.equal(own.status, 200);
    assert.deepEqual(own.body, body);
  });

  void it('accepts a token from one replica on the other, and logout on one ends it on both', async () => {
    const { token, location } = await login('viewer-b');
    assert.equal((await onTwo('/redfish/v1/Systems', { token })).status, 200);
    assert.equal((await onTwo(location, { token })).status, 200);
    const logout = await onTwo(location, { method: 'DELETE', token });
    assert.equal(logout.status, 204);
    assert.deepEqual(errorIds(await onTwo('/redfish/v1/Systems', { token }), 401), [
      'AccessUnauthorized',
    ]);
    // The first replica learns of the deletion through its watch.
    await one.waitFor(
      async () => (await one.request('/redfish/v1/Systems', { token })).status === 401,
    );
  });

  void it('refuses bad logins with the Base messages, never echoing the password', async () => {
    const missing = await one.request(sessionsPath, {
      method: 'POST',
      body: { UserName: 'admin' },
    });
    assert.deepEqual(errorIds(missing, 400), ['PropertyMissing']);
    assert.deepEqual(missing.body.error['@Message.ExtendedInfo'][0].RelatedProperties, [
      '#/Password',
    ]);
    const empty = await one.request(sessionsPath, { method: 'POST', body: {} });
    assert.deepEqual(errorIds(empty, 400), ['PropertyMissing', 'PropertyMissing']);
    const typed = await one.request(sessionsPath, {
      method: 'POST',
      body: { UserName: 'admin', Password: 123456789 },
    });
    assert.deepEqual(errorIds(typed, 400), ['PropertyValueTypeError']);
    assert.ok(!typed.text.includes('123456789'));
    const wrong = await one.request(sessionsPath, {
      method: 'POST',
      body: { UserName: 'admin', Password: 'not-the-password' },
    });
    assert.deepEqual(errorIds(wrong, 401), ['AccessUnauthorized']);
    assert.equal(wrong.headers.get('x-auth-token'), null);
    const unknown = await one.request(sessionsPath, {
      method: 'POST',
      body: { UserName: 'nobody', Password: 'x' },
    });
    assert.deepEqual(errorIds(unknown, 401), ['AccessUnauthorized']);
    assert.equal(unknown.text, wrong.text);
  });

  void it('lists all sessions to Administrators and only their own to others', async () => {
    const operator = await login('operator-a');
    const viewer = await login('viewer-b');
    const members = async (token: string) =>
      ((await one.request(sessionsPath, { token })).body.Members as { '@odata.id': string }[]).map(
        (m) => m['@odata.id'],
      );
    const all = await members((await login('admin')).token);
    assert.ok(all.includes(operator.location) && all.includes(viewer.location));
    const mine = await members(viewer.token);
    assert.ok(mine.includes(viewer.location));
    assert.ok(!mine.includes(operator.location));
    // Someone else's session is as absent as a missing one, for reading and for logout.
    assert.deepEqual(errorIds(await one.request(operator.location, { token: viewer.token }), 404), [
      'ResourceNotFound',
    ]);
    const del = await one.request(operator.location, { method: 'DELETE', token: viewer.token });
    assert.deepEqual(errorIds(del, 404), ['ResourceNotFound']);
    assert.equal((await one.request(operator.location, { token: operator.token })).status, 200);
    // An Administrator (Basic) may end anyone's.
    const ended = await one.request(operator.location, { method: 'DELETE', user: 'admin' });
    assert.equal(ended.status, 204);
    assert.equal((await one.request('/redfish/v1/Systems', { token: operator.token })).status, 401);
  });

  void it('sets SessionTimeout on one replica and shows it on both, within 30–86400', async () => {
    const service = await one.getValid('/redfish/v1/SessionService');
    assert.equal(service.SessionTimeout, 1800);
    assert.equal(service.ServiceEnabled, true);
    const patch = (body: unknown, user: TestUser = 'admin') =>
      one.request('/redfish/v1/SessionService', { method: 'PATCH', user, body });
    assert.deepEqual(errorIds(await patch({ SessionTimeout: 29 }), 400), [
      'PropertyValueOutOfRange',
    ]);
    assert.deepEqual(errorIds(await patch({ SessionTimeout: 86401 }), 400), [
      'PropertyValueOutOfRange',
    ]);
    assert.deepEqual(errorIds(await patch({ SessionTimeout: 'long' }), 400), [
      'PropertyValueTypeError',
    ]);
    assert.deepEqual(errorIds(await patch({ ServiceEnabled: false }), 400), [
      'PropertyNotWritable',
    ]);
    assert.deepEqual(errorIds(await patch({ SessionTimeout: 600 }, 'operator-a'), 403), [
      'InsufficientPrivilege',
    ]);
    const stale = await one.request('/redfish/v1/SessionService', {
      method: 'PATCH',
      user: 'admin',
      body: { SessionTimeout: 600 },
      headers: { 'if-match': '"0000"' },
    });
    assert.deepEqual(errorIds(stale, 412), ['PreconditionFailed']);
    assert.equal((await patch({ SessionTimeout: 600 })).status, 204);
    const { token } = await login('admin');
    await one.waitFor(
      async () =>
        (await onTwo('/redfish/v1/SessionService', { token })).body.SessionTimeout === 600,
    );
    await one.waitFor(
      async () => (await one.getValid('/redfish/v1/SessionService')).SessionTimeout === 600,
    );
  });
});
