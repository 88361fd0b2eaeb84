// The service configuration the tests and the HTTP benchmark (bench/http.ts) run with: two
// chassis over the simulator's demo namespaces, the users given, virtual media storage. One
// builder, so a setting added for one of them reaches the other.

/** A configured user: a plain password, or a bcrypt hash of one. */
export interface ConfigUser {
  readonly username: string;
  readonly password?: string;
  readonly passwordHash?: string;
  /** Absent: the configuration's default (Administrator). */
  readonly role?: string;
  readonly chassis: readonly string[];
}

export interface ConfigYamlOptions {
  readonly users: readonly ConfigUser[];
  /** HTTPS with this certificate and key; absent: plain HTTP. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Where sessions are kept; absent: the service's own namespace (which the embedded
   *  simulator creates; a separate `simulate` process does not). */
  readonly sessionsNamespace?: string;
  /** Hosts InsertMedia may import from (datavolume.image_url_policy.allow). */
  readonly imageHosts?: readonly string[];
  /** Appended as is (further top-level sections). */
  readonly extra?: string;
}

const list = (items: readonly string[]): string => `[${items.map((i) => `"${i}"`).join(', ')}]`;

const userYaml = (user: ConfigUser): string =>
  [
    `    - username: "${user.username}"`,
    ...(user.password === undefined ? [] : [`      password: "${user.password}"`]),
    ...(user.passwordHash === undefined ? [] : [`      password_hash: "${user.passwordHash}"`]),
    ...(user.role === undefined ? [] : [`      role: ${user.role}`]),
    `      chassis: ${list(user.chassis)}`,
  ].join('\n');

export const serviceConfigYaml = (options: ConfigYamlOptions): string => `
server:
  host: "127.0.0.1"
  port: 8443
  tls:
    enabled: ${options.tls ? 'true' : 'false'}
${options.tls ? `    cert_file: "${options.tls.cert}"\n    key_file: "${options.tls.key}"\n` : ''}system_id_convention: "enhanced"
chassis:
  - name: "demo-a"
    namespace: "demo-a"
    service_account: "kubevirt-redfish"
    vm_selector:
      labels:
        redfish-enabled: "true"
  - name: "demo-b"
    namespace: "demo-b"
    vm_selector:
      labels:
        redfish-enabled: "true"
authentication:
  users:
${options.users.map(userYaml).join('\n')}
${options.sessionsNamespace === undefined ? '' : `sessions:\n  namespace: "${options.sessionsNamespace}"\n`}datavolume:
  storage_class: ""
  storage_size: "3Gi"
${
  options.imageHosts === undefined
    ? ''
    : `  # The simulated importer really downloads only from loopback image servers (test/clients).
  image_url_policy:
    allow: ${list(options.imageHosts)}
`
}${options.extra ?? ''}`;
