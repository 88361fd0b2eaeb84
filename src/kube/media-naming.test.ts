// Unit tests: virtual-media object names stay valid DNS labels and deterministic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mediaDataVolumeName, mediaSecretName, mediaTaskId } from './media-naming.ts';

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

void test('a DataVolume name is a DNS label within 63 characters for any VM name', () => {
  const names = [
    'web',
    'a.b.c',
    'x'.repeat(253),
    `${'y'.repeat(46)}-${'z'.repeat(100)}`,
    '-odd-',
    '9',
  ];
  for (const vm of names) {
    const name = mediaDataVolumeName(vm, 'uid-1', 'http://h/a.iso');
    assert.ok(name.length <= 63, `${name} is ${name.length} long`);
    assert.match(name, dnsLabel);
    assert.match(name, /-vmedia-[0-9a-f]{8}$/);
  }
  assert.equal(mediaDataVolumeName('a.b', 'u', 'http://h/x.iso').startsWith('a-b-vmedia-'), true);
});

void test('the name is a function of VM uid and image only', () => {
  const a = mediaDataVolumeName('vm', 'uid-1', 'http://h/a.iso');
  assert.equal(mediaDataVolumeName('vm', 'uid-1', 'http://h/a.iso'), a);
  assert.notEqual(mediaDataVolumeName('vm', 'uid-1', 'http://h/b.iso'), a);
  assert.notEqual(mediaDataVolumeName('vm', 'uid-2', 'http://h/a.iso'), a);
});

void test('secret and task names derive from the DataVolume', () => {
  assert.equal(mediaSecretName('vm-vmedia-0123abcd'), 'vm-vmedia-0123abcd-auth');
  assert.equal(
    mediaTaskId('6f1c2b9e-1111-2222-3333-444455556666'),
    '6f1c2b9e111122223333444455556666',
  );
});
