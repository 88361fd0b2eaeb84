// The store's JSON copy and equality agree with a JSON round trip, which they replace.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyJson, deepFreeze, jsonEqual } from './json-values.ts';

const roundTrip = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

describe('copyJson', () => {
  it('copies as a JSON round trip does: undefined members vanish, holes and NaN become null', () => {
    const value = {
      a: 1,
      b: 'x',
      c: [1, undefined, { d: undefined, e: null }, Number.NaN, () => 1],
      f: undefined,
      g: { h: [true, false], i: Infinity },
      j: () => 2,
    };
    const copied = copyJson(value);
    assert.deepEqual(copied, roundTrip(value));
    assert.equal(JSON.stringify(copied), JSON.stringify(value));
  });

  it('is deep: the copy shares nothing with a frozen original', () => {
    const original = deepFreeze({ metadata: { labels: { a: 'b' } }, list: [{ x: 1 }] });
    const copied = copyJson(original);
    copied.metadata.labels.a = 'c';
    copied.list[0]!.x = 2;
    assert.equal(original.metadata.labels.a, 'b');
    assert.equal(original.list[0]?.x, 1);
    assert.ok(Object.isFrozen(original.metadata.labels));
  });

  it('keeps an own "__proto__" member as data, as JSON.parse does', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<
      string,
      unknown
    >;
    const copied = copyJson(parsed);
    assert.equal(Object.getPrototypeOf(copied), Object.prototype);
    assert.equal((copied as { polluted?: boolean }).polluted, undefined);
    assert.deepEqual(Object.keys(copied), ['__proto__', 'a']);
  });
});

describe('jsonEqual', () => {
  it('compares values as their JSON serialisations compare', () => {
    assert.ok(jsonEqual({ a: [1, { b: 'c' }] }, { a: [1, { b: 'c' }] }));
    assert.ok(jsonEqual({ a: 1, b: undefined }, { a: 1 }));
    assert.ok(jsonEqual({ a: 1 }, { a: 1, b: undefined }));
    assert.ok(!jsonEqual({ a: 1 }, { a: 2 }));
    assert.ok(!jsonEqual({ a: 1 }, { a: 1, b: null }));
    assert.ok(!jsonEqual({ a: undefined }, { a: null }));
    assert.ok(!jsonEqual([1, 2], [1, 2, 3]));
    assert.ok(!jsonEqual([1], { 0: 1 }));
    assert.ok(!jsonEqual({ a: { b: [1] } }, { a: { b: [2] } }));
  });
});
