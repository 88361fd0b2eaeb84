// CDI importer: PVC owned by the DataVolume, phases and progress strings, conditions, a real
// loopback download (with Basic auth from a Secret), CDI's restart-with-backoff on a 404, the
// rule for other hosts, and garbage collection of the PVC.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import type { KubeObject } from '../types.ts';
import { failHosts } from './import-source.ts';
import { Keys } from './kubevirt-objects.ts';
import { startTestCluster, waitFor, type TestCluster } from './test-support.ts';

let cluster: TestCluster;
let server: Server | undefined;
afterEach(async () => {
  cluster.close();
  if (server) {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
    server = undefined;
  }
  assert.deepEqual(cluster.errors, []);
});

type DvStatus = {
  phase?: string;
  progress?: string;
  restartCount?: number;
  claimName?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
};
const dvStatus = (name = 'dv1'): DvStatus => cluster.store.get(Keys.dv, 'ns', name)?.status ?? {};
const conditionsOf = (status: DvStatus) =>
  status.conditions?.map((c) => [c.type, c.status, c.reason, c.message]);

const createDv = (url: string, extra: Record<string, unknown> = {}): KubeObject =>
  cluster.store.create(Keys.dv, {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: { name: 'dv1', namespace: 'ns' },
    spec: {
      source: { http: { url, ...extra } },
      storage: { resources: { requests: { storage: '2Gi' } }, storageClassName: 'fast' },
    },
  });

const listen = async (
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<string> => {
  server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

void describe('loopback import', () => {
  void test('PVC, phases, progress from Content-Length, Basic auth from the Secret, Succeeded', async () => {
    cluster = startTestCluster();
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let authorization: string | undefined;
    const base = await listen((req, res) => {
      authorization = req.headers.authorization;
      res.writeHead(200, { 'Content-Length': '1000' });
      res.write(Buffer.alloc(250));
      void released.then(() => res.end(Buffer.alloc(750)));
    });
    cluster.store.create(Keys.secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: 'ns' },
      data: {
        accessKeyId: Buffer.from('user').toString('base64'),
        secretKey: Buffer.from('s3cret').toString('base64'),
      },
    });
    const dv = createDv(`${base}/disk.iso`, { secretRef: 'creds' });
    await cluster.advance(0);
    assert.deepEqual(
      [dvStatus().phase, dvStatus().progress, dvStatus().claimName],
      ['Pending', 'N/A', 'dv1'],
    );
    assert.deepEqual(conditionsOf(dvStatus()), [
      ['Bound', 'False', 'Pending', 'PVC dv1 Pending'],
      ['Ready', 'False', undefined, undefined],
      ['Running', 'False', undefined, undefined],
    ]);
    const pvc = cluster.store.get(Keys.pvc, 'ns', 'dv1');
    assert.deepEqual(
      pvc?.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid, o.controller]),
      [['DataVolume', 'dv1', dv.metadata.uid, true]],
    );
    assert.deepEqual(
      [
        (pvc?.spec as { storageClassName: string }).storageClassName,
        (pvc?.spec as { resources: unknown }).resources,
      ],
      ['fast', { requests: { storage: '2Gi' } }],
    );

    await cluster.advance(1000);
    assert.equal(dvStatus().phase, 'ImportScheduled');
    assert.equal(
      (cluster.store.get(Keys.pvc, 'ns', 'dv1')?.status as { phase: string }).phase,
      'Bound',
    );
    await cluster.advance(2000);
    assert.equal(dvStatus().phase, 'ImportInProgress');
    assert.deepEqual(conditionsOf(dvStatus()), [
      ['Bound', 'True', 'Bound', 'PVC dv1 Bound'],
      ['Ready', 'False', 'TransferRunning', undefined],
      ['Running', 'True', 'Pod is running', undefined],
    ]);
    await waitFor(cluster.store, () => dvStatus().progress === '25.00%');
    assert.equal(authorization, `Basic ${Buffer.from('user:s3cret').toString('base64')}`);
    release();
    await waitFor(cluster.store, () => dvStatus().phase === 'Succeeded');
    assert.equal(dvStatus().progress, '100.0%');
    assert.deepEqual(conditionsOf(dvStatus()), [
      ['Bound', 'True', 'Bound', 'PVC dv1 Bound'],
      ['Ready', 'True', undefined, undefined],
      ['Running', 'False', 'Completed', 'Import Complete'],
    ]);
  });

  void test('a 404 keeps ImportInProgress with Running=False/Error and restarts with a doubling backoff', async () => {
    cluster = startTestCluster();
    let requests = 0;
    const base = await listen((_req, res) => {
      requests += 1;
      res.writeHead(404).end('no such image');
    });
    createDv(`${base}/missing.iso`);
    await cluster.advance(3000);
    await waitFor(cluster.store, () => dvStatus().restartCount === 1);
    assert.equal(dvStatus().phase, 'ImportInProgress');
    assert.deepEqual(conditionsOf(dvStatus())?.at(-1), [
      'Running',
      'False',
      'Error',
      'Unable to connect to http data source: expected status code 200, got 404. Status: 404 Not Found',
    ]);
    await cluster.advance(9_999);
    assert.equal(requests, 1);
    await cluster.advance(1);
    await waitFor(cluster.store, () => dvStatus().restartCount === 2);
    assert.equal(requests, 2);
    await cluster.advance(19_999);
    assert.equal(requests, 2);
    await cluster.advance(1);
    await waitFor(cluster.store, () => dvStatus().restartCount === 3);
    assert.notEqual(dvStatus().phase, 'Failed');
  });

  void test('a refused connection reads like the importer error', async () => {
    cluster = startTestCluster({ delays: 'instant' });
    const base = await listen((_req, res) => res.end());
    server?.close();
    server?.closeAllConnections();
    await once(server as Server, 'close');
    server = undefined;
    createDv(`${base}/x.iso`);
    await cluster.advance(0);
    await waitFor(cluster.store, () => (dvStatus().restartCount ?? 0) >= 1);
    assert.match(
      dvStatus().conditions?.find((c) => c.type === 'Running')?.message ?? '',
      /^Unable to connect to http data source: Get "http:\/\/127\.0\.0\.1:\d+\/x\.iso": dial tcp 127\.0\.0\.1:\d+: connect: connection refused$/,
    );
  });
});

