// Checks what helm and kubectl would check, without them: the chart's values against its schema,
// the manifests against deployment.md, and the RBAC of both against the Kubernetes calls the
// service really makes (recorded by its kube_api_requests_total metric on the simulator).
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.ts';
import { configSchema } from '../../src/config/schema.ts';
import { startService, type TestService } from '../helpers/service.ts';

const root = new URL('../../deploy/', import.meta.url);
const chartDir = new URL('chart/kubevirt-redfish/', root);
const manifestDir = new URL('manifests/', root);
const read = (url: URL): string => readFileSync(url, 'utf8');

type Json = Record<string, any>;

const schema = JSON.parse(read(new URL('values.schema.json', chartDir))) as Json;
const values = parse(read(new URL('values.yaml', chartDir))) as Json;
const validateValues = new Ajv({ allErrors: true, strictTypes: false }).compile(schema);

/** The service's own config schema without its message annotations (`expected`, `secret`),
 *  which only its loader understands. */
const strip = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(strip);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key]) => key !== 'expected' && key !== 'secret')
      .map(([key, value]) => [key, strip(value)]),
  );
};

const errorsOf = (candidate: unknown): string =>
  validateValues(candidate)
    ? ''
    : (validateValues.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('; ');

describe('Helm chart values', () => {
  it('has the chart metadata helm needs', () => {
    const chart = parse(read(new URL('Chart.yaml', chartDir))) as Json;
    assert.equal(chart.apiVersion, 'v2');
    assert.equal(chart.name, 'kubevirt-redfish');
    assert.match(String(chart.version), /^\d+\.\d+\.\d+/);
  });

  it('values.yaml passes values.schema.json', () => {
    assert.equal(errorsOf(values), '');
  });

  it('the schema refuses wrong values', () => {
    const variants: Json[] = [
      { ...values, replicas: 0 },
      { ...values, logLevel: 'verbose' },
      { ...values, containerPort: 70000 },
      { ...values, rbac: { ...values.rbac, vmNamespaces: ['Not_A_Namespace'] } },
      { ...values, route: { ...values.route, tls: { termination: 'none' } } },
      { ...values, config: { ...values.config, authentication: undefined } },
      { ...values, unknownTopLevel: true },
    ];
    for (const variant of variants)
      assert.notEqual(errorsOf(JSON.parse(JSON.stringify(variant))), '', JSON.stringify(variant));
  });

  it('accepts an existing Secret instead of a config', () => {
    const rest: Json = { ...values };
    delete rest.config;
    assert.notEqual(errorsOf(rest), '');
    assert.equal(errorsOf({ ...rest, existingSecret: 'my-config' }), '');
  });

  it('validates `config` with exactly the service config schema', () => {
    assert.deepEqual(
      schema.properties.config,
      strip(configSchema),
      'regenerate values.schema.json properties.config from src/config/schema.ts',
    );
  });

  it('renders a config the service loads', () => {
    const { config, warnings } = parseConfig(stringify(values.config), 'values.yaml config');
    assert.deepEqual(warnings, []);
    assert.equal(config.server.port, values.containerPort);
    assert.equal(config.server.metricsPort, values.metrics.port);
  });
});

interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  /** Absent only on the Kustomization. */
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly [key: string]: any;
}

const manifests: K8sObject[] = readdirSync(manifestDir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(read(new URL(file, manifestDir))).map((doc) => {
      assert.deepEqual(doc.errors, [], file);
      return doc.toJS() as K8sObject;
    }),
  );

const find = (kind: string, name: string): K8sObject => {
  const object = manifests.find((o) => o.kind === kind && o.metadata?.name === name);
  assert.ok(object, `deploy/manifests has no ${kind} ${name}`);
  return object;
};

