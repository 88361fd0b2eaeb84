// The configuration contract (config-reference.md): the JSON Schema the YAML must satisfy, the
// raw shape it then has, and the normalised static type the rest of the service reads.
import type { LockoutPolicy, RoleId } from '../auth/types.ts';
import { RoleIds } from '../auth/types.ts';
import type { PasswordSecret } from './secret.ts';
import type { ImageUrlPolicyConfig } from '../media-url-policy/image-url-policy.ts';

export const SystemIdConventions = ['enhanced', 'legacy'] as const;
export type SystemIdConvention = (typeof SystemIdConventions)[number];

// ---- The normalised configuration -------------------------------------------------------------

export interface TlsConfig {
  readonly enabled: boolean;
  /** PEM paths; both present whenever `enabled` is true. */
  readonly certFile?: string;
  readonly keyFile?: string;
}

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** Plain-HTTP port of GET /metrics, apart from the Redfish port so a Route never exposes it. */
  readonly metricsPort: number;
  readonly tls: TlsConfig;
  /** CIDRs of proxies whose X-Forwarded-For / Forwarded name the client (login throttling). */
  readonly trustedProxies: readonly string[];
}

export interface VmSelector {
  /** Every label must match (equality, AND); empty = every VM of the namespace. */
  readonly labels: Readonly<Record<string, string>>;
  /** When given, only VMs with one of these names (and matching labels) belong. */
  readonly names?: readonly string[];
}

export interface ChassisConfig {
  readonly name: string;
  readonly namespace: string;
  /** Accepted for compatibility with the documented format; not used for API calls. */
  readonly serviceAccount?: string;
  readonly description?: string;
  readonly vmSelector: VmSelector;
}

export interface UserConfig {
  readonly username: string;
  readonly password: PasswordSecret;
  /** Names of existing chassis, never empty. */
  readonly chassis: readonly string[];
  readonly role: RoleId;
}

/** The failed-login lockout (auth/rate-limit.ts); a change needs a restart. */
export interface LockoutConfig {
  /** Per user and client: what AccountService reports as AccountLockout*. */
  readonly perClient: LockoutPolicy;
  /** Per user over every client that has not logged in as that user. */
  readonly perUser: LockoutPolicy;
}

export interface DataVolumeConfig {
  /** Undefined (or "" in the file) = the cluster's default storage class. */
  readonly storageClass?: string;
  /** A Kubernetes quantity such as "3Gi". */
  readonly storageSize: string;
  readonly vmUpdateTimeoutMs: number;
  readonly isoDownloadTimeoutMs: number;
  readonly allowInsecureTls: boolean;
  /** ConfigMap holding CA certificates trusted for image downloads. */
  readonly certConfigMap?: string;
  /** Which image URL hosts InsertMedia accepts (media-url-policy/). */
  readonly imageUrlPolicy: ImageUrlPolicyConfig;
}

/** Describes the cluster where the KubeVirt CR cannot be read (config `cluster`). */
export interface ClusterConfigOverride {
  /** KubeVirt release, e.g. "1.8" or "v1.8.4"; when set, the KubeVirt CR is not read. */
  readonly kubevirtVersion: string;
  /** The KubeVirt CR's developerConfiguration.featureGates. */
  readonly featureGates: readonly string[];
  readonly disabledFeatureGates: readonly string[];
  /** CDI's release, or "none" when CDI is not installed; undefined: discovered. */
  readonly cdiVersion?: string;
}

export interface SessionsConfig {
  /** Namespace of the session Secrets; undefined = the service's own namespace. */
  readonly namespace?: string;
  /** Default SessionTimeout (inactivity), 30–86400 s. */
  readonly timeoutSeconds: number;
}

export interface Config {
  readonly server: ServerConfig;
  readonly systemIdConvention: SystemIdConvention;
  readonly chassis: readonly ChassisConfig[];
  readonly authentication: {
    readonly users: readonly UserConfig[];
    readonly lockout: LockoutConfig;
  };
  readonly datavolume: DataVolumeConfig;
  readonly sessions: SessionsConfig;
  readonly cluster?: ClusterConfigOverride;
}

export const configDefaults = {
  host: '0.0.0.0',
  port: 8443,
  metricsPort: 9090,
  tlsEnabled: false,
  systemIdConvention: 'enhanced',
  role: 'Administrator',
  storageSize: '3Gi',
  vmUpdateTimeout: '2m',
  isoDownloadTimeout: '30m',
  allowInsecureTls: false,
  sessionTimeoutSeconds: 1800,
} as const satisfies {
  systemIdConvention: SystemIdConvention;
  role: RoleId;
  [key: string]: unknown;
};

// ---- The raw shape, as the schema guarantees it -----------------------------------------------

