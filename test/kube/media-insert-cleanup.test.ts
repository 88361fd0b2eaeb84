// An InsertMedia whose DataVolume create fails after its credentials Secret was written removes
// that Secret again, so a failed insert leaves nothing for the leftover sweep (issue 11 item 12).
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { isBackendError } from '../../src/backend/errors.ts';
import { createKubeClients, loadKubeConfig, type KubeClients } from '../../src/kube/client.ts';
import { createMediaService } from '../../src/kube/media.ts';
import {
  createImageUrlPolicy,
  defaultImageUrlPolicy,
} from '../../src/media-url-policy/image-url-policy.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { startSimulator, type Simulator } from '../../src/sim/simulator.ts';
import { systemClock } from '../../src/util/clock.ts';

describe('insert clean-up', () => {
  let sim: Simulator;
  let clients: KubeClients;
  const metrics = createMetrics();
  before(async () => {
    sim = await startSimulator({ delays: 'instant' });
    clients = createKubeClients({
      kubeConfig: loadKubeConfig({ kind: 'yaml', yaml: sim.kubeconfig() }),
      metrics,
    });
  });
  after(() => sim.close());

  it('deletes the credentials Secret when the DataVolume cannot be created', async () => {
    // The API server refuses DataVolume creates (e.g. an admission webhook or quota); every
    // other call goes through.
    const custom = new Proxy(clients.custom, {
      get: (target, property, receiver) =>
        property === 'createNamespacedCustomObject'
          ? () => Promise.reject(new ApiException(500, 'Kubernetes API error', '{}', {}))
          : (Reflect.get(target, property, receiver) as unknown),
    });
    const media = createMediaService({
      clients: { ...clients, custom },
      capabilities: () => ({ cdromHotplug: true }),
      storage: { size: '1Gi' },
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      imageUrlPolicy: createImageUrlPolicy(defaultImageUrlPolicy),
    });
    const secrets = () =>
      sim.store.list('secrets', 'demo-a').items.filter((s) => s.metadata.name?.endsWith('-auth'));
    await assert.rejects(
      media.insert(
        { namespace: 'demo-a', name: 'db-primary' },
        {
          url: 'https://images.example.com/boot.iso',
          writeProtected: true,
          credentials: { username: 'u', password: 'p' },
        },
        { user: 'admin' },
      ),
      (error: unknown) => isBackendError(error) && error.kind === 'unavailable',
    );
    const calls = (await metrics.kubeRequests.get()).values.map(
      ({ labels }) => `${labels.verb} ${labels.resource} ${labels.code}`,
    );
    assert.ok(calls.includes('create secrets 201'), `the Secret was written: ${calls.join(', ')}`);
    assert.ok(calls.includes('delete secrets 200'), 'and deleted again');
    assert.deepEqual(secrets(), [], 'no credentials Secret is left behind');
  });
});
