// Patch semantics: merge patch, strategic merge of core lists, JSON patch errors, 415 rules.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { servedTypes } from '../resource-types.ts';
import type { KubeObject } from '../types.ts';
import { StatusError } from '../types.ts';
import { applyPatch, mergePatch, patchKindFor } from './patch.ts';

const type = (resource: string) => servedTypes.find((t) => t.resource === resource)!;
const base: KubeObject = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: {
    name: 'p',
    finalizers: ['a'],
    ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u1' }],
  },
  spec: { accessModes: ['ReadWriteOnce'] },
};
const patch = (resource: string, media: string, body: unknown) =>
  applyPatch(
    type(resource),
    patchKindFor(type(resource), media),
    base,
    Buffer.from(JSON.stringify(body)),
    media,
  );

describe('patch', () => {
  it('merge patch follows RFC 7386 (null deletes, lists replace)', () => {
    assert.deepEqual(
      mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1] }, { b: { c: null, e: 4 }, l: [2] }),
      {
        a: 1,
        b: { d: 3, e: 4 },
        l: [2],
      },
    );
  });

  it('strategic merge merges lists by their patch merge keys on core types', () => {
    const out = patch('persistentvolumeclaims', 'application/strategic-merge-patch+json', {
      metadata: {
        finalizers: ['b'],
        ownerReferences: [{ uid: 'u2', apiVersion: 'v1', kind: 'Y', name: 'y' }],
      },
      spec: { accessModes: ['ReadWriteMany'] },
    });
    assert.deepEqual(out.metadata.finalizers, ['a', 'b']);
    assert.deepEqual(
      out.metadata.ownerReferences?.map((r) => r.uid),
      ['u1', 'u2'],
    );
    assert.deepEqual(
      (out.spec as { accessModes: string[] }).accessModes,
      ['ReadWriteMany'],
      'no merge key: replaced',
    );
    const deleted = patch('persistentvolumeclaims', 'application/strategic-merge-patch+json', {
      metadata: {
        ownerReferences: [{ uid: 'u1', $patch: 'delete' }],
        '$deleteFromPrimitiveList/finalizers': ['a'],
      },
    });
    assert.deepEqual(deleted.metadata.ownerReferences, []);
    assert.deepEqual(deleted.metadata.finalizers, []);
  });

  it('answers 415 for strategic merge on custom resources and for unknown patch types', () => {
    const vm = type('virtualmachines');
    assert.throws(
      () => patchKindFor(vm, 'application/strategic-merge-patch+json'),
      (e: unknown) =>
        e instanceof StatusError &&
        e.code === 415 &&
        e.message ===
          'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
    assert.throws(
      () => patchKindFor(type('secrets'), 'application/json'),
      (e: unknown) => e instanceof StatusError && e.code === 415,
    );
    assert.equal(
      patchKindFor(type('secrets'), 'application/strategic-merge-patch+json'),
      'strategic',
    );
  });

  it('JSON patch: a failed test or a missing path is 422 Invalid, a non-array body 400', () => {
    const failed = (ops: unknown) => {
      try {
        patch('persistentvolumeclaims', 'application/json-patch+json', ops);
      } catch (e) {
        return e as StatusError;
      }
      return assert.fail('expected an error');
    };
    const test = failed([{ op: 'test', path: '/metadata/name', value: 'q' }]);
    assert.equal(test.code, 422);
    assert.equal(test.reason, 'Invalid');
    assert.equal(
      test.details?.causes?.[0]?.message,
      'testing value /metadata/name failed: test failed',
    );
    assert.equal(failed([{ op: 'replace', path: '/spec/nothing/here', value: 1 }]).code, 422);
    assert.equal(failed({ op: 'add' }).code, 400);
    const ok = patch('persistentvolumeclaims', 'application/json-patch+json', [
      { op: 'test', path: '/metadata/name', value: 'p' },
      { op: 'add', path: '/metadata/labels', value: { 'a/b': 'c' } },
    ]);
    assert.deepEqual(ok.metadata.labels, { 'a/b': 'c' });
  });
});