export interface RawUser {
  username: string;
  password?: string | { hash: string };
  password_hash?: string;
  chassis: string[];
  role?: RoleId;
}

export interface RawChassis {
  name: string;
  namespace: string;
  service_account?: string;
  description?: string;
  vm_selector?: { labels?: Record<string, string>; names?: string[] };
}

export interface RawLockout {
  threshold?: number;
  duration_seconds?: number;
  counter_reset_after_seconds?: number;
}

export interface RawConfig {
  server?: {
    host?: string;
    port?: number;
    metrics_port?: number;
    tls?: { enabled?: boolean; cert_file?: string; key_file?: string };
    trusted_proxies?: string[];
  };
  system_id_convention?: SystemIdConvention;
  chassis: RawChassis[];
  authentication: { users: RawUser[]; lockout?: RawLockout & { per_user?: RawLockout } };
  datavolume?: {
    storage_class?: string;
    storage_size?: string;
    vm_update_timeout?: string;
    iso_download_timeout?: string;
    allow_insecure_tls?: boolean;
    cert_config_map?: string;
    image_url_policy?: { allow?: string[]; deny?: string[]; unmatched?: 'allow' | 'deny' };
  };
  sessions?: { namespace?: string; timeout_seconds?: number };
  cluster?: {
    kubevirt_version: string;
    feature_gates?: string[];
    disabled_feature_gates?: string[];
    cdi_version?: string;
  };
}

// ---- The JSON Schema --------------------------------------------------------------------------
// `expected` is an annotation keyword of ours: the human form a value must take, quoted in
// error messages. `secret` marks values that must never be echoed back in a message.

const dnsLabel = {
  type: 'string',
  pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
  maxLength: 63,
  expected: "a DNS label (lowercase letters, digits and '-', at most 63 characters)",
};
const dnsSubdomainPattern = '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
const dnsSubdomain = {
  type: 'string',
  pattern: `^${dnsSubdomainPattern}$`,
  maxLength: 253,
  expected: "a DNS subdomain (lowercase letters, digits, '-' and '.')",
};
const duration = {
  type: 'string',
  pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$',
  expected: 'a duration such as "90s", "30m" or "1h30m"',
};
const nonEmpty = { type: 'string', minLength: 1, expected: 'a non-empty string' };
const bcryptHash = {
  type: 'string',
  pattern: '^\\$2[aby]\\$[0-9]{2}\\$[./A-Za-z0-9]{53}$',
  expected: 'a bcrypt hash ("$2a$", "$2b$" or "$2y$", cost, 53 characters)',
  secret: true,
};

const hostList = {
  type: 'array',
  expected: 'a list of IP addresses, CIDRs, host names or *.domains',
  items: { type: 'string', expected: 'an IP address, CIDR, host name or *.domain' },
};

const seconds = {
  type: 'integer',
  minimum: 1,
  maximum: 86400,
  expected: 'an integer number of seconds between 1 and 86400',
};
const lockoutProperties = {
  threshold: {
    type: 'integer',
    minimum: 1,
    maximum: 10000,
    expected: 'an integer number of failed logins between 1 and 10000',
  },
  duration_seconds: seconds,
  counter_reset_after_seconds: seconds,
};

