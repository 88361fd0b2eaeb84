// Unit tests: the DataVolume, Secret and VM patches virtual media writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  attachMediaPatch,
  buildMediaDataVolume,
  buildMediaSecret,
  detachMediaPatch,
} from './media-manifests.ts';
import type { VirtualMachine } from './types.ts';

const owner = { name: 'web', namespace: 'demo-a', uid: 'uid-1' };

const vm = (extra: { disks?: object[]; volumes?: object[] } = {}): VirtualMachine =>
  ({
    metadata: { name: 'web', namespace: 'demo-a', uid: 'uid-1', resourceVersion: '42' },
    spec: {
      runStrategy: 'Halted',
      template: {
        spec: {
          domain: {
            devices: {
              disks: [
                { name: 'root', disk: { bus: 'virtio' }, bootOrder: 1 },
                ...(extra.disks ?? []),
              ],
            },
          },
          volumes: [
            { name: 'root', persistentVolumeClaim: { claimName: 'web-root' } },
            ...(extra.volumes ?? []),
          ],
        },
      },
    },
  }) as VirtualMachine;

void test('the DataVolume imports over http, is owned by the VM without controlling it, and records the insert', () => {
  const dv = buildMediaDataVolume({
    name: 'web-vmedia-00000000',
    vm: owner,
    url: 'https://images.example/boot.iso?sig=abc',
    withCredentials: true,
    storage: { storageClass: 'fast', size: '3Gi' },
    insertedAt: '2026-01-01T00:00:00.000Z',
    insertedBy: 'admin',
    writeProtected: true,
  });
  assert.equal(dv.apiVersion, 'cdi.kubevirt.io/v1beta1');
  assert.equal(dv.kind, 'DataVolume');
  assert.deepEqual(dv.spec, {
    source: {
      http: {
        url: 'https://images.example/boot.iso?sig=abc',
        secretRef: 'web-vmedia-00000000-auth',
      },
    },
    storage: { resources: { requests: { storage: '3Gi' } }, storageClassName: 'fast' },
  });
  assert.deepEqual(dv.metadata.ownerReferences, [
    {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      name: 'web',
      uid: 'uid-1',
      controller: false,
      blockOwnerDeletion: false,
    },
  ]);
  assert.equal(dv.metadata.labels?.['kubevirt-redfish.io/vm-uid'], 'uid-1');
  // A pre-signed query is a credential: whole only in the spec CDI reads (issue 11 item 11).
  assert.equal(
    dv.metadata.annotations?.['kubevirt-redfish.io/media-image'],
    'https://images.example/boot.iso?sig=REDACTED',
  );
  assert.equal(
    (dv.spec.source as { http: { url: string } }).http.url,
    'https://images.example/boot.iso?sig=abc',
  );
  assert.equal(dv.metadata.annotations?.['kubevirt-redfish.io/media-inserted-by'], 'admin');
  assert.equal(
    dv.metadata.annotations?.['cdi.kubevirt.io/storage.bind.immediate.requested'],
    'true',
  );
});

void test('an empty storage class is left to the cluster default; no credentials, no secretRef', () => {
  const dv = buildMediaDataVolume({
    name: 'n',
    vm: owner,
    url: 'http://h/a.iso',
    withCredentials: false,
    storage: { storageClass: '', size: '1Gi' },
    insertedAt: 't',
    insertedBy: 'u',
    writeProtected: true,
  });
  assert.deepEqual(dv.spec, {
    source: { http: { url: 'http://h/a.iso' } },
    storage: { resources: { requests: { storage: '1Gi' } } },
  });
});

void test('the Secret holds CDI keys base64-encoded and is owned by the VM', () => {
  const secret = buildMediaSecret({
    dataVolumeName: 'n',
    vm: owner,
    username: 'user',
    password: 'pä55',
  });
  assert.equal(secret.metadata.name, 'n-auth');
  assert.equal(Buffer.from(secret.data.accessKeyId, 'base64').toString(), 'user');
  assert.equal(Buffer.from(secret.data.secretKey, 'base64').toString(), 'pä55');
  assert.equal(secret.metadata.ownerReferences[0]?.uid, 'uid-1');
});

void test('attach adds a SATA CD-ROM and a dataVolume volume', () => {
  const patch = attachMediaPatch(vm(), 'dv1', false);
  const { disks } = patch.spec.template.spec.domain.devices;
  assert.deepEqual(disks[0], { name: 'root', disk: { bus: 'virtio' }, bootOrder: 1 });
  assert.deepEqual(disks[1], { name: 'redfish-cd', cdrom: { bus: 'sata', readonly: true } });
  assert.deepEqual(patch.spec.template.spec.volumes[1], {
    name: 'redfish-cd',
    dataVolume: { name: 'dv1' },
  });
  const hot = attachMediaPatch(vm(), 'dv1', true);
  assert.deepEqual(hot.spec.template.spec.volumes[1], {
    name: 'redfish-cd',
    dataVolume: { name: 'dv1', hotpluggable: true },
  });
});

void test('attach keeps an existing CD-ROM disk (and its boot order) and replaces only its volume', () => {
  const patch = attachMediaPatch(
    vm({
      disks: [{ name: 'redfish-cd', cdrom: { bus: 'sata' }, bootOrder: 1 }],
      volumes: [{ name: 'redfish-cd', dataVolume: { name: 'old' } }],
    }),
    'new',
    true,
  );
  assert.deepEqual(patch.spec.template.spec.domain.devices.disks[1], {
    name: 'redfish-cd',
    cdrom: { bus: 'sata' },
    bootOrder: 1,
  });
  assert.equal(patch.spec.template.spec.volumes.length, 2);
  assert.deepEqual(patch.spec.template.spec.volumes[1], {
    name: 'redfish-cd',
    dataVolume: { name: 'new', hotpluggable: true },
  });
});

void test('detach removes the volume, and the disk only without hotplug; nothing to do gives no patch', () => {
  const inserted = vm({
    disks: [{ name: 'redfish-cd', cdrom: { bus: 'sata' } }],
    volumes: [{ name: 'redfish-cd', dataVolume: { name: 'dv1' } }],
  });
  const keep = detachMediaPatch(inserted, true);
  assert.deepEqual(
    keep?.spec.template.spec.volumes.map((v) => v.name),
    ['root'],
  );
  assert.deepEqual(
    keep?.spec.template.spec.domain.devices.disks.map((d) => d.name),
    ['root', 'redfish-cd'],
  );
  const drop = detachMediaPatch(inserted, false);
  assert.deepEqual(
    drop?.spec.template.spec.domain.devices.disks.map((d) => d.name),
    ['root'],
  );
  assert.equal(detachMediaPatch(vm(), false), undefined);
  assert.equal(
    detachMediaPatch(vm({ disks: [{ name: 'redfish-cd', cdrom: {} }] }), true),
    undefined,
  );
});
