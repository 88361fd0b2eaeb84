// Every error case of issue 3 (items 4, 5 and 7) over real HTTP against the simulator: status,
// error.code, each @Message.ExtendedInfo MessageId and a body valid against redfish-error, and
// that the cluster is left untouched. Ends with an API-server outage (503 + Retry-After) and the
// recovery from it.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { VirtualMachine } from '../../src/kube/types.ts';
import { startService, type Reply, type TestService } from '../helpers/service.ts';
import { errorIds } from '../conformance/redfish-errors.ts';
import {
  postReset,
  reset,
  resetUrl,
  simulatorOf,
  storedVm,
  storedVmi,
  systemUrl,
  vmKey,
  waitForSystem,
  writes,
} from './systems-http.ts';

const off = { namespace: 'demo-a', name: 'legacy-bios', id: 'demo-a.legacy-bios' };
const oneMiB = 1024 * 1024;

/** Asserts a single-message error: status, error.code and the one MessageId. */
const expectError = (reply: Reply, status: number, id: string, what = id): void => {
  assert.deepEqual(errorIds(reply, status), [id], what);
  assert.equal(reply.body.error.code, `Base.1.22.${id}`, what);
};

void describe('Redfish errors over HTTP', () => {
  let service: TestService;
  let unchanged: () => void;
  before(async () => {
    service = await startService();
    await service.waitFor(async () => (await service.request('/readyz')).status === 200);
  });
  after(() => service.close());

  /** Remembers every demo VM's resourceVersion and the API write count; `unchanged()` asserts
   *  neither moved. */
  const snapshot = () => {
    const versions = () =>
      (simulatorOf(service).store.list(vmKey).items as unknown as VirtualMachine[])
        .map((vm) => `${vm.metadata.namespace}/${vm.metadata.name}@${vm.metadata.resourceVersion}`)
        .sort();
    const before = versions();
    const calls = writes(service);
    unchanged = () => {
      assert.equal(writes(service), calls, 'no API write');
      assert.deepEqual(versions(), before, 'no VM changed');
    };
  };

  const patch = (body: unknown, id = off.id) =>
    service.request(systemUrl(id), { method: 'PATCH', user: 'admin', body });

  void describe('Reset (item 4)', () => {
    before(snapshot);

    void it('a missing ResetType is ActionParameterMissing', async () => {
      expectError(
        await service.request(resetUrl(off.id), { method: 'POST', user: 'admin', body: {} }),
        400,
        'ActionParameterMissing',
      );
      unchanged();
    });

    void it('a value outside ResetType@Redfish.AllowableValues is ActionParameterValueNotInList', async () => {
      const system = await service.getValid(systemUrl(off.id));
      const allowed = system.Actions['#ComputerSystem.Reset'][
        'ResetType@Redfish.AllowableValues'
      ] as string[];
      // DMTF ResetTypes this platform does not offer, and a word that is none.
      for (const value of ['Nmi', 'PowerCycle', 'FullPowerCycle', 'Suspend', 'Explode']) {
        assert.ok(!allowed.includes(value));
        const reply = await postReset(service, off.id, value);
        expectError(reply, 400, 'ActionParameterValueNotInList', value);
        assert.deepEqual(reply.body.error['@Message.ExtendedInfo'][0].MessageArgs, [
          value,
          'ResetType',
          'ComputerSystem.Reset',
        ]);
      }
      expectError(await postReset(service, off.id, 7), 400, 'ActionParameterValueTypeError');
      unchanged();
    });

    void it('an unknown parameter is ActionParameterUnknown, even beside a valid ResetType', async () => {
      const reply = await service.request(resetUrl(off.id), {
        method: 'POST',
        user: 'admin',
        body: { ResetType: 'On', Force: true },
      });
      expectError(reply, 400, 'ActionParameterUnknown');
      assert.equal(storedVmi(service, off.namespace, off.name), undefined, 'not powered on');
      unchanged();
    });

    void it('an action the VM cannot take in its state is 409 ActionParameterValueConflict', async () => {
      assert.equal((await service.getValid(systemUrl(off.id))).PowerState, 'Off');
      for (const resetType of ['Pause', 'Resume']) {
        const reply = await postReset(service, off.id, resetType);
        expectError(reply, 409, 'ActionParameterValueConflict', resetType);
        assert.deepEqual(reply.body.error['@Message.ExtendedInfo'][0].MessageArgs, [
          'ResetType',
          resetType,
        ]);
      }
      unchanged();
    });
  });

  void describe('boot override PATCH (item 5)', () => {
    before(snapshot);

    void it('an unknown property is PropertyUnknown', async () => {
      expectError(await patch({ NoSuchProperty: 1 }), 400, 'PropertyUnknown');
      expectError(await patch({ Boot: { NoSuchBootProperty: 'x' } }), 400, 'PropertyUnknown');
      unchanged();
    });

    void it('a read-only property is PropertyNotWritable', async () => {
      for (const body of [
        { PowerState: 'On' },
        { Id: 'other' },
        { UUID: '00000000-0000-0000-0000-000000000000' },
        { Boot: { 'BootSourceOverrideTarget@Redfish.AllowableValues': ['Usb'] } },
      ])
        expectError(await patch(body), 400, 'PropertyNotWritable', JSON.stringify(body));
      unchanged();
    });

    void it('a bad boot value is PropertyValueNotInList, naming the property', async () => {
      for (const [property, value] of [
        ['BootSourceOverrideTarget', 'Floppy'],
        ['BootSourceOverrideEnabled', 'Always'],
        ['BootSourceOverrideMode', 'BIOS'],
      ] as const) {
        const reply = await patch({ Boot: { [property]: value } });
        expectError(reply, 400, 'PropertyValueNotInList', property);
        assert.deepEqual(reply.body.error['@Message.ExtendedInfo'][0].RelatedProperties, [
          `#/Boot/${property}`,
        ]);
      }
      unchanged();
    });

    void it('a DMTF target outside the system’s AllowableValues is PropertyValueNotInList', async () => {
      expectError(
        await patch({ Boot: { BootSourceOverrideTarget: 'UefiHttp' } }),
        400,
        'PropertyValueNotInList',
      );
      unchanged();
      // A VM without a NIC cannot boot from the network: Pxe leaves its AllowableValues.
      const [namespace, name, id] = ['demo-b', 'app-server-2', 'demo-b.app-server-2'];
      simulatorOf(service).store.mutate(vmKey, namespace, name, (draft) => {
        const spec = (draft as unknown as VirtualMachine).spec.template!.spec!;
        spec.domain!.devices!.interfaces = [];
        (spec as { networks?: unknown[] }).networks = [];
      });
      await waitForSystem(
        service,
        id,
        (s) => !s.Boot['BootSourceOverrideTarget@Redfish.AllowableValues'].includes('Pxe'),
        'Pxe no longer allowed',
      );
      snapshot();
      const reply = await patch({ Boot: { BootSourceOverrideTarget: 'Pxe' } }, id);
      expectError(reply, 400, 'PropertyValueNotInList');
      assert.equal(reply.body.error['@Message.ExtendedInfo'][0].MessageArgs[0], 'Pxe');
      unchanged();
    });
  });

  void describe('protocol errors (item 7)', () => {
    before(snapshot);

    void it('an unknown URL is 404 InvalidURI', async () => {
      for (const url of [
        '/redfish/v1/Nope',
        `${systemUrl(off.id)}/Nope`,
        `${systemUrl(off.id)}/Actions/ComputerSystem.Explode`,
        '/redfish/v2',
      ])
        expectError(await service.request(url, { user: 'admin' }), 404, 'InvalidURI', url);
    });

    void it('a method a URL does not take is 405 with Allow', async () => {
      for (const [method, url, allow] of [
        ['DELETE', systemUrl(off.id), 'GET, HEAD, PATCH'],
        ['POST', systemUrl(off.id), 'GET, HEAD, PATCH'],
        ['PUT', systemUrl(off.id), 'GET, HEAD, PATCH'],
        ['GET', resetUrl(off.id), 'POST'],
        ['PATCH', '/redfish/v1/Systems', 'GET, HEAD'],
      ] as const) {
        const reply = await service.request(url, {
          method,
          user: 'admin',
          ...(method === 'GET' || method === 'DELETE' ? {} : { body: { ResetType: 'On' } }),
        });
        expectError(reply, 405, 'OperationNotAllowed', `${method} ${url}`);
        assert.equal(reply.headers.get('allow'), allow, `${method} ${url}`);
      }
      unchanged();
    });

    void it('a body that is not JSON is 415', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])
        expectError(
          await service.request(resetUrl(off.id), {
            method: 'POST',
            user: 'admin',
            rawBody: 'ResetType=On',
            headers: { 'content-type': type },
          }),
          415,
          'HeaderInvalid',
          type,
        );
      // No Content-Type at all (a byte body gets none from fetch).
      const untyped = await fetch(`${service.url}${resetUrl(off.id)}`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from('admin:admin-password').toString('base64')}`,
        },
        body: new TextEncoder().encode('{"ResetType":"On"}'),
      });
      const text = await untyped.text();
      expectError(
        { status: untyped.status, headers: untyped.headers, text, body: JSON.parse(text) },
        415,
        'HeaderMissing',
      );
      unchanged();
    });

    void it('malformed JSON is 400 MalformedJSON', async () => {
      for (const [method, url] of [
        ['POST', resetUrl(off.id)],
        ['PATCH', systemUrl(off.id)],
      ] as const)
        for (const rawBody of ['{"ResetType": ', '{ResetType: On}', '{"Boot": {}}}'])
          expectError(
            await service.request(url, {
              method,
              user: 'admin',
              rawBody,
              headers: { 'content-type': 'application/json' },
            }),
            400,
            'MalformedJSON',
            `${method} ${rawBody}`,
          );
      unchanged();
    });

    void it('a body over 1 MiB is refused with 413; one just under is parsed', async () => {
      const body = (size: number) => {
        const head = '{"ResetType":"On","Pad":"';
        return `${head}${'x'.repeat(size - head.length - 2)}"}`;
      };
      const send = (rawBody: string) =>
        service.request(resetUrl(off.id), {
          method: 'POST',
          user: 'admin',
          rawBody,
          headers: { 'content-type': 'application/json' },
        });
      expectError(await send(body(oneMiB + 1)), 413, 'PayloadTooLarge');
      expectError(await send(body(oneMiB - 16)), 400, 'ActionParameterUnknown');
      unchanged();
    });

    void it('missing or wrong credentials are 401 with WWW-Authenticate, before anything else', async () => {
      const basic = (credentials: string) => ({
        authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
      });
      const requests = [
        ['GET', systemUrl(off.id), undefined],
        ['GET', '/redfish/v1/Systems/no-such-vm', undefined],
        ['POST', resetUrl(off.id), { ResetType: 'On' }],
        ['PATCH', systemUrl(off.id), { Boot: { BootSourceOverrideTarget: 'Pxe' } }],
      ] as const;
      // Every request without credentials; each kind of bad credentials on one request (failed
      // logins are rate-limited per address, and the later tests still need to log in).
      const attempts: [string, Record<string, string>, (typeof requests)[number]][] = [
        ...requests.map((r): [string, Record<string, string>, (typeof requests)[number]] => [
          'none',
          {},
          r,
        ]),
        ['wrong password', basic('admin:not-the-password'), requests[2]],
        ['unknown user', basic('mallory:admin-password'), requests[0]],
        ['no colon', basic('admin'), requests[3]],
        ['not base64', { authorization: 'Basic !!!' }, requests[1]],
        ['bogus session token', { 'x-auth-token': 'not-a-session' }, requests[2]],
      ];
      for (const [what, headers, [method, url, body]] of attempts) {
        const reply = await service.request(url, {
          method,
          headers,
          ...(body === undefined ? {} : { body }),
        });
        expectError(reply, 401, 'AccessUnauthorized', `${what}: ${method} ${url}`);
        assert.match(reply.headers.get('www-authenticate') ?? '', /^Basic realm="[^"]+"/, what);
      }
      assert.equal((await service.request(systemUrl(off.id), { user: 'admin' })).status, 200);
      // The service root stays public.
      assert.equal((await service.request('/redfish/v1/')).status, 200);
      unchanged();
    });
  });

  void it('an API-server outage is 503 with Retry-After, and the service recovers', async () => {
    const sim = simulatorOf(service);
    const id = 'demo-b.monitoring';
    const retryAfter = (reply: Reply) =>
      assert.match(reply.headers.get('retry-after') ?? '', /^[1-9]\d*$/, 'Retry-After seconds');
    sim.faults.unavailableFor(60_000);
    try {
      // The watches still run: reads come from the caches, writes meet the outage.
      assert.equal((await service.request(systemUrl(id), { user: 'admin' })).status, 200);
      for (const reply of [
        await postReset(service, id, 'On'),
        await patch({ Boot: { BootSourceOverrideTarget: 'Pxe' } }, id),
      ]) {
        expectError(reply, 503, 'ServiceTemporarilyUnavailable');
        retryAfter(reply);
      }
      sim.faults.dropAllWatches();
      // Without its watches the cache may be stale: once the 10 s grace for a short drop is over,
      // reads too answer 503 rather than guess.
      await service.waitFor(
        async () => (await service.request(systemUrl(id), { user: 'admin' })).status === 503,
        30_000,
      );
      for (const url of [systemUrl(id), '/redfish/v1/Systems']) {
        const read = await service.request(url, { user: 'admin' });
        expectError(read, 503, 'ServiceTemporarilyUnavailable', url);
        retryAfter(read);
      }
      const down = await postReset(service, id, 'On');
      expectError(down, 503, 'ServiceTemporarilyUnavailable');
      retryAfter(down);
      assert.equal(storedVmi(service, 'demo-b', 'monitoring'), undefined, 'nothing started');
      assert.equal(
        storedVm(service, 'demo-b', 'monitoring').metadata.annotations?.[
          'kubevirt-redfish.io/boot'
        ],
        undefined,
      );
    } finally {
      sim.faults.clear();
    }
    await service.waitFor(
      async () => (await service.request(systemUrl(id), { user: 'admin' })).status === 200,
      20_000,
    );
    await service.waitFor(async () => (await postReset(service, id, 'On')).status === 204, 20_000);
    await waitForSystem(service, id, (s) => s.PowerState === 'On', 'On after the outage');
    await reset(service, id, 'ForceOff');
  });
});
