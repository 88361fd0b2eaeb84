// Credentials never reach the logs: not the users' passwords, not Basic headers or session
// tokens, not credentials or query secrets inside virtual-media image URLs (security stance).
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { serve, type RunningService } from '../../src/cli/serve.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { defaultConfigYaml, users } from '../helpers/service.ts';

describe('log redaction', () => {
  const lines: string[] = [];
  let service: RunningService;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kvrf-logs-'));
    const configPath = join(dir, 'config.yaml');
    await writeFile(configPath, defaultConfigYaml());
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    service = await serve({
      configPath,
      simulate: true,
      port: 0,
      host: '127.0.0.1',
      logger: createLogger({ level: 'debug', destination }),
      simulatorOptions: { delays: 'instant' },
    });
    await service.backend.waitForSync(AbortSignal.timeout(20_000));
  });
  after(async () => {
    await service.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('logs the action with user and system but no secret', async () => {
    const basic = Buffer.from(`admin:${users.admin}`).toString('base64');
    const headers = { authorization: `Basic ${basic}`, 'content-type': 'application/json' };
    const login = await fetch(`${service.url}/redfish/v1/SessionService/Sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ UserName: 'admin', Password: users.admin }),
    });
    assert.equal(login.status, 201);
    const token = login.headers.get('x-auth-token') ?? '';
    assert.ok(token.length > 20);
    const insert = await fetch(
      `${service.url}/redfish/v1/Systems/demo-a.db-primary/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`,
      {
        method: 'POST',
        headers: { 'x-auth-token': token, 'content-type': 'application/json' },
        body: JSON.stringify({
          Image: 'http://isouser:iso-url-secret@images.example.com/boot.iso?sig=query-secret',
        }),
      },
    );
    assert.equal(insert.status, 202);
    const failed = await fetch(`${service.url}/redfish/v1/Systems`, {
      headers: {
        authorization: `Basic ${Buffer.from('admin:wrong-guess-secret').toString('base64')}`,
      },
    });
    assert.equal(failed.status, 401);
    const reset = await fetch(
      `${service.url}/redfish/v1/Systems/demo-a.db-primary/Actions/ComputerSystem.Reset`,
      {
        method: 'POST',
        headers,
        body: JSON.stringify({ ResetType: 'On' }),
      },
    );
    assert.equal(reset.status, 204);

    const log = lines.join('\n');
    assert.match(log, /"action":"VirtualMedia.InsertMedia"/, 'the insert is logged');
    assert.match(log, /"user":"admin"/);
    assert.match(log, /images\.example\.com\/boot\.iso/, 'the image host and path are logged');
    for (const secret of [
      users.admin,
      basic,
      token,
      'iso-url-secret',
      'isouser:',
      'query-secret',
      'wrong-guess-secret',
    ])
      assert.ok(!log.includes(secret), `the log must not contain ${secret}`);
  });
});
