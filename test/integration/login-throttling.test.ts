// Issue 11 item 8 over HTTP: behind a trusted proxy (here the loopback peer, standing in for the
// OpenShift router) failed logins lock out one user at one client, named by X-Forwarded-For /
// Forwarded; a client that logged in is not locked out by other clients' failures; AccountService
// reports the lockout in force.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { trustKey } from '../../src/auth/rate-limit.ts';
import { loginTrustConfigMapName } from '../../src/kube/login-trust-store.ts';
import { errorIds } from '../conformance/redfish-errors.ts';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import { defaultConfigYaml, startService, users, type TestService } from '../helpers/service.ts';

const sessionsUrl = '/redfish/v1/SessionService/Sessions';

/** The test config behind a proxy on the loopback addresses, edited by `edit`. */
const behindProxy = (edit: (yaml: string) => string = (yaml) => yaml) =>
  edit(
    defaultConfigYaml().replace(
      '  tls:\n',
      '  trusted_proxies: ["127.0.0.0/8", "::1/128"]\n  tls:\n',
    ),
  );

/** A login by `user` from `client`, as the proxy forwards it. */
const loginVia =
  (service: () => TestService) =>
  (client: string, password: string, user = 'operator-a') =>
    service().request(sessionsUrl, {
      method: 'POST',
      body: { UserName: user, Password: password },
      headers: { 'x-forwarded-for': `${client}, 127.0.0.1` },
    });

void describe('login throttling behind a trusted proxy', () => {
  let service: TestService;
  before(async () => {
    service = await startService({ configYaml: behindProxy() });
  });
  after(() => service.close());
  const login = loginVia(() => service);

  void it('AccountService reports the lockout in force', async () => {
    const body = await service.getValid('/redfish/v1/AccountService');
    assert.equal(body.AccountLockoutThreshold, 10);
    assert.equal(body.AccountLockoutDuration, 60);
    assert.equal(body.AccountLockoutCounterResetAfter, 60);
    assert.ok(body.AccountLockoutCounterResetAfter <= body.AccountLockoutDuration);
  });

  void it('locks one client after the threshold, not the others behind the same proxy', async () => {
    for (let i = 0; i < 10; i++) {
      const reply = await login('203.0.113.1', 'wrong');
      assert.deepEqual(errorIds(reply, 401), ['AccessUnauthorized']);
    }
    const locked = await login('203.0.113.1', users['operator-a']);
    assert.deepEqual(errorIds(locked, 401), ['AccessUnauthorized']);
    const retryAfter = Number(locked.headers.get('retry-after'));
    assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    // Basic from the same client is locked too; another client is not.
    const basic = await service.request('/redfish/v1/Systems', {
      user: 'operator-a',
      headers: { forwarded: 'for=203.0.113.1;proto=https' },
    });
    assert.deepEqual(errorIds(basic, 401), ['AccessUnauthorized']);
    assert.equal((await login('203.0.113.2', users['operator-a'])).status, 201);
  });

  void it('does not lock out a client that logged in because of other clients’ failures', async () => {
    assert.equal((await login('198.51.100.1', users['viewer-b'], 'viewer-b')).status, 201);
    // Five clients, ten failures each: the user's wider lock (50) closes on new clients...
    for (let c = 0; c < 5; c++)
      for (let i = 0; i < 10; i++) await login(`203.0.113.${10 + c}`, 'guess', 'viewer-b');
    const fresh = await login('198.51.100.99', users['viewer-b'], 'viewer-b');
    assert.deepEqual(errorIds(fresh, 401), ['AccessUnauthorized']);
    assert.ok(Number(fresh.headers.get('retry-after')) > 0);
    // ...but not on the client that proved it knows the password.
    assert.equal((await login('198.51.100.1', users['viewer-b'], 'viewer-b')).status, 201);
    // That trust is kept in the cluster (as a digest), so a restart or another replica keeps it.
    const digest = createHash('sha256').update(trustKey('viewer-b', '198.51.100.1')).digest('hex');
    const trust = () =>
      (
        service.service.simulator!.store.get(
          'configmaps',
          'kubevirt-redfish',
          loginTrustConfigMapName,
        ) as { data?: Record<string, string> } | undefined
      )?.data ?? {};
    await service.waitFor(() => trust()[digest] !== undefined);
    assert.ok(!JSON.stringify(trust()).includes('198.51.100.1'));
  });
});

