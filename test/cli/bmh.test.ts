// `kubevirt-redfish bmh` as an operator runs it (issue 13 item 7): the real command against a
// simulated cluster through a kubeconfig, its YAML parsed, validated against the BareMetalHost
// CRD's openAPIV3Schema, every value checked against the simulator's objects, and applied with
// the machine's kubectl (`apply --dry-run=server`) to a simulator serving the CRD. Refusals
// (a ReadOnly user, a bcrypt hash without the password, a wildcard listener) exit 2 on one line.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { generate } from 'selfsigned';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { hashPassword } from '../../src/auth/passwords.ts';
import { bmh } from '../../src/cli/bmh.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { TypeKeys } from '../../src/sim/resource-types.ts';
import { pruneUnknownFields } from '../../src/sim/pruning.ts';
import { createVm } from '../../src/sim/scenarios.ts';
import bareMetalHostSchema from '../../src/sim/schemas/baremetalhost.schema.json' with { type: 'json' };
import { startSimulator, type Simulator } from '../../src/sim/simulator.ts';
import type { KubeObject } from '../../src/sim/types.ts';
import { defaultConfigYaml, users } from '../helpers/service.ts';

const main = new URL('../../src/main.ts', import.meta.url).pathname;
const kubectlPath = '/usr/bin/kubectl';
const skip =
  !existsSync(kubectlPath) && process.env.CI !== 'true' ? 'kubectl is not installed' : false;

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const run = (file: string, args: string[], stdin?: string): Promise<Result> =>
  new Promise((resolve) => {
    const child = spawn(file, args, {
      env: { ...process.env, CONFIG_PATH: '', KUBECONFIG: '', LOG_LEVEL: 'error' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
const cli = (args: string[], stdin?: string) =>
  run(process.execPath, ['--import', 'tsx', main, 'bmh', ...args], stdin);

const VM = TypeKeys.virtualMachines;
const VMI = TypeKeys.virtualMachineInstances;
const day = 24 * 60 * 60 * 1000;

const configWith = (edit: (config: any) => void): string => {
  const config = parse(defaultConfigYaml());
  edit(config);
  return stringify(config);
};

const documentsOf = (yaml: string): KubeObject[] =>
  parseAllDocuments(yaml).map((d) => {
    assert.deepEqual(d.errors, []);
    return d.toJS() as KubeObject;
  });
const hostsOf = (objects: KubeObject[]) => objects.filter((o) => o.kind === 'BareMetalHost');
const spec = (o: KubeObject): any => o.spec;

void describe('kubevirt-redfish bmh', { skip }, () => {
  let simulator: Simulator;
  let dir: string;
  let kubeconfig: string;
  const results: Record<string, Result> = {};

  before(async () => {
    simulator = await startSimulator({ delays: 'instant', tls: true });
    const store = simulator.store;
    store.create('namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'metal3' },
    });
    // A second NIC after the first: bootMACAddress must be the first's.
    store.mutate(VM, 'demo-a', 'db-primary', (d) => {
      const template = (d.spec as any).template.spec;
      template.domain.devices.interfaces.push({
        name: 'storage',
        bridge: {},
        macAddress: '52:54:00:00:00:99',
      });
      template.networks.push({ name: 'storage', multus: { networkName: 'storage-net' } });
    });
    // A second VM named db-primary, in the other chassis: two hosts may not share a name.
    createVm(store, { namespace: 'demo-b', name: 'db-primary', runStrategy: 'Halted' });
    // Settle the demo's running VMs, so that PowerState is not in transit when read.
    for (let i = 0; i < 200; i++) {
      const vm = store.get(VM, 'demo-a', 'web.frontend');
      if ((vm?.status as any)?.printableStatus === 'Running') break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    dir = await mkdtemp(join(tmpdir(), 'kvrf-bmh-'));
    kubeconfig = join(dir, 'kubeconfig');
    await simulator.writeKubeconfig(kubeconfig);
    const pems = await generate([{ name: 'commonName', value: 'redfish.example' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: new Date(Date.now() - day),
      notAfterDate: new Date(Date.now() + day),
    });
    await writeFile(join(dir, 'tls.crt'), pems.cert);
    await writeFile(join(dir, 'tls.key'), pems.private, { mode: 0o600 });
    const hashed = await hashPassword(users['operator-a'], 4);
    const configs = {
      plain: defaultConfigYaml(),
      tls: configWith((c) => {
        c.server.tls = {
          enabled: true,
          cert_file: join(dir, 'tls.crt'),
          key_file: join(dir, 'tls.key'),
        };
      }),
      hashed: configWith((c) => {
        c.authentication.users[1].password = { hash: hashed };
      }),
      wildcard: configWith((c) => {
        c.server.host = '0.0.0.0';
      }),
      legacy: configWith((c) => {
        c.system_id_convention = 'legacy';
      }),
    };
    for (const [name, text] of Object.entries(configs))
      await writeFile(join(dir, `${name}.yaml`), text);
    const using = (name: string) => [
      '--config',
      join(dir, `${name}.yaml`),
      '--kubeconfig',
      kubeconfig,
    ];
    // Every command at once: each pays the tsx start-up.
    const runs: Record<string, Promise<Result>> = {
      plain: cli([...using('plain'), '--namespace', 'metal3']),
      tls: cli([...using('tls'), '--user', 'admin', '--address', 'https://redfish.example:9443']),
      viewer: cli([...using('plain'), '--user', 'viewer-b']),
      hashed: cli([...using('hashed'), '--user', 'operator-a']),
      hashedGiven: cli(
        [...using('hashed'), '--user', 'operator-a', '--password-stdin'],
        `${users['operator-a']}\n`,
      ),
      hashedWrong: cli([...using('hashed'), '--user', 'operator-a', '--password-stdin'], 'nope\n'),
      wildcard: cli(using('wildcard')),
      legacy: cli(using('legacy')),
      badAddress: cli([...using('plain'), '--address', 'https://x.example/redfish/v1']),
    };
    for (const [name, result] of Object.entries(runs)) results[name] = await result;
  });

  after(async () => {
    await simulator?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const ok = (name: string): KubeObject[] => {
    const result = results[name]!;
    assert.equal(result.code, 0, `${name}: ${result.stderr}`);
    return documentsOf(result.stdout);
  };

  it('prints a Secret and a BareMetalHost per system, valid against the CRD schema', () => {
    const objects = ok('plain');
    const validate = new Ajv({ strict: false, validateFormats: false, allErrors: true }).compile(
      bareMetalHostSchema,
    );
    const hosts = hostsOf(objects);
    // Every labelled demo VM of both chassis (the unlabelled ones are in no chassis).
    assert.deepEqual(
      hosts.map((h) => h.metadata.name),
      [
        'build-runner',
        'demo-a.db-primary',
        'legacy-bios',
        'web.frontend',
        'app-server-1',
        'app-server-2',
        'demo-b.db-primary',
        'monitoring',
      ],
    );
    for (const host of hosts) {
      assert.ok(validate(host), JSON.stringify(validate.errors));
      // Nothing the apiserver would prune: every field is one the CRD declares.
      assert.deepEqual(pruneUnknownFields(bareMetalHostSchema, structuredClone(host)), []);
      assert.equal(host.metadata.namespace, 'metal3');
      const secret = objects.find(
        (o) => o.kind === 'Secret' && o.metadata.name === spec(host).bmc.credentialsName,
      );
      assert.ok(secret, `the Secret of ${host.metadata.name}`);
      assert.equal(secret.metadata.namespace, 'metal3');
    }
  });

  it("states each system's address, first MAC, power, boot mode and architecture", () => {
    const objects = ok('plain');
    for (const host of hostsOf(objects)) {
      const { bmc, bootMACAddress, online, bootMode, architecture } = spec(host);
      const match =
        /^redfish-virtualmedia\+http:\/\/127\.0\.0\.1:8443\/redfish\/v1\/Systems\/([^/.]+)\.(.+)$/.exec(
          bmc.address,
        );
      assert.ok(match, bmc.address);
      const [, namespace, name] = match as unknown as [string, string, string];
      assert.ok([name, `${namespace}.${name}`].includes(host.metadata.name!), host.metadata.name);
      assert.equal(bmc.disableCertificateVerification, undefined, 'plain HTTP has no certificate');
      const vm = simulator.store.get(VM, namespace, name)!;
      const template = (vm.spec as any).template.spec;
      // demo-b/db-primary has no MAC in its spec and no VMI: none is stated.
      assert.equal(bootMACAddress, template.domain.devices.interfaces[0].macAddress?.toLowerCase());
      assert.equal(online, simulator.store.get(VMI, namespace, name) !== undefined, name);
      const efi = template.domain.firmware?.bootloader?.efi;
      assert.equal(
        bootMode,
        efi === undefined ? 'legacy' : (efi.secureBoot ?? true) ? 'UEFISecureBoot' : 'UEFI',
        name,
      );
      assert.equal(template.architecture, 'amd64');
      assert.equal(architecture, 'x86_64');
    }
    const [dbPrimary] = hostsOf(objects).filter((h) => h.metadata.name === 'demo-a.db-primary');
    assert.notEqual(spec(dbPrimary!).bootMACAddress, '52:54:00:00:00:99');
    const unpinned = hostsOf(objects).find((h) => h.metadata.name === 'demo-b.db-primary')!;
    assert.equal(spec(unpinned).bootMACAddress, undefined);
    assert.ok(
      hostsOf(objects).some((h) => spec(h).online === true),
      'a running VM is among them',
    );
  });

  it('gives each Secret the credentials of the least-privileged user who sees the system', () => {
    const objects = ok('plain');
    for (const host of hostsOf(objects)) {
      const secret = objects.find((o) => o.metadata.name === spec(host).bmc.credentialsName)!;
      const data = secret.data as Record<string, string>;
      const username = Buffer.from(data.username!, 'base64').toString();
      const password = Buffer.from(data.password!, 'base64').toString();
      // demo-a is operator-a's; demo-b only admin's (viewer-b is ReadOnly).
      const expected = spec(host).bmc.address.includes('/Systems/demo-a.') ? 'operator-a' : 'admin';
      assert.equal(username, expected, host.metadata.name);
      assert.equal(password, users[expected]);
    }
  });

  it('is accepted by kubectl apply --dry-run=server, and nothing is stored', async () => {
    const applied = await run(
      kubectlPath,
      ['--kubeconfig', kubeconfig, 'apply', '--dry-run=server', '-f', '-'],
      results.plain!.stdout,
    );
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(
      applied.stdout,
      /^baremetalhost\.metal3\.io\/web\.frontend created \(server dry run\)$/m,
    );
    assert.match(applied.stdout, /^secret\/web\.frontend-bmc-secret created \(server dry run\)$/m);
    assert.equal(simulator.store.list(TypeKeys.bareMetalHosts, 'metal3').items.length, 0);
  });

  it('is refused by the API server like a real one when it breaks the CRD', async () => {
    const broken = hostsOf(ok('plain'))[0]!;
    delete spec(broken).online;
    spec(broken).bootMode = 'bios';
    const applied = await run(
      kubectlPath,
      ['--kubeconfig', kubeconfig, 'apply', '--dry-run=server', '-f', '-'],
      JSON.stringify(broken),
    );
    assert.equal(applied.code, 1);
    // kubectl's rendering of the 422's causes, one per line.
    const lines = applied.stderr.trimEnd().split('\n');
    assert.equal(lines[0], 'The BareMetalHost "build-runner" is invalid: ');
    assert.deepEqual(lines.slice(1).sort(), [
      '* spec.bootMode: Unsupported value: "bios": supported values: "UEFI", "UEFISecureBoot", "legacy"',
      '* spec.online: Required value',
    ]);
  });

  it('is refused for an undeclared field as kubectl asks (Strict), or warned of', async () => {
    const extra = hostsOf(ok('plain'))[0]!;
    spec(extra).colour = 'blue';
    const apply = (...flags: string[]) =>
      run(
        kubectlPath,
        ['--kubeconfig', kubeconfig, 'apply', '--dry-run=server', ...flags, '-f', '-'],
        JSON.stringify(extra),
      );
    const strict = await apply();
    assert.equal(strict.code, 1);
    assert.match(
      strict.stderr,
      /BareMetalHost in version "v1alpha1" cannot be handled as a BareMetalHost: strict decoding error: unknown field "spec\.colour"/,
    );
    const warned = await apply('--validate=warn');
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(warned.stderr, /^Warning: unknown field "spec\.colour"$/m);
  });

  it('uses --address and --user, and skips verification of a self-signed certificate', () => {
    const hosts = hostsOf(ok('tls'));
    assert.equal(hosts.length, 8, 'admin sees both chassis');
    for (const host of hosts) {
      assert.match(
        spec(host).bmc.address,
        /^redfish-virtualmedia:\/\/redfish\.example:9443\/redfish\/v1\/Systems\/demo-[ab]\./,
      );
      assert.equal(spec(host).bmc.disableCertificateVerification, true);
      assert.equal(host.metadata.namespace, undefined, 'no --namespace: kubectl chooses');
    }
  });

  it("addresses each system by the Id its user's view gives it (legacy Ids)", () => {
    const hosts = hostsOf(ok('legacy'));
    const address = (name: string) =>
      spec(hosts.find((h) => h.metadata.name === name)!).bmc.address.replace(/^.*\/Systems\//, '');
    // operator-a sees one db-primary (a bare name); admin sees both, so demo-b's keeps its
    // namespace; the hosts' names stay unique either way.
    assert.equal(address('demo-a.db-primary'), 'db-primary');
    assert.equal(address('demo-b.db-primary'), 'demo-b.db-primary');
    assert.equal(address('monitoring'), 'monitoring');
    assert.equal(new Set(hosts.map((h) => h.metadata.name)).size, hosts.length);
  });

  it('takes a hashed password only from standard input, checked against the hash', () => {
    const objects = ok('hashedGiven');
    const secret = objects.find((o) => o.kind === 'Secret')!;
    const password = (secret.data as Record<string, string>).password!;
    assert.equal(Buffer.from(password, 'base64').toString(), users['operator-a']);
    assert.equal(hostsOf(objects).length, 4, "operator-a's chassis demo-a only");
  });

  it('gives up on an unreachable cluster within its deadline, as an operating condition', async () => {
    const dead = join(dir, 'dead-kubeconfig');
    await writeFile(
      dead,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
        users: [{ name: 'u', user: { token: 'x' } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'c',
      }),
    );
    await assert.rejects(
      bmh({
        configPath: join(dir, 'plain.yaml'),
        kubeconfigPath: dead,
        simulate: false,
        logger: createLogger({ level: 'silent' }),
        note: () => {},
        syncTimeoutMs: 1_500,
      }),
      (error: Error & { code?: string }) =>
        error.code === 'ETIMEDOUT' && /could not be read within 1.5 s/.test(error.message),
    );
  });

  it('refuses clearly, exit 2, one line and no stack trace', () => {
    const refusals: [string, RegExp][] = [
      [
        'viewer',
        /^bmh: user "viewer-b" is ReadOnly; Metal3 needs power, boot and virtual-media control/,
      ],
      [
        'hashed',
        /^bmh: user "operator-a" has a bcrypt-hashed password, and a Secret needs the password itself; run with --user operator-a --password-stdin/,
      ],
      ['hashedWrong', /^bmh: the password on standard input is not user "operator-a"'s$/],
      [
        'wildcard',
        /^bmh: the service listens on all addresses \(server.host "0.0.0.0"\); give the URL Metal3 reaches it at with --address$/,
      ],
      ['badAddress', /^bmh: --address takes the service's base URL/],
    ];
    for (const [name, message] of refusals) {
      const result = results[name]!;
      assert.equal(result.code, 2, `${name}: ${result.stderr}`);
      assert.equal(result.stdout, '', name);
      assert.match(result.stderr.trimEnd(), message, name);
      assert.equal(result.stderr.trimEnd().split('\n').length, 1, `${name}: ${result.stderr}`);
    }
  });
});
