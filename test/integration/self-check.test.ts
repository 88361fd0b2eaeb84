// The start-up self-check against a cluster (a separately started simulator, as in production)
// that lacks the sessions namespace: /readyz says not ready and why, the log names it, a login
// answers 503 ServiceTemporarilyUnavailable instead of a misleading 404, and once the namespace
// exists the service becomes ready by itself and logins work.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { serve, type RunningService } from '../../src/cli/serve.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startSimulator, type Simulator } from '../../src/sim/simulator.ts';
import { errorIds } from '../conformance/redfish-errors.ts';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import { defaultConfigYaml, users, type Reply } from '../helpers/service.ts';

describe('start-up self-check', () => {
  let dir: string;
  let simulator: Simulator;
  let service: RunningService;
  const logs: { msg: string; problem?: string }[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kvrf-selfcheck-'));
    simulator = await startSimulator({ delays: 'instant' });
    assert.equal(simulator.store.get('namespaces', undefined, 'kubevirt-redfish'), undefined);
    await simulator.writeKubeconfig(join(dir, 'kubeconfig'));
    await writeFile(join(dir, 'config.yaml'), defaultConfigYaml());
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
          logs.push(JSON.parse(line) as { msg: string; problem?: string });
        done();
      },
    });
    service = await serve({
      configPath: join(dir, 'config.yaml'),
      kubeconfigPath: join(dir, 'kubeconfig'),
      simulate: false,
      port: 0,
      host: '127.0.0.1',
      logger: createLogger({ level: 'info', destination }),
    });
  });
  after(async () => {
    await service.close();
    await simulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  const request = async (path: string, init: RequestInit = {}): Promise<Reply> => {
    const response = await fetch(`${service.url}${path}`, init);
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, headers: response.headers, text, body };
  };
  const login = () =>
    request('/redfish/v1/SessionService/Sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ UserName: 'admin', Password: users.admin }),
    });

  it('reports not ready and names the missing namespace in /readyz and the log', async () => {
    await service.backend.waitForSync(AbortSignal.timeout(20_000));
    const ready = await request('/readyz');
    assert.equal(ready.status, 503);
    assert.match(ready.text, /the sessions namespace kubevirt-redfish does not exist/);
    assert.ok(
      logs.some(
        (l) =>
          l.msg === 'start-up self-check' &&
          l.problem === 'the sessions namespace kubevirt-redfish does not exist',
      ),
    );
    // Every permission was reviewed and granted (the simulator token may do everything).
    assert.doesNotMatch(ready.text, /not permitted|cannot check/);
  });

  it('answers a login with 503 ServiceTemporarilyUnavailable, not 404', async () => {
    const reply = await login();
    assert.deepEqual(errorIds(reply, 503), ['ServiceTemporarilyUnavailable']);
    assert.ok(reply.headers.get('retry-after'));
  });

  it('becomes ready once the namespace exists, and logins work', async () => {
    simulator.store.create('namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'kubevirt-redfish' },
    });
    const deadline = Date.now() + 60_000;
    // The self-check runs again every 10 s while it fails.
    while ((await request('/readyz').catch(() => undefined))?.status !== 200) {
      assert.ok(Date.now() < deadline, 'ready within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.ok(logs.some((l) => /self-check passed/.test(l.msg)));
    const reply = await login();
    assert.equal(reply.status, 201, reply.text);
    validateRedfish(reply.body);
  });
});
