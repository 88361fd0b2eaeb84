// HTTP-level tests of the Redfish layer over fastify.inject: public documents, authentication,
// scope and protocol errors and metrics (the writes and the crawl have files of their own). The
// doubles are in test/helpers/redfish-app.ts.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { validateRedfish } from '../../test/helpers/redfish-schema.ts';
import {
  makeApp,
  basic,
  call,
  redfish,
  errorIds,
  resetUrl,
  type Request,
} from '../../test/helpers/redfish-app.ts';

void describe('public documents', () => {
  void it('serves the version object and the service root without credentials', async () => {
    const { app } = await makeApp();
    const version = await call(app, '/redfish');
    assert.equal(version.statusCode, 200);
    assert.deepEqual(version.json(), { v1: '/redfish/v1/' });
    assert.equal(version.headers['odata-version'], '4.0');

    const bare = await call(app, '/redfish/v1');
    const slash = await call(app, '/redfish/v1/');
    assert.equal(bare.statusCode, 200);
    assert.equal(bare.body, slash.body);
    const root = bare.json();
    assert.equal(root.Id, 'RootService');
    assert.equal(root.UUID, '0b5d3c2e-1111-4222-8333-444455556666');
    assert.equal(root.Vendor, 'KubeVirt');
    assert.deepEqual(root.Systems, { '@odata.id': '/redfish/v1/Systems' });
    assert.equal(root.ProtocolFeaturesSupported.SelectQuery, true);
    assert.deepEqual(root.Links, {
      Sessions: { '@odata.id': '/redfish/v1/SessionService/Sessions' },
    });
    assert.deepEqual(root.SessionService, { '@odata.id': '/redfish/v1/SessionService' });
    validateRedfish(root);
  });

  void it('advertises no SessionService, AccountService or Links.Sessions without their dependencies', async () => {
    const { app } = await makeApp({ bare: true });
    const root = (await call(app, '/redfish/v1')).json();
    assert.equal(root.SessionService, undefined);
    assert.equal(root.AccountService, undefined);
    assert.equal(root.Links, undefined);
    assert.ok(root.JsonSchemas);
    assert.equal(
      (await call(app, '/redfish/v1/SessionService/Sessions', { method: 'POST', body: {} }))
        .statusCode,
      404,
    );
  });
});

void describe('authentication and privilege', () => {
  void it('asks for Basic credentials on every protected URL, before anything else', async () => {
    const { app, backend } = await makeApp();
    for (const res of [
      await call(app, '/redfish/v1/Systems'),
      await call(app, '/redfish/v1/Systems/demo-a.web', {
        user: 'admin',
        headers: { authorization: basic('admin', 'wrong') },
      }),
      await call(app, '/redfish/v1/Systems/nonexistent'),
      await call(app, resetUrl('demo-a.web'), { method: 'POST', body: '{not json' }),
      await call(app, '/redfish/v1/Systems/demo-a.web', { method: 'DELETE' }),
    ]) {
      assert.deepEqual(errorIds(res, 401), ['AccessUnauthorized']);
      assert.equal(res.headers['www-authenticate'], 'Basic realm="kubevirt-redfish"');
    }
    assert.equal(backend.calls.length, 0);
  });

  void it('tells a rate-limited client when to retry, and nothing more', async () => {
    const { app } = await makeApp();
    const res = await call(app, '/redfish/v1/Systems', { user: 'locked' });
    assert.deepEqual(errorIds(res, 401), ['AccessUnauthorized']);
    assert.equal(res.headers['retry-after'], '30');
  });

  void it('lets ReadOnly read but not reset or PATCH (403)', async () => {
    const { app, backend } = await makeApp();
    assert.equal(
      (await call(app, '/redfish/v1/Systems/demo-a.web', { user: 'viewer' })).statusCode,
      200,
    );
    const reset = await call(app, resetUrl('demo-a.web'), {
      method: 'POST',
      user: 'viewer',
      body: { ResetType: 'On' },
    });
    assert.deepEqual(errorIds(reset, 403), ['InsufficientPrivilege']);
    const patch = await call(app, '/redfish/v1/Systems/demo-a.web', {
      method: 'PATCH',
      user: 'viewer',
      body: { Boot: { BootSourceOverrideTarget: 'Pxe' } },
    });
    assert.deepEqual(errorIds(patch, 403), ['InsufficientPrivilege']);
    assert.equal(backend.calls.length, 0);
  });
});