void describe('a configured lockout (authentication.lockout)', () => {
  let service: TestService;
  before(async () => {
    service = await startService({
      configYaml: behindProxy((yaml) =>
        yaml.replace(
          'authentication:\n',
          'authentication:\n  lockout:\n    threshold: 3\n    duration_seconds: 900\n' +
            '    counter_reset_after_seconds: 120\n' +
            '    per_user: {threshold: 5, duration_seconds: 1800}\n',
        ),
      ),
    });
  });
  after(() => service.close());
  const login = loginVia(() => service);

  void it('AccountService reports the configured values', async () => {
    const body = await service.getValid('/redfish/v1/AccountService');
    assert.equal(body.AccountLockoutThreshold, 3);
    assert.equal(body.AccountLockoutDuration, 900);
    assert.equal(body.AccountLockoutCounterResetAfter, 120);
  });

  void it('locks a client out after the configured threshold, for the configured duration', async () => {
    for (let i = 0; i < 2; i++) assert.equal((await login('203.0.113.1', 'wrong')).status, 401);
    // Two failures are below the threshold.
    assert.equal((await login('203.0.113.1', users['operator-a'])).status, 201);
    for (let i = 0; i < 3; i++) assert.equal((await login('203.0.113.1', 'wrong')).status, 401);
    const locked = await login('203.0.113.1', users['operator-a']);
    assert.deepEqual(errorIds(locked, 401), ['AccessUnauthorized']);
    const retryAfter = Number(locked.headers.get('retry-after'));
    assert.ok(retryAfter > 800 && retryAfter <= 900, `Retry-After ${retryAfter}`);
  });

  const account = '/redfish/v1/AccountService/Accounts/operator-a';
  const patch = (body: unknown, user: 'admin' | 'operator-a' = 'admin', ifMatch?: string) =>
    service.request(account, {
      method: 'PATCH',
      user,
      body,
      ...(ifMatch === undefined ? {} : { headers: { 'if-match': ifMatch } }),
    });

  void it('shows the locked-out account as Locked, and an administrator unlocks it', async () => {
    // operator-a is locked out at 203.0.113.1 (previous test); it reads its own account from
    // elsewhere, as does the administrator.
    assert.equal((await service.getValid(account, 'operator-a')).Locked, true);
    assert.equal((await service.getValid(account)).Locked, true);
    assert.equal(
      (await service.getValid('/redfish/v1/AccountService/Accounts/admin')).Locked,
      false,
    );
    // Only the service locks an account; users live in the configuration file.
    assert.deepEqual(errorIds(await patch({ Locked: true }), 400), ['PropertyValueNotInList']);
    assert.deepEqual(errorIds(await patch({ Locked: 'no' }), 400), ['PropertyValueTypeError']);
    assert.deepEqual(errorIds(await patch({ RoleId: 'ReadOnly' }), 400), ['PropertyNotWritable']);
    assert.deepEqual(errorIds(await patch({ Locked: false, Foo: 1 }), 400), ['PropertyUnknown']);
    assert.deepEqual(errorIds(await patch({}), 400), ['EmptyJSON']);
    // Unlocking takes ConfigureUsers: not the Operator itself.
    assert.deepEqual(errorIds(await patch({ Locked: false }, 'operator-a'), 403), [
      'InsufficientPrivilege',
    ]);
    assert.deepEqual(errorIds(await patch({ Locked: false }, 'admin', '"stale"'), 412), [
      'PreconditionFailed',
    ]);
    assert.equal((await service.getValid(account)).Locked, true, 'nothing changed so far');
    const etag = (await service.request(account, { user: 'admin' })).headers.get('etag') ?? '';
    const unlocked = await patch({ Locked: false }, 'admin', etag);
    assert.equal(unlocked.status, 200, unlocked.text);
    validateRedfish(unlocked.body);
    assert.equal(unlocked.body.Locked, false);
    assert.equal((await service.getValid(account)).Locked, false);
    assert.equal((await login('203.0.113.1', users['operator-a'])).status, 201);
  });

  void it('locks a user out of new clients after the configured per-user threshold', async () => {
    // Five clients, one failure each: no client reaches 3, the user reaches 5.
    for (let c = 0; c < 5; c++) await login(`203.0.113.${20 + c}`, 'guess', 'viewer-b');
    const fresh = await login('198.51.100.7', users['viewer-b'], 'viewer-b');
    assert.deepEqual(errorIds(fresh, 401), ['AccessUnauthorized']);
    const retryAfter = Number(fresh.headers.get('retry-after'));
    assert.ok(retryAfter > 1700 && retryAfter <= 1800, `Retry-After ${retryAfter}`);
  });
});
