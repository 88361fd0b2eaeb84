import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedMap, memoised } from './memo.ts';

void describe('BoundedMap', () => {
  void it('never holds more than its limit, forgetting everything for a new key when full', () => {
    const map = new BoundedMap<string, number>(3);
    for (const [i, key] of ['a', 'b', 'c'].entries()) map.set(key, i);
    assert.deepEqual([...map.keys()], ['a', 'b', 'c']);
    // A known key is updated in place.
    map.set('b', 9);
    assert.deepEqual(
      [...map.entries()],
      [
        ['a', 0],
        ['b', 9],
        ['c', 2],
      ],
    );
    map.set('d', 3);
    assert.deepEqual([...map.entries()], [['d', 3]]);
  });

  void it('serves memoised() like any map', () => {
    const map = new BoundedMap<number, number>(2);
    let computed = 0;
    const square = (n: number) => (computed++, n * n);
    assert.equal(memoised(map, 3, square), 9);
    assert.equal(memoised(map, 3, square), 9);
    assert.equal(computed, 1);
    memoised(map, 4, square);
    memoised(map, 5, square);
    assert.equal(map.size, 1);
  });
});
