import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { ConfigError, loadConfigFile, parseConfig } from './load.ts';

const documented = await readFile(
  new URL('./testdata/documented-config.yaml', import.meta.url),
  'utf8',
);

/** The placeholders of the documented example, filled in as a user does. */
const filled = documented
  .replaceAll('<chassis_name>', 'lab')
  .replaceAll('<vm_namespace>', 'vms')
  .replaceAll('<storage_class>', 'fast-ssd');

const problemsOf = (text: string): readonly string[] => {
  try {
    parseConfig(text, 'test.yaml');
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.source, 'test.yaml');
    return error.problems;
  }
  assert.fail('expected a ConfigError');
};

const base = `chassis:
  - name: lab
    namespace: vms
authentication:
  users:
    - username: admin
      password: secret-pw
      chassis: [lab]
`;

const bcryptHash = '$2b$04$WMfHNsJAwTjWq4.s.cKh3uAYqzIMHqk29cC6RSaoUZzQxnstYR9kC';

void describe('parseConfig: the documented format', () => {
  void it('accepts the documented example with its placeholders filled in', () => {
    const { config, warnings } = parseConfig(filled, 'config.yaml');
    assert.deepEqual(warnings, []);
    assert.deepEqual(config.server, {
      host: '0.0.0.0',
      port: 8443,
      metricsPort: 9090,
      tls: { enabled: false },
      trustedProxies: [],
    });
    assert.equal(config.systemIdConvention, 'enhanced');
    assert.deepEqual(config.chassis, [
      {
        name: 'lab',
        namespace: 'vms',
        serviceAccount: 'kubevirt-redfish',
        vmSelector: { labels: { 'redfish-enabled': 'true' } },
      },
    ]);
    const [admin] = config.authentication.users;
    assert.equal(admin?.username, 'admin');
    assert.equal(admin?.password.kind, 'plain');
    assert.equal(admin?.password.reveal(), '<password>');
    assert.deepEqual(admin?.chassis, ['lab']);
    assert.equal(admin?.role, 'Administrator');
    assert.equal(config.datavolume.storageClass, 'fast-ssd');
    assert.equal(config.datavolume.storageSize, '3Gi');
  });

  void it('taken verbatim, names exactly the placeholders that cannot be Kubernetes names', () => {
    assert.deepEqual(problemsOf(documented), [
      `chassis[0].name: expected a DNS label (lowercase letters, digits and '-', at most 63 characters), got "<chassis_name>"`,
      `chassis[0].namespace: expected a DNS label (lowercase letters, digits and '-', at most 63 characters), got "<vm_namespace>"`,
      `datavolume.storage_class: expected a storage class name, or "" for the cluster default, got "<storage_class>"`,
    ]);
  });

  void it('fills in defaults', () => {
    const { config } = parseConfig(base, 'x');
    assert.deepEqual(config.server, {
      host: '0.0.0.0',
      port: 8443,
      metricsPort: 9090,
      tls: { enabled: false },
      trustedProxies: [],
    });
    assert.equal(config.systemIdConvention, 'enhanced');
    assert.deepEqual(config.datavolume, {
      storageSize: '3Gi',
      vmUpdateTimeoutMs: 120_000,
      isoDownloadTimeoutMs: 1_800_000,
      allowInsecureTls: false,
      imageUrlPolicy: { allow: [], deny: [], unmatched: 'allow' },
    });
    assert.deepEqual(config.sessions, { timeoutSeconds: 1800 });
    assert.deepEqual(config.chassis[0]?.vmSelector, { labels: {} });
    assert.equal(config.authentication.users[0]?.role, 'Administrator');
    assert.deepEqual(config.authentication.lockout, {
      perClient: { threshold: 10, durationSeconds: 60, counterResetAfterSeconds: 60 },
      perUser: { threshold: 50, durationSeconds: 300, counterResetAfterSeconds: 300 },
    });
  });

  void it('reads the lockout; the counter resets after the duration unless told sooner', () => {
    const lockout = (yaml: string) =>
      parseConfig(base.replace('  users:', `  lockout: ${yaml}\n  users:`), 'x').config
        .authentication.lockout;
    assert.deepEqual(
      lockout(
        '{threshold: 3, duration_seconds: 120, counter_reset_after_seconds: 30, ' +
          'per_user: {threshold: 7, duration_seconds: 600, counter_reset_after_seconds: 600}}',
      ),
      {
        perClient: { threshold: 3, durationSeconds: 120, counterResetAfterSeconds: 30 },
        perUser: { threshold: 7, durationSeconds: 600, counterResetAfterSeconds: 600 },
      },
    );
    // A shorter lock than the default reset: the counter resets with it.
    assert.deepEqual(lockout('{duration_seconds: 20, per_user: {threshold: 90}}'), {
      perClient: { threshold: 10, durationSeconds: 20, counterResetAfterSeconds: 20 },
      perUser: { threshold: 90, durationSeconds: 300, counterResetAfterSeconds: 300 },
    });
  });

  void it('treats an empty storage_class as the cluster default', () => {
    const { config } = parseConfig(`${base}datavolume:\n  storage_class: ""\n`, 'x');
    assert.equal(config.datavolume.storageClass, undefined);
  });
});

