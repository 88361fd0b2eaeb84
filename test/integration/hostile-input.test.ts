// Issue 11's hostile-input reproducers (items 1, 2 and 3) over real HTTP against the simulator:
// each answers a Redfish 4xx naming the problem, changes nothing in the cluster, and logs no
// stack trace (a client's mistake is not a defect of ours).
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { errorIds } from '../conformance/redfish-errors.ts';
import { captureLogs, hasStack, logLevel, type LogCapture } from '../helpers/log-capture.ts';
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
});