void describe('scope', () => {
  void it('lists only the caller’s systems, managers and chassis', async () => {
    const { app } = await makeApp();
    const ids = async (url: string, user: string) =>
      (redfish(await call(app, url, { user })).Members as { '@odata.id': string }[]).map((m) =>
        m['@odata.id'].split('/').pop(),
      );
    assert.deepEqual(await ids('/redfish/v1/Systems', 'oper'), [
      'demo-a.db.primary',
      'demo-a.dup',
      'demo-a.web',
    ]);
    assert.deepEqual(await ids('/redfish/v1/Systems', 'admin'), [
      'demo-a.db.primary',
      'demo-a.dup',
      'demo-a.web',
      'demo-b.api',
      'demo-b.dup',
    ]);
    assert.deepEqual(await ids('/redfish/v1/Managers', 'oper'), [
      'demo-a.db.primary',
      'demo-a.dup',
      'demo-a.web',
    ]);
    assert.deepEqual(await ids('/redfish/v1/Chassis', 'oper'), ['chassis-a']);
    const collection = redfish(await call(app, '/redfish/v1/Systems', { user: 'oper' }));
    assert.equal(collection['Members@odata.count'], 3);
  });

  void it('answers a system outside the caller’s chassis exactly like a missing one, on every method', async () => {
    const { app, backend } = await makeApp();
    const requests: [string, Request][] = [
      ['/redfish/v1/Systems/ID', { user: 'oper' }],
      ['/redfish/v1/Managers/ID', { user: 'oper' }],
      [
        '/redfish/v1/Systems/ID',
        { method: 'PATCH', user: 'oper', body: { Boot: { BootSourceOverrideTarget: 'Pxe' } } },
      ],
      [resetUrl('ID'), { method: 'POST', user: 'oper', body: { ResetType: 'On' } }],
    ];
    for (const [url, req] of requests) {
      const hidden = await call(app, url.replace('ID', 'demo-b.api'), req);
      const missing = await call(app, url.replace('ID', 'demo-b.nope'), req);
      assert.equal(hidden.statusCode, 404);
      assert.equal(
        hidden.body.replaceAll('demo-b.api', 'X'),
        missing.body.replaceAll('demo-b.nope', 'X'),
      );
      assert.deepEqual(errorIds(hidden, 404), ['ResourceNotFound']);
    }
    assert.deepEqual(
      errorIds(await call(app, '/redfish/v1/Chassis/chassis-b', { user: 'oper' }), 404),
      ['ResourceNotFound'],
    );
    assert.equal(backend.calls.length, 0);
  });

  void it('accepts an unambiguous alias and refuses an ambiguous one clearly', async () => {
    const { app } = await makeApp();
    assert.equal(
      redfish(await call(app, '/redfish/v1/Systems/dup', { user: 'oper' })).Id,
      'demo-a.dup',
    );
    const res = await call(app, '/redfish/v1/Systems/dup', { user: 'admin' });
    assert.deepEqual(errorIds(res, 409), ['GeneralError']);
    assert.match(res.json().error['@Message.ExtendedInfo'][0].Resolution, /more than one system/);
  });

  void it('answers 503 with Retry-After until the caches have synced', async () => {
    const { app, backend } = await makeApp();
    backend.ready = false;
    const res = await call(app, '/redfish/v1/Systems', { user: 'admin' });
    assert.deepEqual(errorIds(res, 503), ['ServiceTemporarilyUnavailable']);
    assert.equal(res.headers['retry-after'], '10');
  });
});