void describe('parseConfig: accepted extensions', () => {
  void it('reads every extension key', () => {
    const { config, warnings } = parseConfig(
      `server:
  host: 127.0.0.1
  port: 9443
  metrics_port: 9100
  tls: {enabled: true, cert_file: /tls/tls.crt, key_file: /tls/tls.key}
  trusted_proxies: ["10.128.0.0/14", 192.0.2.1, "fd00::/8"]
system_id_convention: legacy
chassis:
  - name: lab
    namespace: vms
    description: Lab machines
    vm_selector:
      labels: {app.kubernetes.io/part-of: lab, tier: ""}
      names: [web-1, db.primary]
authentication:
  users:
    - {username: a, password_hash: "${bcryptHash}", chassis: [lab], role: Operator}
    - {username: b, password: {hash: "${bcryptHash.replace('$2b$', '$2y$')}"}, chassis: [lab], role: ReadOnly}
    - {username: c.d@example, password: pw, chassis: [lab, lab]}
datavolume:
  storage_size: 1.5Gi
  vm_update_timeout: 90s
  iso_download_timeout: 1h30m
  allow_insecure_tls: true
  cert_config_map: image-cas
sessions:
  namespace: redfish
  timeout_seconds: 600
`,
      'x',
    );
    assert.deepEqual(warnings, []);
    assert.deepEqual(config.server, {
      host: '127.0.0.1',
      port: 9443,
      metricsPort: 9100,
      tls: { enabled: true, certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' },
      trustedProxies: ['10.128.0.0/14', '192.0.2.1', 'fd00::/8'],
    });
    assert.equal(config.systemIdConvention, 'legacy');
    assert.deepEqual(config.chassis[0], {
      name: 'lab',
      namespace: 'vms',
      description: 'Lab machines',
      vmSelector: {
        labels: { 'app.kubernetes.io/part-of': 'lab', tier: '' },
        names: ['web-1', 'db.primary'],
      },
    });
    const [a, b, c] = config.authentication.users;
    assert.equal(a?.password.kind, 'bcrypt');
    assert.equal(a?.password.reveal(), bcryptHash);
    assert.equal(a?.role, 'Operator');
    // $2y$ is the same algorithm; stored as $2b$ for the bcrypt package.
    assert.equal(b?.password.reveal(), bcryptHash);
    assert.equal(b?.role, 'ReadOnly');
    assert.deepEqual(c?.chassis, ['lab']);
    assert.deepEqual(config.datavolume, {
      storageSize: '1.5Gi',
      vmUpdateTimeoutMs: 90_000,
      isoDownloadTimeoutMs: 5_400_000,
      allowInsecureTls: true,
      certConfigMap: 'image-cas',
      imageUrlPolicy: { allow: [], deny: [], unmatched: 'allow' },
    });
    assert.deepEqual(config.sessions, { namespace: 'redfish', timeoutSeconds: 600 });
  });

  void it('treats an empty vm_selector.names as not given', () => {
    const { config } = parseConfig(
      base.replace('namespace: vms', 'namespace: vms\n    vm_selector: {names: []}'),
      'x',
    );
    assert.deepEqual(config.chassis[0]?.vmSelector, { labels: {} });
  });
});

void describe('parseConfig: unknown keys warn', () => {
  void it('names every unknown key and still loads', () => {
    const { config, warnings } = parseConfig(
      `${base}kubevirt: {api_version: v1}
server: {test_mode: true, tls: {min_version: "1.3"}}
datavolume: {helper_image: alpine}
`.replace('    namespace: vms', '    namespace: vms\n    colour: blue'),
      'x',
    );
    assert.deepEqual(warnings.toSorted(), [
      'chassis[0].colour: unknown key, ignored',
      'datavolume.helper_image: unknown key, ignored',
      'kubevirt: unknown key, ignored',
      'server.test_mode: unknown key, ignored',
      'server.tls.min_version: unknown key, ignored',
    ]);
    assert.equal(config.chassis[0]?.name, 'lab');
  });
});

void describe('parseConfig: errors name the path and the expected form', () => {
  const cases: [string, string, string][] = [
    [
      'unknown chassis of a user',
      base.replace(
        'chassis: [lab]',
        'chassis: [lab]\n    - {username: ops, password: x, chassis: [lab, lab2]}',
      ),
      'authentication.users[1].chassis[1]: no chassis named "lab2"',
    ],
    [
      'port out of range',
      `server: {port: 70000}\n${base}`,
      'server.port: expected an integer port between 1 and 65535, got 70000',
    ],
    [
      'port as a string',
      `server: {port: "8443"}\n${base}`,
      'server.port: expected an integer port between 1 and 65535, got "8443"',
    ],
    [
      'tls.enabled not boolean',
      `server: {tls: {enabled: "yes"}}\n${base}`,
      'server.tls.enabled: expected true or false, got "yes"',
    ],
    [
      'a trusted proxy that is no CIDR',
      `server: {trusted_proxies: ["10.0.0.0/8", "10.0.0.0/33"]}\n${base}`,
      'server.trusted_proxies[1]: "10.0.0.0/33" is not an IP address or CIDR such as "10.128.0.0/14"',
    ],
    [
      'TLS without a certificate',
      `server: {tls: {enabled: true, key_file: /k}}\n${base}`,
      'server.tls.cert_file: required when server.tls.enabled is true',
    ],
    [
      'bad convention',
      `system_id_convention: Enhanced\n${base}`,
      'system_id_convention: expected one of "enhanced", "legacy", got "Enhanced"',
    ],
    [
      'chassis name not a DNS label',
      base.replace('name: lab', 'name: Lab_1'),
      `chassis[0].name: expected a DNS label (lowercase letters, digits and '-', at most 63 characters), got "Lab_1"`,
    ],
    [
      'chassis missing a namespace',
      base.replace('    namespace: vms\n', ''),
      `chassis[0].namespace: required (a DNS label (lowercase letters, digits and '-', at most 63 characters))`,
    ],
    [
      'duplicate chassis',
      base.replace('chassis:\n', 'chassis:\n  - {name: lab, namespace: other}\n'),
      'chassis[1].name: duplicate chassis name "lab" (also chassis[0])',
    ],
    [
      'no chassis at all',
      base.replace(/^chassis:\n( {2}.*\n)+/, 'chassis: []\n'),
      'chassis: expected a list of at least one chassis, got an empty list',
    ],
    [
      'label value not a string',
      base.replace(
        'namespace: vms',
        'namespace: vms\n    vm_selector: {labels: {redfish-enabled: true}}',
      ),
      'chassis[0].vm_selector.labels.redfish-enabled: expected a label value as a quoted string (e.g. "true"), got true',
    ],
    [
      'label name invalid',
      base.replace('namespace: vms', 'namespace: vms\n    vm_selector: {labels: {"bad key": "x"}}'),
      'chassis[0].vm_selector.labels["bad key"]: expected a Kubernetes label name',
    ],
    [
      'names not a list',
      base.replace('namespace: vms', 'namespace: vms\n    vm_selector: {names: web-1}'),
      'chassis[0].vm_selector.names: expected a list of VM names, got "web-1"',
    ],
    [
      'missing users',
      'chassis: [{name: lab, namespace: vms}]\nauthentication: {}\n',
      'authentication.users: required (a list of at least one user)',
    ],
    [
      'missing authentication',
      'chassis: [{name: lab, namespace: vms}]\n',
      'authentication: required (a mapping)',
    ],
    [
      'duplicate users',
      base.replace(
        'chassis: [lab]',
        'chassis: [lab]\n    - {username: admin, password: y, chassis: [lab]}',
      ),
      'authentication.users[1].username: duplicate user "admin" (also authentication.users[0])',
    ],
    [
      'username with a colon (impossible in Basic auth)',
      base.replace('username: admin', 'username: "ad:min"'),
      `authentication.users[0].username: expected a user name (letters, digits, '_', '.', '@' and '-', at most 63 characters), got "ad:min"`,
    ],
    [
      'no password',
      base.replace('      password: secret-pw\n', ''),
      'authentication.users[0].password: required (a password, or password_hash with a bcrypt hash)',
    ],
    [
      'both password forms',
      base.replace(
        'password: secret-pw',
        `password: secret-pw\n      password_hash: "${bcryptHash}"`,
      ),
      'authentication.users[0]: give either password or password_hash, not both',
    ],
    [
      'empty password',
      base.replace('password: secret-pw', 'password: ""'),
      'authentication.users[0].password: expected a password string or a mapping {hash: "<bcrypt hash>"}, got a string',
    ],
    [
      'password mapping without hash',
      base.replace('password: secret-pw', 'password: {plain: x}'),
      'authentication.users[0].password.hash: required (a bcrypt hash ("$2a$", "$2b$" or "$2y$", cost, 53 characters))',
    ],
    [
      'user chassis empty',
      base.replace('chassis: [lab]', 'chassis: []'),
      'authentication.users[0].chassis: expected a list of at least one chassis name, got an empty list',
    ],
    [
      'unknown role',
      base.replace('chassis: [lab]', 'chassis: [lab]\n      role: Admin'),
      'authentication.users[0].role: expected one of "Administrator", "Operator", "ReadOnly", got "Admin"',
    ],
    [
      'duration without unit',
      `${base}datavolume: {vm_update_timeout: 30}\n`,
      'datavolume.vm_update_timeout: expected a duration such as "90s", "30m" or "1h30m", got 30',
    ],
    [
      'zero duration',
      `${base}datavolume: {iso_download_timeout: 0s}\n`,
      'datavolume.iso_download_timeout: expected a positive duration, got "0s"',
    ],
    [
      'bad quantity',
      `${base}datavolume: {storage_size: 3GB}\n`,
      'datavolume.storage_size: expected a Kubernetes quantity such as "3Gi", got "3GB"',
    ],
    [
      'session timeout out of range',
      `${base}sessions: {timeout_seconds: 10}\n`,
      'sessions.timeout_seconds: expected an integer number of seconds between 30 and 86400, got 10',
    ],
    [
      'lockout threshold of zero',
      base.replace('  users:', '  lockout: {threshold: 0}\n  users:'),
      'authentication.lockout.threshold: expected an integer number of failed logins between 1 and 10000, got 0',
    ],
    [
      'lockout duration not an integer',
      base.replace('  users:', '  lockout: {per_user: {duration_seconds: 1m}}\n  users:'),
      'authentication.lockout.per_user.duration_seconds: expected an integer number of seconds between 1 and 86400, got "1m"',
    ],
    [
      'lockout counter outlasting the lock',
      base.replace(
        '  users:',
        '  lockout: {duration_seconds: 30, counter_reset_after_seconds: 60}\n  users:',
      ),
      'authentication.lockout.counter_reset_after_seconds: at most authentication.lockout.duration_seconds (30)',
    ],
    ['empty file', '', '(top level): expected a mapping, got nothing'],
    ['a list at the top', '- a\n', '(top level): expected a mapping, got a list'],
  ];
  for (const [name, text, message] of cases) {
    void it(name, () => assert.ok(problemsOf(text).includes(message), problemsOf(text).join('\n')));
  }

  void it('lists every problem at once', () => {
    const problems = problemsOf(
      `server: {port: 0, host: ""}\nsystem_id_convention: x\nchassis: [{name: A, namespace: b}]\nauthentication: {users: []}\n`,
    );
    assert.equal(problems.length, 5, problems.join('\n'));
  });

  void it('reports YAML syntax errors and duplicate keys with their position', () => {
    assert.deepEqual(problemsOf('chassis: [unclosed\n'), [
      'line 2, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
    assert.deepEqual(problemsOf(`${base}chassis: []\n`), [
      'line 9, column 1: Map keys must be unique',
    ]);
  });

  void it('does not quote the source line of a YAML error, which may hold a password', () => {
    const message = problemsOf(base.replace('password: secret-pw', 'password: "secret-pw')).join(
      '\n',
    );
    assert.match(message, /^line \d+, column \d+: Missing closing "quote$/);
    assert.doesNotMatch(message, /secret-pw/);
  });

  void it('never echoes a password or hash in a message', () => {
    const text = base
      .replace('password: secret-pw', 'password: {hash: "$2b$10$not-really-a-hash-SECRETVALUE"}')
      .replace(
        'chassis: [lab]',
        'chassis: [lab]\n    - {username: b, password_hash: "plain-SECRET2", chassis: [lab]}',
      );
    const message = problemsOf(text).join('\n');
    assert.match(message, /users\[0\]\.password\.hash/);
    assert.match(message, /users\[1\]\.password_hash/);
    assert.doesNotMatch(message, /SECRET/);
  });
});

void describe('parsed passwords never print', () => {
  void it('is redacted in JSON and util.inspect', () => {
    const { config } = parseConfig(base, 'x');
    assert.doesNotMatch(JSON.stringify(config), /secret-pw/);
    assert.doesNotMatch(inspect(config, { depth: 10 }), /secret-pw/);
    assert.doesNotMatch(String(config.authentication.users[0]?.password), /secret-pw/);
  });
});

void describe('loadConfigFile', () => {
  void it('reads through symlinks and hashes the content', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'config-load-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await mkdir(join(dir, '..2026_01_01'));
    await writeFile(join(dir, '..2026_01_01', 'config.yaml'), filled);
    await symlink('..2026_01_01', join(dir, '..data'));
    await symlink('..data/config.yaml', join(dir, 'config.yaml'));
    const loaded = await loadConfigFile(join(dir, 'config.yaml'));
    assert.equal(loaded.config.chassis[0]?.name, 'lab');
    assert.match(loaded.contentHash, /^[0-9a-f]{64}$/);
    const again = await loadConfigFile(join(dir, 'config.yaml'));
    assert.equal(again.contentHash, loaded.contentHash);
  });

  void it('throws ConfigError naming the file', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'config-load-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'config.yaml');
    await writeFile(path, 'chassis: 3\n');
    await assert.rejects(loadConfigFile(path), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, new RegExp(`^${path}: invalid configuration`));
      return true;
    });
  });
});