void describe('other hosts', () => {
  void test('default rule: simulated download with "%.2f%%" progress updates, then Succeeded', async () => {
    cluster = startTestCluster();
    createDv('https://images.example.com/fedora.qcow2');
    await cluster.advance(3000);
    assert.deepEqual([dvStatus().phase, dvStatus().progress], ['ImportInProgress', 'N/A']);
    await cluster.advance(1000);
    assert.equal(dvStatus().progress, '6.67%');
    await cluster.advance(6500);
    assert.equal(dvStatus().progress, '46.67%');
    await cluster.advance(7500);
    assert.deepEqual([dvStatus().phase, dvStatus().progress], ['Succeeded', '100.0%']);
  });

  void test('a rule can fail matching hosts', async () => {
    cluster = startTestCluster({ delays: 'instant', importRule: failHosts(/\.invalid$/) });
    createDv('https://nowhere.invalid/x.iso');
    await cluster.advance(0);
    assert.equal(dvStatus().restartCount, 1);
    assert.equal(
      dvStatus().conditions?.find((c) => c.type === 'Running')?.message,
      'Unable to connect to http data source: Get "https://nowhere.invalid/x.iso": dial tcp: lookup nowhere.invalid on 10.96.0.10:53: no such host',
    );
  });
});

void test('deleting the DataVolume deletes its PVC', async () => {
  cluster = startTestCluster({ delays: 'instant' });
  createDv('https://images.example.com/a.iso');
  await cluster.advance(0);
  assert.equal(dvStatus().phase, 'Succeeded');
  assert.ok(cluster.store.get(Keys.pvc, 'ns', 'dv1'));
  cluster.store.delete(Keys.dv, 'ns', 'dv1');
  // PVC protection lets it go once no VMI uses it.
  await cluster.advance(0);
  assert.equal(cluster.store.get(Keys.pvc, 'ns', 'dv1'), undefined);
});
