// DSP0266 header and query rules on the real service: OData-Version, If-None-Match, Allow and 405,
// Cache-Control, and each query option with and without support, including that $expand never
// shows what the caller's scope hides.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import { startService, type TestService } from '../helpers/service.ts';
import { errorIds } from './redfish-errors.ts';

const roles = '/redfish/v1/AccountService/Roles';

void describe('protocol rules', () => {
  let service: TestService;
  let system: string;
  before(async () => {
    service = await startService();
    const members = (await service.getValid('/redfish/v1/Systems')).Members;
    system = String(members[0]['@odata.id']);
  });
  after(() => service.close());

  void it('answers OData-Version 4.0 and refuses any other with 412', async () => {
    const ok = await service.request(system, {
      user: 'admin',
      headers: { 'odata-version': '4.0' },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('odata-version'), '4.0');
    const v41 = await service.request(system, {
      user: 'admin',
      headers: { 'odata-version': '4.1' },
    });
    assert.deepEqual(errorIds(v41, 412), ['HeaderInvalid']);
    // Authentication comes first.
    const anonymous = await service.request(system, { headers: { 'odata-version': '4.1' } });
    assert.deepEqual(errorIds(anonymous, 401), ['AccessUnauthorized']);
  });

  void it('answers If-None-Match with 304 while the representation is unchanged', async () => {
    const first = await service.request(system, { user: 'admin' });
    const etag = first.headers.get('etag') ?? '';
    assert.match(etag, /^"[0-9a-f]{32}"$/);
    for (const method of ['GET', 'HEAD']) {
      const same = await service.request(system, {
        method,
        user: 'admin',
        headers: { 'if-none-match': etag },
      });
      assert.equal(same.status, 304, method);
      assert.equal(same.text, '');
      assert.equal(same.headers.get('etag'), etag);
    }
    const weak = await service.request(system, {
      user: 'admin',
      headers: { 'if-none-match': `W/${etag}` },
    });
    assert.equal(weak.status, 304);
    const other = await service.request(system, {
      user: 'admin',
      headers: { 'if-none-match': '"0123"' },
    });
    assert.equal(other.status, 200);
    assert.deepEqual(other.body, first.body);
  });

  void it('gives a Manager the same ETag on HEAD and GET while only its DateTime moves', async () => {
    const manager = system.replace('/Systems/', '/Managers/');
    const first = await service.request(manager, { user: 'admin' });
    assert.equal(first.status, 200);
    validateRedfish(first.body);
    const etag = first.headers.get('etag') ?? '';
    assert.match(etag, /^"[0-9a-f]+"$/);
    // DateTime is to the second: wait until it has moved on.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const head = await service.request(manager, { method: 'HEAD', user: 'admin' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('etag'), etag, 'HEAD and GET agree');
    const second = await service.request(manager, { user: 'admin' });
    assert.notEqual(second.body.DateTime, first.body.DateTime, 'the clock moved');
    assert.equal(second.headers.get('etag'), etag, 'unchanged content, unchanged tag');
    const cached = await service.request(manager, {
      user: 'admin',
      headers: { 'if-none-match': etag },
    });
    assert.equal(cached.status, 304);
  });

  void it('answers an unrouted method with 405 and Allow, and Allow on every GET', async () => {
    const post = await service.request('/redfish/v1/Systems', {
      method: 'POST',
      user: 'admin',
      body: {},
    });
    assert.deepEqual(errorIds(post, 405), ['OperationNotAllowed']);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    const session = await service.request('/redfish/v1/SessionService', { user: 'admin' });
    assert.equal(session.headers.get('allow'), 'GET, HEAD, PATCH');
    const sessions = await service.request('/redfish/v1/SessionService/Sessions', {
      user: 'admin',
    });
    assert.equal(sessions.headers.get('allow'), 'GET, HEAD, POST');
  });

  void it('keeps shared caches from storing any answer', async () => {
    for (const reply of [
      await service.request('/redfish/v1'),
      await service.request(system, { user: 'admin' }),
      await service.request(system),
    ])
      assert.equal(reply.headers.get('cache-control'), 'no-store');
  });

  void it('advertises exactly the query support it has', async () => {
    const root = await service.getValid('/redfish/v1');
    assert.deepEqual(root.ProtocolFeaturesSupported, {
      ExpandQuery: { ExpandAll: true, Levels: true, Links: true, NoLinks: true, MaxLevels: 1 },
      SelectQuery: true,
      FilterQuery: false,
      OnlyMemberQuery: true,
      ExcerptQuery: false,
      TopSkipQuery: true,
      MultipleHTTPRequests: true,
    });
  });

  void it('$select keeps the named properties and the identity annotations', async () => {
    const reply = await service.request(`${system}?$select=Name,Boot/BootSourceOverrideTarget`, {
      user: 'admin',
    });
    assert.equal(reply.status, 200);
    assert.deepEqual(Object.keys(reply.body).sort(), ['@odata.id', '@odata.type', 'Boot', 'Name']);
    assert.deepEqual(Object.keys(reply.body.Boot), ['BootSourceOverrideTarget']);
    for (const bad of ['', 'Name,', 'Na me', 'Boot//X'])
      assert.deepEqual(
        errorIds(await service.request(`${system}?$select=${bad}`, { user: 'admin' }), 400),
        ['QueryParameterValueTypeError'],
        bad,
      );
  });

  void it('$expand inlines members and links, one level, within the caller’s scope', async () => {
    const expanded = await service.request('/redfish/v1/Systems?$expand=.($levels=1)', {
      user: 'viewer-b',
    });
    assert.equal(expanded.status, 200);
    validateRedfish(expanded.body);
    const members = expanded.body.Members as { Id: string; '@odata.type': string }[];
    assert.ok(members.length > 0);
    assert.equal(members.length, expanded.body['Members@odata.count']);
    for (const m of members) {
      assert.match(m['@odata.type'], /^#ComputerSystem\./);
      assert.ok(m.Id.startsWith('demo-b.'), `viewer-b expanded ${m.Id}`);
    }
    // `~` expands only Links; `.` only the rest; `*` both.
    const links = (await service.request(`${system}?$expand=~`, { user: 'admin' })).body;
    assert.ok(links.Links.Chassis[0].Name, 'Links.Chassis expanded');
    assert.deepEqual(Object.keys(links.VirtualMedia), ['@odata.id']);
    const noLinks = (await service.request(`${system}?$expand=.`, { user: 'admin' })).body;
    assert.ok(noLinks.VirtualMedia.Members, 'VirtualMedia expanded');
    assert.deepEqual(Object.keys(noLinks.Links.Chassis[0]), ['@odata.id']);
    const all = (await service.request(`${system}?$expand=*`, { user: 'admin' })).body;
    assert.ok(all.VirtualMedia.Members && all.Links.Chassis[0].Name);
    validateRedfish(all);
    // Anonymous: the root expands into nothing that needs credentials.
    const root = (await service.request('/redfish/v1?$expand=*')).body;
    assert.deepEqual(root.Systems, { '@odata.id': '/redfish/v1/Systems' });
    for (const [query, id] of [
      ['$expand=*($levels=2)', 'QueryParameterOutOfRange'],
      ['$expand=x', 'QueryParameterValueTypeError'],
      ['$expand=.($levels=one)', 'QueryParameterValueTypeError'],
    ] as const)
      assert.deepEqual(
        errorIds(await service.request(`${system}?${query}`, { user: 'admin' }), 400),
        [id],
      );
  });

  void it('only returns the single member of a one-member collection', async () => {
    const mine = await service.request('/redfish/v1/AccountService/Accounts?only', {
      user: 'viewer-b',
    });
    assert.equal(mine.status, 200);
    assert.equal(mine.body['@odata.id'], '/redfish/v1/AccountService/Accounts/viewer-b');
    const many = await service.request(`${roles}?only`, { user: 'admin' });
    assert.equal(many.body['@odata.id'], roles);
    assert.deepEqual(errorIds(await service.request(`${roles}?only=1`, { user: 'admin' }), 400), [
      'QueryParameterValueTypeError',
    ]);
    assert.deepEqual(
      errorIds(await service.request(`${roles}?only&$top=1`, { user: 'admin' }), 400),
      ['QueryCombinationInvalid'],
    );
  });

  void it('$top and $skip page Members with a nextLink, the count staying the total', async () => {
    const page = await service.request(`${roles}?$top=1&$skip=1`, { user: 'admin' });
    assert.equal(page.status, 200);
    validateRedfish(page.body);
    assert.deepEqual(page.body.Members, [{ '@odata.id': `${roles}/Operator` }]);
    assert.equal(page.body['Members@odata.count'], 3);
    assert.equal(page.body['Members@odata.nextLink'], `${roles}?$top=1&$skip=2`);
    const last = await service.request(page.body['Members@odata.nextLink'], { user: 'admin' });
    assert.deepEqual(last.body.Members, [{ '@odata.id': `${roles}/ReadOnly` }]);
    assert.equal(last.body['Members@odata.nextLink'], undefined);
    for (const [query, id] of [
      ['$top=-1', 'QueryParameterOutOfRange'],
      ['$skip=abc', 'QueryParameterValueTypeError'],
      ['$top=1&$top=2', 'QueryParameterValueTypeError'],
    ] as const)
      assert.deepEqual(
        errorIds(await service.request(`${roles}?${query}`, { user: 'admin' }), 400),
        [id],
      );
  });

  void it('answers 501 for query options it does not implement, 400 for any on a write', async () => {
    for (const query of ['$filter=Id%20eq%20x', 'excerpt', '$apply=x'])
      assert.deepEqual(
        errorIds(await service.request(`/redfish/v1/Systems?${query}`, { user: 'admin' }), 501),
        ['QueryParameterUnsupported'],
      );
    assert.equal(
      (await service.request('/redfish/v1/Systems?other=1', { user: 'admin' })).status,
      200,
    );
    const write = await service.request('/redfish/v1/SessionService?$select=Id', {
      method: 'PATCH',
      user: 'admin',
      body: { SessionTimeout: 900 },
    });
    assert.deepEqual(errorIds(write, 400), ['QueryNotSupportedOnOperation']);
  });
});
