// Label and field selector grammar and matching.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { servedTypes } from '../resource-types.ts';
import type { KubeObject } from '../types.ts';
import { StatusError } from '../types.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';

const obj = (name: string, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'X',
  metadata: { name, namespace: 'demo', ...(labels ? { labels } : {}) },
});
const a = obj('a', { env: 'prod', tier: 'web' });
const b = obj('b', { env: 'dev' });
const c = obj('c');
const names = (selector: string) =>
  [a, b, c].filter(parseLabelSelector(selector)).map((o) => o.metadata.name);

describe('label selectors', () => {
  it('supports =, ==, !=, in, notin, exists and !exists, comma = AND', () => {
    assert.deepEqual(names('env=prod'), ['a']);
    assert.deepEqual(names('env==dev'), ['b']);
    assert.deepEqual(names('env!=prod'), ['b', 'c']);
    assert.deepEqual(names('env in (prod, dev)'), ['a', 'b']);
    assert.deepEqual(names('env notin (prod)'), ['b', 'c']);
    assert.deepEqual(names('tier'), ['a']);
    assert.deepEqual(names('!tier'), ['b', 'c']);
    assert.deepEqual(names('env in (prod,dev),!tier'), ['b']);
    assert.deepEqual(names(''), ['a', 'b', 'c']);
  });
  it('rejects malformed selectors with 400', () => {
    assert.throws(
      () => parseLabelSelector('env=(x'),
      (e: unknown) => e instanceof StatusError && e.code === 400,
    );
  });
});

describe('field selectors', () => {
  const vm = servedTypes.find((t) => t.resource === 'virtualmachines')!;
  const events = servedTypes.find((t) => t.resource === 'events')!;
  it('filters on metadata.name and metadata.namespace', () => {
    assert.deepEqual(
      [a, b].filter(parseFieldSelector(vm, 'metadata.name=b')).map((o) => o.metadata.name),
      ['b'],
    );
    assert.deepEqual(
      [a, b].filter(parseFieldSelector(vm, 'metadata.name!=b,metadata.namespace==demo')).length,
      1,
    );
  });
  it('rejects unknown fields with 400, but knows the built-in extras', () => {
    assert.throws(
      () => parseFieldSelector(vm, 'spec.running=true'),
      (e: unknown) => e instanceof StatusError && e.code === 400,
    );
    const ev = { ...obj('e'), involvedObject: { name: 'vm1' } };
    assert.equal(parseFieldSelector(events, 'involvedObject.name=vm1')(ev), true);
  });
  it("matches an event's involved object on several fields, and `source` on its component", () => {
    const ev = (kind: string, name: string, source: Record<string, unknown>) => ({
      ...obj(`${name}.1`),
      involvedObject: { kind, name },
      ...source,
    });
    const all = [
      ev('VirtualMachine', 'vm1', { source: { component: 'virtualmachine-controller' } }),
      ev('VirtualMachineInstance', 'vm1', { source: { component: 'virt-handler', host: 'n1' } }),
      ev('DataVolume', 'vm1', { source: {}, reportingComponent: 'datavolume-controller' }),
      ev('VirtualMachine', 'vm2', { source: { component: 'kubevirt-redfish' } }),
    ];
    const kinds = (selector: string) =>
      all
        .filter(parseFieldSelector(events, selector))
        .map((e) => `${e.involvedObject.kind}/${e.involvedObject.name}`);
    assert.deepEqual(kinds('involvedObject.name=vm1,involvedObject.kind=VirtualMachine'), [
      'VirtualMachine/vm1',
    ]);
    assert.deepEqual(kinds('involvedObject.name=vm1,involvedObject.kind!=VirtualMachine'), [
      'VirtualMachineInstance/vm1',
      'DataVolume/vm1',
    ]);
    assert.deepEqual(kinds('source=virt-handler'), ['VirtualMachineInstance/vm1']);
    // kube-apiserver falls back to reportingComponent when source.component is empty.
    assert.deepEqual(kinds('source=datavolume-controller'), ['DataVolume/vm1']);
  });
});
