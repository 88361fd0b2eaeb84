// Unit tests of query-option parsing and shaping, with a literal resource reader.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { matchRoute, type Route } from './handler.ts';
import { RedfishError } from './messages.ts';
import { applyQuery, parseQuery, type ResourceReader } from './query.ts';

const failsWith =
  (status: number, ...keys: string[]) =>
  (error: unknown) =>
    error instanceof RedfishError &&
    error.status === status &&
    error.messages.map((m) => m.key).join() === keys.join();

const collection = {
  '@odata.id': '/c',
  '@odata.type': '#X.X',
  Members: [{ '@odata.id': '/c/1' }, { '@odata.id': '/c/2' }, { '@odata.id': '/c/3' }],
  'Members@odata.count': 3,
  Links: { Other: { '@odata.id': '/o' } },
};

const reader: ResourceReader = (uri) =>
  Promise.resolve(uri === '/hidden' ? undefined : { '@odata.id': uri, Name: `n${uri}` });

void describe('parseQuery', () => {
  void it('reads the implemented options and ignores foreign parameters', () => {
    assert.deepEqual(
      parseQuery(
        { $select: 'A,B/C', $expand: '~($levels=1)', $top: '2', $skip: '0', x: 'y' },
        true,
      ),
      { only: false, select: [['A'], ['B', 'C']], expand: 'links', top: 2, skip: 0 },
    );
    assert.deepEqual(parseQuery({ only: '' }, true), { only: true });
    assert.deepEqual(parseQuery({ foo: '1' }, false), { only: false });
  });

  void it('names every unimplemented option in one 501', () => {
    assert.throws(
      () => parseQuery({ $filter: 'a', excerpt: '', $expand: '.' }, true),
      failsWith(501, 'QueryParameterUnsupported', 'QueryParameterUnsupported'),
    );
  });

  void it('answers malformed values with 400', () => {
    assert.throws(
      () => parseQuery({ $top: '1.5' }, true),
      failsWith(400, 'QueryParameterValueTypeError'),
    );
    assert.throws(
      () => parseQuery({ $skip: '-3' }, true),
      failsWith(400, 'QueryParameterOutOfRange'),
    );
    assert.throws(
      () => parseQuery({ $expand: '.($levels=0)' }, true),
      failsWith(400, 'QueryParameterOutOfRange'),
    );
    assert.throws(
      () => parseQuery({ only: '', $select: 'A' }, true),
      failsWith(400, 'QueryCombinationInvalid'),
    );
    assert.throws(
      () => parseQuery({ $select: 'A' }, false),
      failsWith(400, 'QueryNotSupportedOnOperation'),
    );
  });
});

void describe('applyQuery', () => {
  const request = { path: '/c', rawQuery: '$top=1&$skip=1&$expand=.', read: reader };

  void it('pages, then expands only the current page', async () => {
    const body = await applyQuery(
      collection,
      { only: false, top: 1, skip: 1, expand: 'noLinks' },
      request,
    );
    assert.deepEqual(body.Members, [{ '@odata.id': '/c/2', Name: 'n/c/2' }]);
    assert.equal(body['Members@odata.count'], 3);
    assert.equal(body['Members@odata.nextLink'], '/c?$top=1&$expand=.&$skip=2');
    assert.deepEqual(body.Links, collection.Links);
  });

  void it('leaves references the caller cannot read as they are', async () => {
    const body = await applyQuery(
      { '@odata.id': '/r', Links: { A: { '@odata.id': '/hidden' }, B: [{ '@odata.id': '/b' }] } },
      { only: false, expand: 'all' },
      request,
    );
    assert.deepEqual(body.Links, {
      A: { '@odata.id': '/hidden' },
      B: [{ '@odata.id': '/b', Name: 'n/b' }],
    });
  });

  void it('only replaces a one-member collection by its member', async () => {
    const one = { ...collection, Members: [{ '@odata.id': '/c/1' }], 'Members@odata.count': 1 };
    assert.deepEqual(await applyQuery(one, { only: true }, request), {
      '@odata.id': '/c/1',
      Name: 'n/c/1',
    });
    assert.equal(await applyQuery(collection, { only: true }, request), collection);
  });

  void it('selects nested properties and keeps @odata.id and @odata.type', async () => {
    const body = await applyQuery(
      { '@odata.id': '/s', '@odata.type': '#S.S', Name: 'n', Boot: { A: 1, B: 2 }, Other: 3 },
      { only: false, select: [['Boot', 'B'], ['Missing']] },
      request,
    );
    assert.deepEqual(body, { '@odata.id': '/s', '@odata.type': '#S.S', Boot: { B: 2 } });
  });
});

void describe('matchRoute', () => {
  const handler = () => ({ status: 200 });
  const routes: Route[] = [
    { method: 'GET', url: '/redfish/v1/Systems/:systemId', privilege: 'Login', handler },
    { method: 'GET', url: '/redfish/v1/JsonSchemas/:schemaId/:file', privilege: 'Login', handler },
  ];
  void it('matches literal segments and binds one segment per parameter', () => {
    assert.deepEqual(matchRoute(routes, 'GET', '/redfish/v1/Systems/a.b/')?.params, {
      systemId: 'a.b',
    });
    assert.deepEqual(matchRoute(routes, 'GET', '/redfish/v1/JsonSchemas/X/X.v1_0_0.json')?.params, {
      schemaId: 'X',
      file: 'X.v1_0_0.json',
    });
    assert.equal(matchRoute(routes, 'GET', '/redfish/v1/Systems/a/b'), undefined);
    assert.equal(matchRoute(routes, 'PATCH', '/redfish/v1/Systems/a'), undefined);
  });
});
