// A client-node 1.4 informer against the simulated API server over HTTPS: it lists, watches,
// re-watches after dropped streams and relists after a forced 410.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { Informer, KubernetesObject, ObjectCache } from '@kubernetes/client-node';
import { CustomObjectsApi, KubeConfig, makeInformer } from '@kubernetes/client-node';
import { ManualClock } from '../../src/util/clock.ts';
import type { ApiServer } from '../../src/sim/api-server/server.ts';
import { startApiServer } from '../../src/sim/api-server/server.ts';
import type { Faults } from '../../src/sim/faults.ts';
import { createFaults } from '../../src/sim/faults.ts';
import { TypeKeys } from '../../src/sim/resource-types.ts';
import { createStore } from '../../src/sim/store.ts';
import { minimalVm, namespace } from '../../src/sim/testing.ts';
import type { ObjectStore } from '../../src/sim/types.ts';

const VM = TypeKeys.virtualMachines;
const path = '/apis/kubevirt.io/v1/namespaces/demo/virtualmachines';

describe('client-node informer against the simulator', () => {
  let store: ObjectStore;
  let faults: Faults;
  let server: ApiServer;
  let informer: Informer<KubernetesObject> & ObjectCache<KubernetesObject>;
  const seen: string[] = [];
  const waiters: { match: string; resolve: () => void }[] = [];
  const errors: unknown[] = [];

  /** Resolves once the informer has reported `event` (e.g. `add vm-b`). */
  const saw = (event: string): Promise<void> =>
    seen.includes(event)
      ? Promise.resolve()
      : new Promise((resolve) => waiters.push({ match: event, resolve }));
  const record = (kind: string) => (obj: KubernetesObject) => {
    const event = `${kind} ${obj.metadata?.name ?? ''}`;
    seen.push(event);
    for (const w of waiters.filter((x) => x.match === event)) w.resolve();
  };

  before(async () => {
    const clock = new ManualClock();
    store = createStore({ clock });
    store.create('namespaces', namespace('demo'));
    store.create(VM, minimalVm('vm-a', 'demo'));
    faults = createFaults({ clock });
    server = await startApiServer({ store, subresources: new Map(), faults, clock });
    const kc = new KubeConfig();
    kc.loadFromString(server.kubeconfig());
    const api = kc.makeApiClient(CustomObjectsApi);
    informer = makeInformer(kc, path, () =>
      api.listNamespacedCustomObject({
        group: 'kubevirt.io',
        version: 'v1',
        namespace: 'demo',
        plural: 'virtualmachines',
      }),
    );
    informer.on('add', record('add'));
    informer.on('update', record('update'));
    informer.on('delete', record('delete'));
    informer.on('error', (err) => errors.push(err));
    await informer.start();
  });

  after(async () => {
    await informer.stop();
    await server.close();
  });

  it('lists, then watches over TLS with the kubeconfig CA', async () => {
    await saw('add vm-a');
    store.create(VM, minimalVm('vm-b', 'demo'));
    await saw('add vm-b');
    assert.deepEqual(
      informer
        .list('demo')
        .map((o) => o.metadata?.name)
        .sort(),
      ['vm-a', 'vm-b'],
    );
  });

  it('re-watches after faults.dropAllWatches() without relisting', async () => {
    const before = server.requestCount({ method: 'GET', pathPrefix: path });
    faults.dropAllWatches();
    store.mutate(VM, 'demo', 'vm-b', (d) => {
      d.metadata.labels = { changed: 'after-drop' };
    });
    await saw('update vm-b');
    store.create(VM, minimalVm('vm-c', 'demo'));
    await saw('add vm-c');
    assert.equal(
      server.requestCount({ method: 'GET', pathPrefix: path }),
      before + 1,
      'one new watch, no list',
    );
    assert.equal(informer.get('vm-b', 'demo')?.metadata?.labels?.changed, 'after-drop');
  });

  it('relists after a forced 410 and keeps delivering changes', async () => {
    const before = server.requestCount({ method: 'GET', pathPrefix: path });
    faults.expireResourceVersions();
    store.create(VM, minimalVm('vm-d', 'demo'));
    await saw('add vm-d');
    store.delete(VM, 'demo', 'vm-a');
    await saw('delete vm-a');
    assert.equal(
      server.requestCount({ method: 'GET', pathPrefix: path }),
      before + 2,
      'a list and a new watch',
    );
    assert.deepEqual(
      informer
        .list('demo')
        .map((o) => o.metadata?.name)
        .sort(),
      ['vm-b', 'vm-c', 'vm-d'],
    );
    assert.deepEqual(errors, []);
  });
});
