// The cached-read path (src/redfish/cached-reads.ts) over real HTTP: it answers exactly as the
// Fastify path does (status, headers, bytes), and what a write changes shows in the very next
// GET with a new ETag, although the System's representation is rendered once per snapshot.
import { strict as assert } from 'node:assert';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { captureLogs, type LogCapture } from '../helpers/log-capture.ts';
import type { VirtualMachine } from '../../src/kube/types.ts';
import { startService, type Reply, type TestService } from '../helpers/service.ts';
import { simulatorOf, vmKey } from './systems-http.ts';

const system = '/redfish/v1/Systems/demo-a.db-primary';
const slot = `${system}/VirtualMedia/Cd`;

/** Headers that describe the connection or the moment, not the representation. */
const own = new Set(['date', 'connection', 'keep-alive']);
const headersOf = (reply: Reply): [string, string][] =>
  [...reply.headers.entries()].filter(([name]) => !own.has(name));

void describe('cached reads', () => {
  let service: TestService;
  let logs: LogCapture;
  before(async () => {
    logs = captureLogs();
    service = await startService({ logger: logs.logger });
  });
  after(() => service.close());

  /** The request lines of `path` since `since`: the Fastify path's carry its request id. */
  const requestLines = (since: () => readonly Record<string, unknown>[], path: string) =>
    since().filter((l) => l.msg === 'request' && l.url === path);

  void it('answers as the Fastify path does, for every method and credential', async () => {
    const login = await service.request('/redfish/v1/SessionService/Sessions', {
      method: 'POST',
      body: { UserName: 'admin', Password: 'admin-password' },
    });
    const token = login.headers.get('x-auth-token') ?? '';
    assert.equal(login.status, 201);
    const paths = [
      system,
      '/redfish/v1/Systems',
      slot,
      '/redfish/v1/Chassis/demo-a',
      '/redfish/v1/Managers',
      '/redfish/v1/SessionService',
    ];
    for (const path of paths) {
      for (const method of ['GET', 'HEAD']) {
        for (const credentials of [{ user: 'admin' as const }, { token }]) {
          // The first Basic request verifies the password on the full path.
          await service.request(path, { method, ...credentials });
          const since = logs.mark();
          const cached = await service.request(path, { method, ...credentials });
          // A non-matching If-None-Match sends the request down the full path, to the same 200.
          const full = await service.request(path, {
            method,
            ...credentials,
            headers: { 'if-none-match': '"not-this-one"' },
          });
          const what = `${method} ${path} ${credentials.token ? 'token' : 'Basic'}`;
          const [cachedLine, fullLine] = requestLines(since, path);
          assert.equal(cachedLine?.reqId, undefined, `${what}: answered by the cached path`);
          assert.notEqual(fullLine?.reqId, undefined, `${what}: answered by Fastify`);
          assert.equal(cached.status, 200, what);
          assert.equal(cached.status, full.status, what);
          assert.deepEqual(headersOf(cached), headersOf(full), what);
          assert.equal(cached.text, full.text, what);
        }
      }
    }
  });

  void it('leaves to the full path what it cannot answer alike', async () => {
    const cases = [
      { path: system, options: { user: 'viewer-b' as const }, status: 404 },
      { path: `${system}?$select=Id`, options: { user: 'admin' as const }, status: 200 },
      { path: `${system}/`, options: { user: 'admin' as const }, status: 200 },
      { path: system, options: { headers: { 'odata-version': '4.01' } }, status: 401 },
      {
        path: system,
        options: { user: 'admin' as const, headers: { 'odata-version': '4.01' } },
        status: 412,
      },
    ];
    for (const { path, options, status } of cases) {
      await service.request(path, options);
      const since = logs.mark();
      const reply = await service.request(path, options);
      assert.equal(reply.status, status, `${path}: ${reply.text}`);
      const lines = since().filter((l) => l.msg === 'request');
      assert.ok(
        lines.length > 0 && lines.every((l) => l.reqId !== undefined),
        `${path} answered by Fastify`,
      );
    }
  });

  void it('answers a burst of pipelined requests on many connections, each in order', async () => {
    const { hostname, port } = new URL(service.url);
    const authorization = `Basic ${Buffer.from('admin:admin-password').toString('base64')}`;
    const get = (path: string) =>
      `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${authorization}\r\n\r\n`;
    await service.request(system, { user: 'admin' });
    const expected = [system, '/redfish/v1/Systems', system].map((path) => `"@odata.id":"${path}"`);
    /** Everything a connection receives until its three answers are in (Content-Length framed). */
    const exchange = (socket: Socket) =>
      new Promise<string[]>((resolve, reject) => {
        let received = Buffer.alloc(0);
        socket.on('data', (chunk: Buffer) => {
          received = Buffer.concat([received, chunk]);
          const bodies: string[] = [];
          let rest = received;
          for (;;) {
            const end = rest.indexOf('\r\n\r\n');
            if (end < 0) break;
            const head = rest.subarray(0, end).toString();
            const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
            if (rest.length < end + 4 + length) break;
            assert.match(head, /^HTTP\/1\.1 200 /);
            bodies.push(rest.subarray(end + 4, end + 4 + length).toString());
            rest = rest.subarray(end + 4 + length);
          }
          if (bodies.length === 3) {
            socket.destroy();
            resolve(bodies);
          }
        });
        socket.on('error', reject);
      });
    const sockets = Array.from({ length: 20 }, () => connect(Number(port), hostname));
    await Promise.all(sockets.map((s) => new Promise((resolve) => s.once('connect', resolve))));
    const answers = sockets.map(exchange);
    // A client that leaves before its answers are written costs the others nothing.
    const leaver = connect(Number(port), hostname, () => {
      leaver.end(get(system));
      leaver.destroy();
    });
    for (const socket of sockets)
      socket.write(get(system) + get('/redfish/v1/Systems') + get(system));
    for (const bodies of await Promise.all(answers))
      bodies.forEach((body, i) => assert.ok(body.includes(expected[i] ?? ''), body.slice(0, 80)));
    assert.equal((await service.request(system, { user: 'admin' })).status, 200);
  });

  void it('shows a boot override in the very next GET, with a new ETag', async () => {
    await service.getValid(system);
    const before = await service.request(system, { user: 'admin' });
    const target = before.body.Boot.BootSourceOverrideTarget === 'Pxe' ? 'Hdd' : 'Pxe';
    const patch = await service.request(system, {
      method: 'PATCH',
      user: 'admin',
      body: { Boot: { BootSourceOverrideTarget: target, BootSourceOverrideEnabled: 'Once' } },
    });
    assert.equal(patch.status, 204, patch.text);
    const after = await service.request(system, { user: 'admin' });
    assert.equal(after.body.Boot.BootSourceOverrideTarget, target);
    assert.notEqual(after.headers.get('etag'), before.headers.get('etag'));
  });

  void it('shows a power change once the cluster has it, with a new ETag', async () => {
    const before = await service.request(system, { user: 'admin' });
    const [resetType, state] = before.body.PowerState === 'On' ? ['ForceOff', 'Off'] : ['On', 'On'];
    const reset = await service.request(`${system}/Actions/ComputerSystem.Reset`, {
      method: 'POST',
      user: 'admin',
      body: { ResetType: resetType },
    });
    assert.ok(reset.status === 200 || reset.status === 204, reset.text);
    let after = before;
    await service.waitFor(async () => {
      after = await service.request(system, { user: 'admin' });
      return after.body.PowerState === state;
    });
    assert.notEqual(after.headers.get('etag'), before.headers.get('etag'));
  });

  void it('shows inserted media in the very next GET, with a new ETag', async () => {
    const before = await service.request(slot, { user: 'admin' });
    const image = 'http://images.example.com/cached-reads.iso';
    const insert = await service.request(`${slot}/Actions/VirtualMedia.InsertMedia`, {
      method: 'POST',
      user: 'admin',
      body: { Image: image },
    });
    assert.equal(insert.status, 202, insert.text);
    const after = await service.request(slot, { user: 'admin' });
    assert.equal(after.body.Image, image);
    assert.notEqual(after.headers.get('etag'), before.headers.get('etag'));
  });

  void it('drops a VM that leaves the chassis from the collections, with a new ETag', async () => {
    const members = async (path: string) => {
      const reply = await service.request(path, { user: 'admin' });
      return {
        reply,
        ids: (reply.body.Members as { '@odata.id': string }[]).map((m) => m['@odata.id']),
      };
    };
    const before = await members('/redfish/v1/Systems');
    const managersBefore = await members('/redfish/v1/Managers');
    assert.ok(before.ids.includes(system));
    simulatorOf(service).store.mutate(vmKey, 'demo-a', 'db-primary', (draft) => {
      const vm = draft as unknown as VirtualMachine;
      delete vm.metadata.labels?.['redfish-enabled'];
    });
    let after = before;
    await service.waitFor(async () => {
      after = await members('/redfish/v1/Systems');
      return !after.ids.includes(system);
    });
    assert.notEqual(after.reply.headers.get('etag'), before.reply.headers.get('etag'));
    const managersAfter = await members('/redfish/v1/Managers');
    assert.equal(managersAfter.ids.length, managersBefore.ids.length - 1);
  });
});