describe('deploy/manifests (deployment.md)', () => {
  it('has the documented objects', () => {
    assert.equal(find('Namespace', 'kubevirt-redfish').apiVersion, 'v1');
    assert.equal(find('ServiceAccount', 'kubevirt-redfish').metadata.namespace, 'kubevirt-redfish');
    find('ClusterRole', 'kubevirt-redfish-role');
    const binding = manifests.find(
      (o) => o.kind === 'ClusterRoleBinding' && o.roleRef?.name === 'kubevirt-redfish-role',
    );
    assert.deepEqual(binding?.subjects, [
      { kind: 'ServiceAccount', name: 'kubevirt-redfish', namespace: 'kubevirt-redfish' },
    ]);
  });

  it('holds a config.yaml the service loads', () => {
    const secret = find('Secret', 'kubevirt-redfish-secret');
    assert.equal(secret.metadata.namespace, 'kubevirt-redfish');
    const text = secret.stringData?.['config.yaml'] as string;
    assert.equal(typeof text, 'string');
    const { config } = parseConfig(text, 'secret.yaml');
    assert.equal(config.server.port, 8443);
  });

  it('runs the Deployment as deployment.md requires', () => {
    const deployment = find('Deployment', 'kubevirt-redfish');
    const pod = deployment.spec.template.spec;
    assert.equal(pod.serviceAccountName, 'kubevirt-redfish');
    assert.equal(pod.securityContext.runAsNonRoot, true);
    const [container, ...others] = pod.containers as Json[];
    assert.equal(others.length, 0);
    assert.ok(container);
    assert.deepEqual(container.ports, [
      { name: 'http', containerPort: 8443 },
      { name: 'metrics', containerPort: 9090 },
    ]);
    const env = Object.fromEntries((container.env as Json[]).map((e) => [e.name, e]));
    assert.equal(env.CONFIG_PATH?.value, '/app/config/config.yaml');
    assert.equal(env.LOG_LEVEL?.value, 'info');
    assert.equal(env.POD_NAMESPACE?.valueFrom?.fieldRef?.fieldPath, 'metadata.namespace');
    const mount = (container.volumeMounts as Json[]).find((m) => m.mountPath === '/app/config');
    assert.equal(mount?.readOnly, true);
    const volume = (pod.volumes as Json[]).find((v) => v.name === mount?.name);
    assert.equal(volume?.secret?.secretName, 'kubevirt-redfish-secret');
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
    assert.deepEqual(container.resources, {
      requests: { memory: '512Mi', cpu: '100m' },
      limits: { memory: '2Gi', cpu: '500m' },
    });
    for (const probe of [container.livenessProbe, container.readinessProbe]) {
      assert.ok(['/healthz', '/readyz', '/redfish/v1/'].includes(probe?.httpGet?.path));
      assert.ok([8443, 'http'].includes(probe.httpGet.port));
      assert.equal(probe.httpGet.scheme ?? 'HTTP', 'HTTP');
    }
  });

  it('exposes a ClusterIP Service on 8443 (and metrics on 9090) and an edge Route', () => {
    const service = find('Service', 'kubevirt-redfish');
    assert.equal(service.spec.type, 'ClusterIP');
    assert.deepEqual(
      (service.spec.ports as Json[]).map((p) => [p.port, p.targetPort]),
      [
        [8443, 'http'],
        [9090, 'metrics'],
      ],
    );
    const route = find('Route', 'kubevirt-redfish');
    assert.equal(route.spec.tls.termination, 'edge');
    assert.equal(route.spec.port.targetPort, 'http', 'the Route never exposes the metrics port');
  });
});

interface Rule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

/** The `rules:` block of a chart template: literal YAML from `rules:` to the template's next
 *  directive or document, so the chart's rules can be read without rendering them. */
const templateRules = (file: string, kind: string): Rule[] => {
  const text = read(new URL(`templates/${file}`, chartDir));
  const documents = text.split(/^---$/m);
  const document = documents.find((d) => new RegExp(`^kind: ${kind}$`, 'm').test(d));
  assert.ok(document, `${file} has no ${kind}`);
  const start = document.indexOf('\nrules:');
  assert.ok(start >= 0, `${file} ${kind} has no rules`);
  const block = document
    .slice(start + 1)
    .split('\n')
    .filter((line) => !line.startsWith('{{'))
    .join('\n');
  return (parse(block) as { rules: Rule[] }).rules;
};

const manifestRules = (kind: string, name: string): Rule[] => find(kind, name).rules as Rule[];

const roles = [
  { template: 'clusterrole.yaml', kind: 'ClusterRole', manifest: 'kubevirt-redfish-role' },
  {
    template: 'media-credentials-role.yaml',
    kind: 'ClusterRole',
    manifest: 'kubevirt-redfish-media-credentials',
  },
  { template: 'session-role.yaml', kind: 'Role', manifest: 'kubevirt-redfish-sessions' },
] as const;