export const configSchema = {
  type: 'object',
  expected: 'a mapping',
  required: ['chassis', 'authentication'],
  additionalProperties: false,
  properties: {
    server: {
      type: 'object',
      expected: 'a mapping',
      additionalProperties: false,
      properties: {
        host: { type: 'string', pattern: '^\\S+$', expected: 'a host name or IP address' },
        port: {
          type: 'integer',
          minimum: 1,
          maximum: 65535,
          expected: 'an integer port between 1 and 65535',
        },
        metrics_port: {
          type: 'integer',
          minimum: 1,
          maximum: 65535,
          expected: 'an integer port between 1 and 65535',
        },
        tls: {
          type: 'object',
          expected: 'a mapping',
          additionalProperties: false,
          properties: {
            enabled: { type: 'boolean', expected: 'true or false' },
            cert_file: { ...nonEmpty, expected: 'a PEM certificate file path' },
            key_file: { ...nonEmpty, expected: 'a PEM private key file path' },
          },
        },
        trusted_proxies: {
          type: 'array',
          expected: 'a list of IP addresses or CIDRs',
          items: { type: 'string', expected: 'an IP address or CIDR such as "10.128.0.0/14"' },
        },
      },
    },
    system_id_convention: { type: 'string', enum: [...SystemIdConventions] },
    chassis: {
      type: 'array',
      minItems: 1,
      expected: 'a list of at least one chassis',
      items: {
        type: 'object',
        expected: 'a mapping',
        required: ['name', 'namespace'],
        additionalProperties: false,
        properties: {
          name: dnsLabel,
          namespace: dnsLabel,
          service_account: dnsSubdomain,
          description: { type: 'string', expected: 'a string' },
          vm_selector: {
            type: 'object',
            expected: 'a mapping',
            additionalProperties: false,
            properties: {
              labels: {
                type: 'object',
                expected: 'a mapping of label names to string values',
                propertyNames: {
                  pattern: `^(${dnsSubdomainPattern}/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`,
                  expected: 'a Kubernetes label name',
                },
                additionalProperties: {
                  type: 'string',
                  pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$',
                  maxLength: 63,
                  expected: 'a label value as a quoted string (e.g. "true")',
                },
              },
              names: {
                type: 'array',
                expected: 'a list of VM names',
                items: { ...dnsSubdomain, expected: 'a VM name' },
              },
            },
          },
        },
      },
    },
    authentication: {
      type: 'object',
      expected: 'a mapping',
      required: ['users'],
      additionalProperties: false,
      properties: {
        users: {
          type: 'array',
          minItems: 1,
          expected: 'a list of at least one user',
          items: {
            type: 'object',
            expected: 'a mapping',
            required: ['username', 'chassis'],
            additionalProperties: false,
            properties: {
              username: {
                type: 'string',
                pattern: '^[A-Za-z0-9_][A-Za-z0-9._@-]*$',
                maxLength: 63,
                expected:
                  "a user name (letters, digits, '_', '.', '@' and '-', at most 63 characters)",
              },
              password: {
                type: ['string', 'object'],
                minLength: 1,
                expected: 'a password string or a mapping {hash: "<bcrypt hash>"}',
                secret: true,
                required: ['hash'],
                additionalProperties: false,
                properties: { hash: bcryptHash },
              },
              password_hash: bcryptHash,
              chassis: {
                type: 'array',
                minItems: 1,
                expected: 'a list of at least one chassis name',
                items: { type: 'string', expected: 'a chassis name' },
              },
              role: { type: 'string', enum: [...RoleIds] },
            },
          },
        },
        lockout: {
          type: 'object',
          expected: 'a mapping',
          additionalProperties: false,
          properties: {
            ...lockoutProperties,
            per_user: {
              type: 'object',
              expected: 'a mapping',
              additionalProperties: false,
              properties: lockoutProperties,
            },
          },
        },
      },
    },
    datavolume: {
      type: 'object',
      expected: 'a mapping',
      additionalProperties: false,
      properties: {
        storage_class: {
          type: 'string',
          pattern: `^(${dnsSubdomainPattern})?$`,
          expected: 'a storage class name, or "" for the cluster default',
        },
        storage_size: {
          type: 'string',
          pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$',
          expected: 'a Kubernetes quantity such as "3Gi"',
        },
        vm_update_timeout: duration,
        iso_download_timeout: duration,
        allow_insecure_tls: { type: 'boolean', expected: 'true or false' },
        cert_config_map: { ...dnsSubdomain, expected: 'a ConfigMap name' },
        image_url_policy: {
          type: 'object',
          expected: 'a mapping',
          additionalProperties: false,
          properties: {
            allow: hostList,
            deny: hostList,
            unmatched: { type: 'string', enum: ['allow', 'deny'] },
          },
        },
      },
    },
    cluster: {
      type: 'object',
      expected: 'a mapping',
      required: ['kubevirt_version'],
      additionalProperties: false,
      properties: {
        kubevirt_version: {
          type: 'string',
          pattern: '^v?1\\.[0-9]+(\\.[0-9]+)?$',
          expected: 'a KubeVirt release such as "1.8" or "v1.8.4"',
        },
        feature_gates: {
          type: 'array',
          expected: 'a list of feature gate names',
          items: { type: 'string', pattern: '^[A-Za-z0-9]+$', expected: 'a feature gate name' },
        },
        disabled_feature_gates: {
          type: 'array',
          expected: 'a list of feature gate names',
          items: { type: 'string', pattern: '^[A-Za-z0-9]+$', expected: 'a feature gate name' },
        },
        cdi_version: {
          type: 'string',
          pattern: '^(none|v?1\\.[0-9]+(\\.[0-9]+)?)$',
          expected: 'a CDI release such as "1.66", or "none" when CDI is not installed',
        },
      },
    },
    sessions: {
      type: 'object',
      expected: 'a mapping',
      additionalProperties: false,
      properties: {
        namespace: dnsLabel,
        timeout_seconds: {
          type: 'integer',
          minimum: 30,
          maximum: 86400,
          expected: 'an integer number of seconds between 30 and 86400',
        },
      },
    },
  },
} as const;
