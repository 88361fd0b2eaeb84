// The store's tables: sorted lists per namespace and the owner index stay right across writes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createObjectTable, objectKey } from './object-table.ts';
import type { KubeObject } from './types.ts';

const object = (namespace: string, name: string, owners: string[] = []): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Thing',
  metadata: {
    name,
    namespace,
    ...(owners.length
      ? { ownerReferences: owners.map((uid) => ({ apiVersion: 'v1', kind: 'O', name: uid, uid })) }
      : {}),
  },
});
const names = (items: readonly KubeObject[]) =>
  items.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`);

describe('object table', () => {
  it('lists in namespace/name order, one namespace as its own range', () => {
    const table = createObjectTable(['things']);
    for (const [ns, name] of [
      ['demo', 'b'],
      ['demo-a', 'z'],
      ['demo', 'a'],
      ['demo-b', 'a'],
      ['demo-a', 'a'],
    ] as const)
      table.put('things', object(ns, name));
    assert.deepEqual(names(table.sorted('things')), [
      'demo-a/a',
      'demo-a/z',
      'demo-b/a',
      'demo/a',
      'demo/b',
    ]);
    assert.deepEqual(names(table.sorted('things', 'demo')), ['demo/a', 'demo/b']);
    assert.deepEqual(names(table.sorted('things', 'demo-a')), ['demo-a/a', 'demo-a/z']);
    assert.deepEqual(names(table.sorted('things', 'dem')), []);
    table.delete('things', objectKey('demo', 'a'));
    table.put('things', object('demo', 'c'));
    assert.deepEqual(names(table.sorted('things', 'demo')), ['demo/b', 'demo/c']);
  });

  it('serves the latest version of an object and freezes what it stores', () => {
    const table = createObjectTable(['things']);
    table.put('things', object('demo', 'a'));
    const next = { ...object('demo', 'a'), spec: { v: 2 } };
    table.put('things', next);
    assert.deepEqual(table.sorted('things')[0]?.spec, { v: 2 });
    assert.ok(Object.isFrozen(table.get('things', objectKey('demo', 'a'))?.metadata));
  });

  it('finds dependents by owner uid as ownerReferences come and go', () => {
    const table = createObjectTable(['a', 'b']);
    table.put('b', object('demo', 'b1', ['u1']));
    table.put('a', object('demo', 'a1', ['u1', 'u2']));
    table.put('a', object('demo', 'a2', ['u2']));
    const of = (uid: string) =>
      table.dependents(uid, ['a', 'b']).map((d) => `${d.key}:${d.object.metadata.name ?? ''}`);
    assert.deepEqual(of('u1'), ['a:a1', 'b:b1'], 'in the given type order');
    assert.deepEqual(of('u2'), ['a:a1', 'a:a2']);
    table.put('a', object('demo', 'a1', ['u2']));
    assert.deepEqual(of('u1'), ['b:b1'], 'a dropped reference leaves the index');
    table.delete('b', objectKey('demo', 'b1'));
    assert.deepEqual(of('u1'), []);
    assert.deepEqual(of('nobody'), []);
  });
});