describe('RBAC', () => {
  it('the chart grants exactly what the manifests grant', () => {
    for (const role of roles)
      assert.deepEqual(
        templateRules(role.template, role.kind),
        manifestRules(role.kind, role.manifest),
        role.template,
      );
  });

  it('binds the media-credentials role in the chassis namespaces only', () => {
    const bindings = manifests.filter(
      (o) => o.kind === 'RoleBinding' && o.roleRef?.name === 'kubevirt-redfish-media-credentials',
    );
    const secret = find('Secret', 'kubevirt-redfish-secret');
    const { config } = parseConfig(secret.stringData['config.yaml'] as string, 'secret.yaml');
    assert.deepEqual(
      bindings.map((b) => b.metadata.namespace).sort(),
      [...new Set(config.chassis.map((c) => c.namespace))].sort(),
    );
    assert.ok(
      !manifests.some(
        (o) =>
          o.kind === 'ClusterRoleBinding' &&
          o.roleRef?.name === 'kubevirt-redfish-media-credentials',
      ),
    );
  });

  describe('covers every call the service makes', () => {
    let service: TestService;
    before(async () => {
      service = await startService();
    });
    after(() => service.close());

    /** Every Kubernetes call recorded so far, as [verb, apiGroup, resource(/subresource)]. */
    const recordedCalls = async (): Promise<[string, string, string][]> => {
      const metric = await service.service.metrics.kubeRequests.get();
      return metric.values.map(({ labels }) => {
        const [kind = '', ...sub] = String(labels.resource).split('/');
        const dot = kind.indexOf('.');
        const plural = dot < 0 ? kind : kind.slice(0, dot);
        const group = dot < 0 ? '' : kind.slice(dot + 1);
        return [String(labels.verb), group, [plural, ...sub].join('/')];
      });
    };

    const granted = (verb: string, group: string, resource: string): boolean =>
      roles.some((role) =>
        manifestRules(role.kind, role.manifest).some(
          (r) =>
            r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb),
        ),
      );

    it('exercising power, boot, media, sessions and settings needs nothing more', async () => {
      const system = '/redfish/v1/Systems/demo-a.db-primary';
      const act = async (path: string, body: unknown, expected: number[]) => {
        const reply = await service.request(path, { method: 'POST', user: 'admin', body });
        assert.ok(
          expected.includes(reply.status),
          `${path} ${JSON.stringify(body)}: ${reply.text}`,
        );
        return reply;
      };
      const powerState = async () =>
        (await service.request(system, { user: 'admin' })).body.PowerState;
      const reset = (ResetType: string) =>
        act(`${system}/Actions/ComputerSystem.Reset`, { ResetType }, [204]);

      await service.waitFor(async () => (await service.request('/readyz')).status === 200);
      const patch = await service.request(system, {
        method: 'PATCH',
        user: 'admin',
        body: { Boot: { BootSourceOverrideTarget: 'Cd', BootSourceOverrideEnabled: 'Once' } },
      });
      assert.equal(patch.status, 204, patch.text);
      await act(
        `${system}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`,
        { Image: 'http://images.example/installer.iso', UserName: 'u', Password: 'p' },
        [202],
      );
      await reset('On');
      await service.waitFor(async () => (await powerState()) === 'On', 20_000);
      await reset('Pause');
      await service.waitFor(async () => (await powerState()) === 'Paused');
      await reset('Resume');
      await service.waitFor(async () => (await powerState()) === 'On');
      await reset('GracefulRestart');
      await reset('ForceRestart');
      await service.waitFor(async () => (await powerState()) === 'On', 20_000);
      await reset('ForceOff');
      await service.waitFor(async () => (await powerState()) === 'Off', 20_000);
      // The one-time boot is over: this start goes through the start subresource under Manual.
      await reset('On');
      await service.waitFor(async () => (await powerState()) === 'On', 20_000);
      await reset('GracefulShutdown');
      await act(`${system}/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia`, {}, [204]);
      // The event log: its read lists Events, and the eject above is written as one.
      await service.waitFor(async () => {
        const log = await service.request(`${system}/LogServices/Log/Entries`, { user: 'admin' });
        assert.equal(log.status, 200, log.text);
        return (log.body.Members as { Name: string }[]).some((e) =>
          e.Name.endsWith('RedfishEjectMedia'),
        );
      });
      const login = await service.request('/redfish/v1/SessionService/Sessions', {
        method: 'POST',
        body: { UserName: 'admin', Password: 'admin-password' },
      });
      assert.equal(login.status, 201, login.text);
      const timeout = await service.request('/redfish/v1/SessionService', {
        method: 'PATCH',
        token: login.headers.get('x-auth-token') ?? '',
        body: { SessionTimeout: 600 },
      });
      assert.equal(timeout.status, 204, timeout.text);
      const logout = await service.request(login.headers.get('location') ?? '', {
        method: 'DELETE',
        user: 'admin',
      });
      assert.equal(logout.status, 204, logout.text);

      const calls = await recordedCalls();
      const seen = new Set(calls.map((c) => c.join(' ')));
      // The exercise reached the writes it was meant to (else the check below proves little).
      for (const expected of [
        'update subresources.kubevirt.io virtualmachines/start',
        'update subresources.kubevirt.io virtualmachineinstances/pause',
        'patch kubevirt.io virtualmachines',
        'create cdi.kubevirt.io datavolumes',
        'delete cdi.kubevirt.io datavolumes',
        'create  secrets',
        'create  configmaps',
        'watch kubevirt.io virtualmachineinstances',
        'list  events',
        'create  events',
      ])
        assert.ok(
          seen.has(expected),
          `the exercise made no "${expected}" call: ${[...seen].join(', ')}`,
        );
      // Discovery documents are readable by every authenticated user (system:discovery).
      const missing = calls.filter(
        ([verb, group, resource]) => verb !== 'discover' && !granted(verb, group, resource),
      );
      assert.deepEqual(missing, [], 'calls the manifests do not grant');
    });
  });
});
