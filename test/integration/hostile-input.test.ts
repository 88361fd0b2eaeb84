// Issue 11's hostile-input reproducers (items 1, 2, 3 and 13) over real HTTP against the simulator:
// each answers a Redfish 4xx naming the problem, changes nothing in the cluster, and logs no
// stack trace (a client's mistake is not a defect of ours).
import { strict as assert } from 'node:assert';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { errorIds } from '../conformance/redfish-errors.ts';
import { captureLogs, hasStack, logLevel, type LogCapture } from '../helpers/log-capture.ts';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import { startService, type Reply, type TestService } from '../helpers/service.ts';
import { simulatorOf, systemUrl, vmKey, writes } from './systems-http.ts';

const system = { namespace: 'demo-a', name: 'legacy-bios', id: 'demo-a.legacy-bios' };
const insertUrl = `${systemUrl(system.id)}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`;
const json = { 'content-type': 'application/json' };

/** `{"UserName": [[[…]]], …}` nested `depth` levels (arrays) or objects. */
const nested = (depth: number, kind: 'array' | 'object'): string =>
  kind === 'array'
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

void describe('hostile request input (issue 11 items 1-3)', () => {
  let service: TestService;
  let logs: LogCapture;
  before(async () => {
    logs = captureLogs();
    service = await startService({ logger: logs.logger });
  });
  after(() => service.close());

  /** Sends, then asserts the Redfish error and that nothing about it was logged with a stack
   *  or above info. Returns the MessageIds. */
  const refused = async (send: () => Promise<Reply>, status: number): Promise<string[]> => {
    const logged = logs.mark();
    const reply = await send();
    const ids = errorIds(reply, status);
    for (const line of logged()) {
      assert.ok(!hasStack(line), `no stack for a client error: ${JSON.stringify(line)}`);
      assert.ok(line.level <= logLevel.warn, `not logged as an error: ${JSON.stringify(line)}`);
    }
    return ids;
  };

  const versionOf = () =>
    simulatorOf(service).store.get(vmKey, system.namespace, system.name)?.metadata.resourceVersion;

  void it('item 1: deeply nested JSON to the login answers 400, without a stack', async () => {
    const login = (rawBody: string) => () =>
      service.request('/redfish/v1/SessionService/Sessions', {
        method: 'POST',
        rawBody,
        headers: json,
      });
    const writesBefore = writes(service);
    for (const kind of ['array', 'object'] as const) {
      // ~10 KB at depth 5,000 (the reproducer), and 100,000 levels (~400 KB).
      for (const depth of [5_000, 100_000]) {
        const deep = nested(depth, kind);
        const asUser = await refused(login(`{"UserName":${deep},"Password":"x"}`), 400);
        assert.deepEqual(asUser, ['PropertyValueTypeError'], `${kind} ${depth}`);
        const unknown = await refused(login(`{"UserName":"a","Password":"x","Deep":${deep}}`), 400);
        assert.deepEqual(unknown, ['PropertyUnknown'], `${kind} ${depth}`);
        // The deep value as the whole body: not an object, or an object of the wrong shape.
        assert.deepEqual(
          (await refused(login(deep), 400)).sort(),
          kind === 'array'
            ? ['UnrecognizedRequestBody']
            : ['PropertyMissing', 'PropertyMissing', 'PropertyUnknown'],
        );
      }
    }
    // The message echoes a short preview of the value, not the 400 KB.
    const reply = await service.request('/redfish/v1/SessionService/Sessions', {
      method: 'POST',
      rawBody: `{"UserName":${nested(100_000, 'array')},"Password":"x"}`,
      headers: json,
    });
    assert.ok(reply.text.length < 2_000, `${reply.text.length} bytes`);
    assert.equal(reply.body.error['@Message.ExtendedInfo'][0].MessageArgs[0], '[[[[…]]]]');
    assert.equal(writes(service), writesBefore, 'no session was created');
  });

  void it('item 2: a null or a wrong type at every level of a system PATCH is 400', async () => {
    const version = versionOf();
    const patch = (body: unknown) => () =>
      service.request(systemUrl(system.id), { method: 'PATCH', user: 'admin', body });
    const typeError = async (body: unknown, path: string) => {
      const reply = await patch(body)();
      assert.deepEqual(errorIds(reply, 400), ['PropertyValueTypeError'], JSON.stringify(body));
      assert.deepEqual(reply.body.error['@Message.ExtendedInfo'][0].RelatedProperties, [
        `#/${path}`,
      ]);
    };
    await refused(patch({ Boot: null }), 400);
    for (const value of [null, 1, 'Pxe', true, [], [{}]]) await typeError({ Boot: value }, 'Boot');
    for (const property of [
      'BootSourceOverrideTarget',
      'BootSourceOverrideEnabled',
      'BootSourceOverrideMode',
    ])
      for (const value of [null, 1, true, {}, [], { Boot: null }]) {
        const reply = await patch({ Boot: { [property]: value } })();
        // A wrong type is also outside the enum: both are said, the type first.
        assert.equal(
          errorIds(reply, 400)[0],
          'PropertyValueTypeError',
          `${property}=${JSON.stringify(value)}`,
        );
      }
    // A null beside an unknown property: each is reported once.
    const both = await patch({ Boot: null, Nope: null })();
    assert.deepEqual(errorIds(both, 400).sort(), ['PropertyUnknown', 'PropertyValueTypeError']);
    assert.equal(versionOf(), version, 'the VM is unchanged');
  });

  void it('item 3: an Image URL with a malformed escape in its userinfo is 400', async () => {
    const dataVolumes = () =>
      simulatorOf(service).store.list('datavolumes.cdi.kubevirt.io', system.namespace).items.length;
    const before = dataVolumes();
    for (const image of [
      'http://%zz@example.com/x.iso',
      'http://user:%zz@example.com/x.iso',
      'http://%E0%A4%A@example.com/x.iso',
    ]) {
      const ids = await refused(
        () => service.request(insertUrl, { method: 'POST', user: 'admin', body: { Image: image } }),
        400,
      );
      assert.deepEqual(ids, ['ActionParameterValueError'], image);
    }
    assert.equal(dataVolumes(), before, 'no DataVolume was created');
  });

  /** Writes raw bytes and reads the whole answer (the service closes such connections). */
  const raw = (bytes: string): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const { hostname, port } = new URL(service.url);
      const socket = connect(Number(port), hostname, () => socket.write(bytes));
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      socket.on('error', reject);
      socket.on('close', () => {
        const [head = '', body = ''] = text.split('\r\n\r\n');
        const [statusLine = '', ...fields] = head.split('\r\n');
        const headers = new Headers(
          fields.map((f) => [f.slice(0, f.indexOf(':')), f.slice(f.indexOf(':') + 1).trim()]),
        );
        resolve({
          status: Number(statusLine.split(' ')[1]),
          headers,
          text: body,
          body: body ? JSON.parse(body) : undefined,
        });
      });
    });

  void it('item 13: a URL with a bad percent-encoding is a Redfish error, after authentication', async () => {
    const anonymous = await refused(() => service.request('/redfish/v1/Systems/%zz'), 401);
    assert.deepEqual(anonymous, ['AccessUnauthorized']);
    const url = '/redfish/v1/Systems/%zz';
    assert.deepEqual(await refused(() => service.request(url, { user: 'admin' }), 400), [
      'InvalidURI',
    ]);
    // A URL no route would serve answers without authentication, as an unknown URL does.
    assert.deepEqual(await refused(() => service.request('/redfish/v1/%E0%A4%A'), 400), [
      'InvalidURI',
    ]);
    // An enhanced Id longer than Fastify's default parameter limit (100) is still looked up.
    const long = `${system.namespace}.${'x'.repeat(200)}`;
    const missing = await refused(() => service.request(systemUrl(long), { user: 'admin' }), 404);
    assert.deepEqual(missing, ['ResourceNotFound']);
    const overlong = systemUrl('x'.repeat(400));
    assert.deepEqual(await refused(() => service.request(overlong), 401), ['AccessUnauthorized']);
    assert.deepEqual(await refused(() => service.request(overlong, { user: 'admin' }), 404), [
      'InvalidURI',
    ]);
  });

  void it('item 13: an unknown method is 501, a known one the URL does not serve 405', async () => {
    for (const url of ['/redfish/v1/', systemUrl(system.id)]) {
      const fake = await refused(() => service.request(url, { method: 'FAKEMETHOD' }), 501);
      assert.deepEqual(fake, ['OperationNotAllowed'], url);
    }
    // Node parses PROPFIND and Fastify does not route it: 405 with the URL's Allow, behind the
    // URL's authentication.
    const systems = '/redfish/v1/Systems';
    assert.deepEqual(await refused(() => service.request(systems, { method: 'PROPFIND' }), 401), [
      'AccessUnauthorized',
    ]);
    const propfind = () => service.request(systems, { method: 'PROPFIND', user: 'admin' });
    assert.deepEqual(await refused(propfind, 405), ['OperationNotAllowed']);
    assert.equal((await propfind()).headers.get('allow'), 'GET, HEAD');
    const root = await service.request('/redfish/v1/', { method: 'PROPFIND' });
    assert.deepEqual(errorIds(root, 405), ['OperationNotAllowed']);
    assert.equal(root.headers.get('allow'), 'GET, HEAD');
  });

  void it('item 13: every method a URL does not serve is 405 with Allow, whatever its body', async () => {
    const systems = '/redfish/v1/Systems';
    const bodies = [
      {},
      { rawBody: '' },
      { rawBody: '{"a":1}', headers: json },
      { rawBody: '{', headers: json },
      { rawBody: 'x', headers: { 'content-type': 'text/plain' } },
      { rawBody: 'x' },
    ];
    // QUERY (RFC 10008) is routed by Fastify, which wants a Content-Type with it; the 405 comes
    // before the body is judged, as for every other method.
    for (const method of ['QUERY', 'PUT', 'DELETE', 'OPTIONS', 'PROPFIND', 'SEARCH', 'LOCK']) {
      for (const body of bodies) {
        const what = `${method} ${JSON.stringify(body)}`;
        const anonymous = await refused(() => service.request(systems, { method, ...body }), 401);
        assert.deepEqual(anonymous, ['AccessUnauthorized'], what);
        const reply = await service.request(systems, { method, user: 'admin', ...body });
        assert.deepEqual(errorIds(reply, 405), ['OperationNotAllowed'], what);
        assert.equal(reply.headers.get('allow'), 'GET, HEAD', what);
      }
    }
    // TRACE, which fetch refuses to send.
    const trace = await raw(`TRACE ${systems} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.deepEqual(errorIds(trace, 401), ['AccessUnauthorized']);
    const root = await raw(`QUERY /redfish/v1/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.deepEqual(errorIds(root, 405), ['OperationNotAllowed']);
    assert.equal(root.headers.get('allow'), 'GET, HEAD');
  });

  void it('item 13: what the HTTP parser refuses still gets a Redfish error body', async () => {
    const answers = [
      [`FAKEMETHOD /redfish/v1/ HTTP/1.1\r\nHost: x\r\n\r\n`, 501],
      [`GET /redfish/v1/ HTTP/1.1\r\nHost: x\r\nNo-Colon\r\n\r\n`, 400],
      [`GET /redfish/v1/ HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ] as const;
    for (const [bytes, status] of answers) {
      const reply = await raw(bytes);
      errorIds(reply, status);
    }
  });

  void it('item 13: a POST to Sessions/Members logs in like a POST to Sessions', async () => {
    const reply = await service.request('/redfish/v1/SessionService/Sessions/Members', {
      method: 'POST',
      body: { UserName: 'operator-a', Password: 'operator-password' },
    });
    assert.equal(reply.status, 201, reply.text);
    validateRedfish(reply.body);
    assert.equal(reply.body.UserName, 'operator-a');
    const token = reply.headers.get('x-auth-token') ?? '';
    const location = reply.headers.get('location') ?? '';
    assert.equal(location, reply.body['@odata.id']);
    const secrets = simulatorOf(service).store.list('secrets', 'kubevirt-redfish').items;
    assert.ok(
      secrets.some((s) => s.metadata.name === `redfish-session-${reply.body.Id}`),
      'the session is a Secret in the cluster',
    );
    const mine = await service.request(location, { token });
    assert.equal(mine.status, 200);
    assert.equal((await service.request(location, { method: 'DELETE', token })).status, 204);
    // Wrong credentials and bad bodies answer as the collection does.
    const wrong = await refused(
      () =>
        service.request('/redfish/v1/SessionService/Sessions/Members', {
          method: 'POST',
          body: { UserName: 'operator-a', Password: 'nope' },
        }),
      401,
    );
    assert.deepEqual(wrong, ['AccessUnauthorized']);
  });

  void it('an unknown session token during an API outage is 503 with Retry-After, not 500', async () => {
    const sim = simulatorOf(service);
    sim.faults.unavailableFor(60_000);
    try {
      const reply = await service.request('/redfish/v1/Systems', { token: 'a'.repeat(43) });
      assert.deepEqual(errorIds(reply, 503), ['ServiceTemporarilyUnavailable']);
      assert.match(reply.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    } finally {
      sim.faults.clear();
    }
  });

  void it('logs an outage (503) as a warning without a stack', async () => {
    const sim = simulatorOf(service);
    const logged = logs.mark();
    sim.faults.unavailableFor(60_000);
    try {
      const reply = await service.request(systemUrl(system.id), {
        method: 'PATCH',
        user: 'admin',
        body: { Boot: { BootSourceOverrideTarget: 'Pxe' } },
      });
      assert.deepEqual(errorIds(reply, 503), ['ServiceTemporarilyUnavailable']);
    } finally {
      sim.faults.clear();
    }
    const lines = logged();
    assert.ok(lines.some((l) => l.level === logLevel.warn && l.msg === 'request not served'));
    for (const line of lines) {
      assert.ok(!hasStack(line), JSON.stringify(line));
      assert.ok(line.level < logLevel.error, JSON.stringify(line));
    }
  });
});
