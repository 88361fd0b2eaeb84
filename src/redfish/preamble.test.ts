// Unit tests of the response preamble, ETags, If-Match and If-None-Match.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { RedfishError } from './messages.ts';
import { describedBy } from './odata.ts';
import {
  bodyHeaders,
  createEtagCache,
  etagOf,
  etagOfJson,
  parseIfMatch,
  matchesIfNoneMatch,
  requireIfMatch,
} from './preamble.ts';

const body = {
  '@odata.id': '/redfish/v1/Systems/a',
  '@odata.type': '#ComputerSystem.v1_27_0.ComputerSystem',
  Id: 'a',
};

void describe('preamble', () => {
  void it('makes strong, quoted, alphanumeric ETags that follow the body', () => {
    const tag = etagOf(body);
    assert.match(tag, /^"[0-9a-f]{32}"$/);
    assert.equal(etagOf({ ...body }), tag);
    assert.notEqual(etagOf({ ...body, Id: 'b' }), tag);
  });

  void it('links the schema of exactly the body version', () => {
    assert.equal(
      describedBy('#ComputerSystem.v1_27_0.ComputerSystem'),
      '/redfish/v1/JsonSchemas/ComputerSystem/ComputerSystem.v1_27_0.json',
    );
    assert.equal(
      describedBy('#ComputerSystemCollection.ComputerSystemCollection'),
      '/redfish/v1/JsonSchemas/ComputerSystemCollection/ComputerSystemCollection.json',
    );
    assert.equal(describedBy(undefined), undefined);
    assert.equal(describedBy('nonsense'), undefined);
  });

  void it('describes a resource body with content type, Link and ETag', () => {
    const json = JSON.stringify(body);
    assert.deepEqual(bodyHeaders(body, json), {
      'Content-Type': 'application/json; charset=utf-8',
      Link: '</redfish/v1/JsonSchemas/ComputerSystem/ComputerSystem.v1_27_0.json>; rel=describedby',
      ETag: etagOf(body),
    });
    assert.deepEqual(bodyHeaders({ v1: '/redfish/v1/' }, '{}'), {
      'Content-Type': 'application/json; charset=utf-8',
    });
  });

  void it('parses If-Match lists', () => {
    assert.equal(parseIfMatch(undefined), undefined);
    assert.deepEqual(parseIfMatch('"a", W/"b" ,*'), ['"a"', 'W/"b"', '*']);
  });

  void it('honours If-Match with strong comparison', () => {
    const current = etagOf(body);
    requireIfMatch(undefined, current);
    requireIfMatch(['*'], current);
    requireIfMatch(['"other"', current], current);
    const is412 = (e: unknown) => e instanceof RedfishError && e.status === 412;
    assert.throws(() => requireIfMatch(['"other"'], current), is412);
    assert.throws(() => requireIfMatch([`W/${current}`], current), is412);
    assert.throws(() => requireIfMatch([], current), is412);
  });

  void it('matches If-None-Match weakly, with * matching anything', () => {
    const current = etagOf({ '@odata.id': '/redfish/v1' });
    assert.equal(matchesIfNoneMatch(undefined, current), false);
    assert.equal(matchesIfNoneMatch('"other"', current), false);
    assert.equal(matchesIfNoneMatch(`"other", W/${current}`, current), true);
    assert.equal(matchesIfNoneMatch(current, current), true);
    assert.equal(matchesIfNoneMatch('*', current), true);
  });
});

void describe('ETag cache', () => {
  void it('gives the tag of the bytes, whether remembered or not', () => {
    const cached = createEtagCache(64);
    const bodies = ['{"a":1}', '{"a":2}', '{"b":"long enough to evict the others"}', '{"a":1}'];
    for (const json of [...bodies, ...bodies]) assert.equal(cached(json), etagOfJson(json));
    const big = `{"x":"${'y'.repeat(100)}"}`;
    assert.equal(cached(big), etagOfJson(big));
  });
});
