// Session writes in the one write shape (issue 14): login, logout and the SessionTimeout PATCH
// each make their change in the cluster and leave exactly one audit record; logout honours
// If-Match against the Session's ETag.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { sessionSecretName } from '../../src/kube/session-store.ts';
import { settingsConfigMapName } from '../../src/kube/settings-store.ts';
import { messageId } from '../../src/redfish/messages.ts';
import { captureLogs, type LogCapture, type LogLine } from '../helpers/log-capture.ts';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import { startService, users, type TestService } from '../helpers/service.ts';
import { simulatorOf } from './systems-http.ts';

const sessionNamespace = 'kubevirt-redfish';
const sessionsPath = '/redfish/v1/SessionService/Sessions';

/** The audit records (write.ts logAudit): 'write', or 'write failed' as a warning. */
const auditLines = (lines: readonly LogLine[]): LogLine[] =>
  lines.filter((l) => l.msg === 'write' || l.msg === 'write failed');

void describe('session writes', () => {
  let service: TestService;
  let logs: LogCapture;
  const sessionSecret = (id: string) =>
    simulatorOf(service).store.get('secrets', sessionNamespace, sessionSecretName(id));

  before(async () => {
    logs = captureLogs();
    service = await startService({ logger: logs.logger });
  });
  after(() => service.close());

  const login = () =>
    service.request(sessionsPath, {
      method: 'POST',
      body: { UserName: 'operator-a', Password: users['operator-a'] },
    });

  void it('a login creates its Secret and one audit record naming the session', async () => {
    const since = logs.mark();
    const created = await login();
    assert.equal(created.status, 201, created.text);
    validateRedfish(created.body);
    const id = String(created.body.Id);
    assert.ok(sessionSecret(id), 'the session is stored in the cluster');
    const audit = auditLines(since());
    assert.equal(audit.length, 1, JSON.stringify(audit));
    assert.equal(audit[0]?.action, 'CreateSession');
    assert.equal(audit[0]?.user, 'operator-a');
    assert.equal(audit[0]?.sessionId, id);
    assert.equal(audit[0]?.outcome, 'succeeded');
  });

  void it('a logout with a stale If-Match answers 412 and ends nothing; the current one ends it', async () => {
    const created = await login();
    const id = String(created.body.Id);
    const token = created.headers.get('x-auth-token') ?? '';
    const url = `${sessionsPath}/${id}`;
    const since = logs.mark();
    const stale = await service.request(url, {
      method: 'DELETE',
      token,
      headers: { 'if-match': '"0123456789abcdef0123456789abcdef"' },
    });
    assert.equal(stale.status, 412, stale.text);
    validateRedfish(stale.body);
    assert.equal(stale.body.error.code, messageId('PreconditionFailed'));
    assert.ok(sessionSecret(id), 'a refused logout leaves the session');
    assert.equal(auditLines(since()).length, 0, 'a refused write is not a write');

    const seen = await service.request(url, { token });
    assert.equal(seen.status, 200);
    const ended = await service.request(url, {
      method: 'DELETE',
      token,
      headers: { 'if-match': seen.headers.get('etag') ?? '' },
    });
    assert.equal(ended.status, 204, ended.text);
    assert.equal(sessionSecret(id), undefined, 'the Secret is deleted');
    const audit = auditLines(since());
    assert.deepEqual(
      audit.map((l) => [l.action, l.user, l.sessionId, l.of, l.outcome]),
      [['DeleteSession', 'operator-a', id, 'operator-a', 'succeeded']],
    );
    assert.equal((await service.request(url, { token })).status, 401, 'the token is dead');
  });

  void it('a SessionTimeout PATCH stores the value in the cluster with one audit record', async () => {
    const url = '/redfish/v1/SessionService';
    const current = await service.request(url, { user: 'admin' });
    const since = logs.mark();
    const stale = await service.request(url, {
      method: 'PATCH',
      user: 'admin',
      headers: { 'if-match': '"0123456789abcdef0123456789abcdef"' },
      body: { SessionTimeout: 600 },
    });
    assert.equal(stale.status, 412, stale.text);
    const patched = await service.request(url, {
      method: 'PATCH',
      user: 'admin',
      headers: { 'if-match': current.headers.get('etag') ?? '' },
      body: { SessionTimeout: 600 },
    });
    assert.equal(patched.status, 204, patched.text);
    const stored = simulatorOf(service).store.get(
      'configmaps',
      sessionNamespace,
      settingsConfigMapName,
    ) as { data?: Record<string, string> } | undefined;
    assert.equal(stored?.data?.sessionTimeoutSeconds, '600');
    assert.deepEqual(
      auditLines(since()).map((l) => [l.action, l.user, l.sessionTimeout, l.outcome]),
      [['SetSessionTimeout', 'admin', 600, 'succeeded']],
    );
    await service.waitFor(async () => (await service.getValid(url)).SessionTimeout === 600, 5_000);
  });

  void it('a login refused for the session limit is one failed audit record and stores nothing', async () => {
    const stored = () => simulatorOf(service).store.list('secrets', sessionNamespace).items.length;
    const loginViewer = () =>
      service.request(sessionsPath, {
        method: 'POST',
        body: { UserName: 'viewer-b', Password: users['viewer-b'] },
      });
    // 32 sessions per user (auth/sessions.ts): each success is its own record.
    for (let i = 0; i < 32; i++) assert.equal((await loginViewer()).status, 201);
    const before = stored();
    const since = logs.mark();
    const refused = await loginViewer();
    assert.equal(refused.status, 503, refused.text);
    validateRedfish(refused.body);
    assert.equal(
      refused.body.error['@Message.ExtendedInfo'][0].MessageId,
      messageId('SessionLimitExceeded'),
    );
    assert.equal(stored(), before, 'no Secret for a refused login');
    assert.deepEqual(
      auditLines(since()).map((l) => [l.action, l.user, l.outcome]),
      [['CreateSession', 'viewer-b', 'failed']],
    );
  });
});
