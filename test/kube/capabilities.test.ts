// Capability discovery against simulator profiles: the KubeVirt CR's release and gates, CDI's
// presence and release, run-time gate changes, the config override, the metric and /readyz
// detail, and the start-up error for allow_insecure_tls on a CDI that cannot honour it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { serve } from '../../src/cli/serve.ts';
import { ConfigError } from '../../src/config/load.ts';
import { gateEnabled } from '../../src/kube/capabilities.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { defaultConfigYaml, startService, type TestService } from '../helpers/service.ts';
import { startRig, type Rig } from './helpers.ts';

let rig: Rig | undefined;
let service: TestService | undefined;
afterEach(async () => {
  await rig?.close();
  await service?.close();
  rig = undefined;
  service = undefined;
});

const kubevirtPath = '/apis/kubevirt.io/v1/kubevirts';

void describe('cluster capability discovery', () => {
  it('knows the maturity of the gates it depends on in every release of the gate table', () => {
    const table = JSON.parse(
      readFileSync(
        new URL('../../src/sim/schemas/kubevirt-feature-gates.json', import.meta.url),
        'utf8',
      ),
    ) as {
      versions: Record<string, { betaGatesOnByDefault: boolean; gates: Record<string, string> }>;
    };
    for (const [version, { betaGatesOnByDefault, gates }] of Object.entries(table.versions)) {
      for (const gate of ['RebootPolicy', 'DeclarativeHotplugVolumes']) {
        const facts = {
          source: 'config' as const,
          kubevirtVersion: version,
          cdi: true,
          disabledFeatureGates: [],
        };
        const expectedDefault =
          gates[gate] === 'GA' || (gates[gate] === 'Beta' && betaGatesOnByDefault);
        assert.equal(
          gateEnabled({ ...facts, featureGates: [] }, gate),
          expectedDefault,
          `${gate} in ${version}`,
        );
        assert.equal(
          gateEnabled({ ...facts, featureGates: [gate] }, gate),
          gates[gate] !== undefined,
          `${gate} listed in ${version}`,
        );
      }
    }
  });

  it('reads v1.8 with RebootPolicy listed: Terminate usable, no CD-ROM hotplug', async () => {
    rig = await startRig({ cluster: { kubevirtVersion: '1.8', featureGates: ['RebootPolicy'] } });
    assert.equal(rig.backend.clusterFacts().kubevirtVersion, 'v1.8.4');
    assert.equal(rig.backend.capabilities.rebootPolicyTerminate, true);
    assert.equal(rig.backend.capabilities.cdromHotplug, false);
    assert.equal(rig.backend.capabilities.virtualMedia, true);
    const metrics = await rig.metrics.registry.metrics();
    assert.match(
      metrics,
      /kubevirt_cluster_info\{source="cluster",kubevirt_version="v1.8.4",cdi_version="v1.66.0"\} 1/,
    );
    assert.match(metrics, /kubevirt_feature_gate_enabled\{gate="RebootPolicy"\} 1/);
    assert.match(metrics, /kubevirt_feature_gate_enabled\{gate="DeclarativeHotplugVolumes"\} 0/);
  });

  it('follows a gate enabled in the KubeVirt CR while running', async () => {
    rig = await startRig({ cluster: { kubevirtVersion: '1.8' } });
    assert.equal(rig.backend.capabilities.cdromHotplug, false);
    rig.sim.store.mutate('kubevirts.kubevirt.io', 'kubevirt', 'kubevirt', (draft) => {
      (draft.spec as any).configuration.developerConfiguration.featureGates = [
        'DeclarativeHotplugVolumes',
      ];
    });
    const deadline = Date.now() + 10_000;
    while (!rig.backend.capabilities.cdromHotplug && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(rig.backend.capabilities.cdromHotplug, true);
  });

  it('without CDI: ready without DataVolume caches, virtual media not offered', async () => {
    rig = await startRig({ cluster: { cdi: false } });
    assert.equal(rig.backend.isReady(), true);
    assert.equal(rig.backend.clusterFacts().cdi, false);
    assert.equal(rig.backend.capabilities.virtualMedia, false);
    assert.equal(
      rig.sim.apiServer.requestCount({ pathPrefix: '/apis/cdi.kubevirt.io/v1beta1/namespaces' }),
      0,
    );
  });

  it('the config override replaces reading the KubeVirt CR', async () => {
    rig = await startRig(
      { cluster: { kubevirtVersion: '1.9' } },
      { cluster: { kubevirtVersion: '1.7', featureGates: [], disabledFeatureGates: [] } },
    );
    assert.equal(rig.backend.clusterFacts().source, 'config');
    assert.equal(rig.backend.capabilities.rebootPolicyTerminate, false);
    assert.equal(rig.backend.capabilities.cdromHotplug, false);
    assert.equal(rig.sim.apiServer.requestCount({ pathPrefix: kubevirtPath }), 0);
  });

  it('/readyz?verbose names the releases and gates; /readyz stays terse', async () => {
    service = await startService({ simulator: { cluster: { kubevirtVersion: '1.6' } } });
    const terse = await service.request('/readyz');
    assert.equal(terse.text, 'ready\n');
    const verbose = await service.request('/readyz?verbose');
    assert.equal(verbose.status, 200);
    assert.match(verbose.text, /^kubevirtVersion: v1\.6\.6$/m);
    assert.match(
      verbose.text,
      /^gates: \{"RebootPolicy":false,"DeclarativeHotplugVolumes":false\}$/m,
    );
    assert.match(verbose.text, /^cdi: v1\.66\.0$/m);
  });

  it('allow_insecure_tls on CDI before v1.66 stops the start with an error naming the setting', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kvrf-caps-'));
    const configPath = join(dir, 'config.yaml');
    await writeFile(
      configPath,
      defaultConfigYaml().replace(
        'storage_size: "3Gi"',
        'storage_size: "3Gi"\n  allow_insecure_tls: true',
      ),
    );
    try {
      await assert.rejects(
        serve({
          configPath,
          simulate: true,
          port: 0,
          host: '127.0.0.1',
          logger: createLogger({ level: 'silent' }),
          simulatorOptions: { delays: 'instant', cluster: { cdiVersion: 'v1.62.0' } },
        }),
        (error: unknown) =>
          error instanceof ConfigError &&
          /datavolume\.allow_insecure_tls: CDI v1\.62\.0 cannot skip TLS verification/.test(
            error.message,
          ),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