void describe('protocol errors', () => {
  void it('answers an unknown URL with 404 InvalidURI', async () => {
    const { app } = await makeApp();
    assert.deepEqual(errorIds(await call(app, '/redfish/v1/Nope'), 404), ['InvalidURI']);
    assert.deepEqual(
      errorIds(
        await call(app, '/redfish/v1/Systems/demo-a.web/PCIeDevices', { user: 'admin' }),
        404,
      ),
      ['InvalidURI'],
    );
  });

  void it('answers an unsupported method with 405 and Allow', async () => {
    const { app } = await makeApp();
    const del = await call(app, '/redfish/v1/Systems/demo-a.web', {
      method: 'DELETE',
      user: 'admin',
    });
    assert.deepEqual(errorIds(del, 405), ['OperationNotAllowed']);
    assert.equal(del.headers.allow, 'GET, HEAD, PATCH');
    const get = await call(app, resetUrl('demo-a.web'), { user: 'admin' });
    assert.deepEqual(errorIds(get, 405), ['OperationNotAllowed']);
    assert.equal(get.headers.allow, 'POST');
    const root = await call(app, '/redfish/v1/', { method: 'POST', body: {} });
    assert.deepEqual(errorIds(root, 405), ['OperationNotAllowed']);
    assert.equal(root.headers.allow, 'GET, HEAD');
  });

  void it('refuses bodies that are not JSON (415) or too large (413)', async () => {
    const { app, backend } = await makeApp({ bodyLimitBytes: 256 });
    const text = await call(app, resetUrl('demo-a.web'), {
      method: 'POST',
      user: 'admin',
      body: 'ResetType=On',
      headers: { 'content-type': 'text/plain' },
    });
    assert.deepEqual(errorIds(text, 415), ['HeaderInvalid']);
    const untyped = await app.inject({
      method: 'POST',
      url: resetUrl('demo-a.web'),
      headers: { authorization: basic('admin') },
      payload: '{"ResetType":"On"}',
    });
    assert.deepEqual(errorIds(untyped, 415), ['HeaderMissing']);
    const big = await call(app, resetUrl('demo-a.web'), {
      method: 'POST',
      user: 'admin',
      body: { ResetType: 'On', pad: 'x'.repeat(300) },
    });
    assert.deepEqual(errorIds(big, 413), ['PayloadTooLarge']);
    assert.equal(backend.calls.length, 0);
  });

  void it('answers 501 for query options it does not implement and ignores other parameters', async () => {
    const { app } = await makeApp();
    const filter = await call(app, '/redfish/v1/Systems?$filter=Id%20eq%20x&excerpt', {
      user: 'admin',
    });
    assert.deepEqual(errorIds(filter, 501), [
      'QueryParameterUnsupported',
      'QueryParameterUnsupported',
    ]);
    assert.equal(
      (await call(app, '/redfish/v1/Systems?foo=bar', { user: 'admin' })).statusCode,
      200,
    );
  });

  void it('answers an unexpected exception with 500 InternalError and logs it as an error', async () => {
    const { app, backend, logs } = await makeApp();
    backend.brokenCache = new TypeError('bug in the cache');
    assert.deepEqual(errorIds(await call(app, '/redfish/v1/Systems', { user: 'admin' }), 500), [
      'InternalError',
    ]);
    const line = logs.find((l) => l.level === 50);
    assert.ok(line);
    assert.match(JSON.stringify(line.err), /bug in the cache/);
  });

  void it('never logs credentials', async () => {
    const { app, logs } = await makeApp();
    await call(app, '/redfish/v1/Systems', {
      user: 'admin',
      headers: { authorization: basic('admin', 'wrong') },
    });
    await call(app, '/redfish/v1/Systems', { user: 'admin' });
    const text = JSON.stringify(logs);
    assert.ok(!text.includes(Buffer.from('admin:adminpw').toString('base64')));
    assert.ok(!text.includes('adminpw'));
  });
});

void describe('metrics', () => {
  void it('counts requests by route template, method and status', async () => {
    const { app, metrics } = await makeApp();
    await call(app, '/redfish/v1/Systems/demo-a.web', { user: 'admin' });
    await call(app, '/redfish/v1/Systems/demo-a.nope', { user: 'admin' });
    await call(app, '/redfish/v1/Systems/demo-a.nope', { user: 'admin' });
    await call(app, '/no/such/url');
    const count = async (labels: Record<string, string>) =>
      (await metrics.registry.getSingleMetric('redfish_http_requests_total')?.get())?.values.find(
        (v) => Object.entries(labels).every(([k, value]) => v.labels[k as 'route'] === value),
      )?.value;
    const route = '/redfish/v1/Systems/:systemId';
    assert.equal(await count({ route, method: 'GET', status: '200' }), 1);
    assert.equal(await count({ route, method: 'GET', status: '404' }), 2);
    assert.equal(await count({ route: 'unmatched', method: 'GET', status: '404' }), 1);
  });
});
