// Parses the YAML config at the boundary: YAML → JSON Schema check → cross-reference checks →
// the normalised Config with defaults. Every problem names its path; unknown keys only warn.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { defaultClientPolicy, defaultUserPolicy, type LockoutPolicy } from '../auth/rate-limit.ts';
import { parseCidr } from '../util/cidr.ts';
import { parseDuration } from './duration.ts';
import { describeSchemaErrors, formatPath } from './problems.ts';
import { configDefaults, configSchema } from './schema.ts';
import type {
  ChassisConfig,
  Config,
  RawConfig,
  RawLockout,
  RawUser,
  UserConfig,
} from './schema.ts';
import type { ImageUrlPolicyConfig } from '../media-url-policy/image-url-policy.ts';
import { PasswordSecret } from './secret.ts';
import {
  defaultImageUrlPolicy,
  invalidPolicyEntries,
} from '../media-url-policy/image-url-policy.ts';

/** A config file that cannot be used; `problems` lists every one found, each naming a path. */
export class ConfigError extends Error {
  readonly source: string;
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    super(`${source}: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.source = source;
    this.problems = problems;
  }
}

export interface ParsedConfig {
  readonly config: Config;
  /** Unknown keys and YAML oddities, each naming its path; the config is usable. */
  readonly warnings: readonly string[];
}

export interface LoadedConfig extends ParsedConfig {
  /** SHA-256 of the file's bytes, so a watcher can tell a real change from a touch. */
  readonly contentHash: string;
}

const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true });
ajv.addKeyword({ keyword: 'expected', schemaType: 'string' });
ajv.addKeyword({ keyword: 'secret', schemaType: 'boolean' });
const validateRaw = ajv.compile<RawConfig>(configSchema);

const passwordOf = (user: RawUser, at: string, errors: string[]): PasswordSecret | undefined => {
  if (user.password !== undefined && user.password_hash !== undefined) {
    errors.push(`${at}: give either password or password_hash, not both`);
    return undefined;
  }
  if (user.password_hash !== undefined) return PasswordSecret.bcrypt(user.password_hash);
  if (typeof user.password === 'string') return PasswordSecret.plain(user.password);
  if (user.password !== undefined) return PasswordSecret.bcrypt(user.password.hash);
  errors.push(`${at}.password: required (a password, or password_hash with a bcrypt hash)`);
  return undefined;
};

const normaliseChassis = (raw: RawConfig, errors: string[]): ChassisConfig[] => {
  const firstIndex = new Map<string, number>();
  return raw.chassis.map((c, i) => {
    const earlier = firstIndex.get(c.name);
    if (earlier === undefined) firstIndex.set(c.name, i);
    else
      errors.push(
        `${formatPath(['chassis', i, 'name'])}: duplicate chassis name "${c.name}" (also chassis[${earlier}])`,
      );
    const names = c.vm_selector?.names;
    return {
      name: c.name,
      namespace: c.namespace,
      ...(c.service_account !== undefined && { serviceAccount: c.service_account }),
      ...(c.description !== undefined && { description: c.description }),
      vmSelector: {
        labels: { ...c.vm_selector?.labels },
        // An empty list selects nothing useful; like the reference, treat it as "not given".
        ...(names !== undefined && names.length > 0 && { names: [...names] }),
      },
    };
  });
};

const normaliseUsers = (raw: RawConfig, chassisNames: Set<string>, errors: string[]) => {
  const firstIndex = new Map<string, number>();
  const users: UserConfig[] = [];
  raw.authentication.users.forEach((u, i) => {
    const at = formatPath(['authentication', 'users', i]);
    const earlier = firstIndex.get(u.username);
    if (earlier === undefined) firstIndex.set(u.username, i);
    else
      errors.push(
        `${at}.username: duplicate user "${u.username}" (also authentication.users[${earlier}])`,
      );
    u.chassis.forEach((name, j) => {
      if (!chassisNames.has(name)) errors.push(`${at}.chassis[${j}]: no chassis named "${name}"`);
    });
    const password = passwordOf(u, at, errors);
    if (password === undefined) return;
    users.push({
      username: u.username,
      password,
      chassis: [...new Set(u.chassis)],
      role: u.role ?? configDefaults.role,
    });
  });
  return users;
};

const positiveDuration = (text: string, path: string, errors: string[]): number => {
  const ms = parseDuration(text);
  if (ms <= 0) errors.push(`${path}: expected a positive duration, got "${text}"`);
  return ms;
};

const imageUrlPolicyOf = (
  raw: NonNullable<RawConfig['datavolume']>['image_url_policy'],
  errors: string[],
): ImageUrlPolicyConfig => {
  const policy = {
    allow: raw?.allow ?? defaultImageUrlPolicy.allow,
    deny: raw?.deny ?? defaultImageUrlPolicy.deny,
    unmatched: raw?.unmatched ?? defaultImageUrlPolicy.unmatched,
  };
  for (const list of ['allow', 'deny'] as const)
    for (const problem of invalidPolicyEntries(policy[list]))
      errors.push(`datavolume.image_url_policy.${list}: ${problem}`);
  return policy;
};

/** One lockout policy; the counter resets at most after the lock's duration (Redfish:
 *  AccountLockoutCounterResetAfter ≤ AccountLockoutDuration). */
const lockoutPolicyOf = (
  raw: RawLockout | undefined,
  defaults: LockoutPolicy,
  path: string,
  errors: string[],
): LockoutPolicy => {
  const durationSeconds = raw?.duration_seconds ?? defaults.durationSeconds;
  const counterResetAfterSeconds =
    raw?.counter_reset_after_seconds ??
    Math.min(defaults.counterResetAfterSeconds, durationSeconds);
  if (counterResetAfterSeconds > durationSeconds)
    errors.push(
      `${path}.counter_reset_after_seconds: at most ${path}.duration_seconds (${durationSeconds})`,
    );
  return {
    threshold: raw?.threshold ?? defaults.threshold,
    durationSeconds,
    counterResetAfterSeconds,
  };
};

const lockoutOf = (raw: RawConfig['authentication']['lockout'], errors: string[]) => ({
  perClient: lockoutPolicyOf(raw, defaultClientPolicy, 'authentication.lockout', errors),
  perUser: lockoutPolicyOf(
    raw?.per_user,
    defaultUserPolicy,
    'authentication.lockout.per_user',
    errors,
  ),
});

const normaliseProxies = (cidrs: readonly string[], errors: string[]): string[] =>
  cidrs.filter((cidr, i) => {
    if (parseCidr(cidr)) return true;
    errors.push(
      `server.trusted_proxies[${i}]: "${cidr}" is not an IP address or CIDR such as "10.128.0.0/14"`,
    );
    return false;
  });

const normalise = (raw: RawConfig, errors: string[]): Config => {
  const tls = raw.server?.tls ?? {};
  const enabled = tls.enabled ?? configDefaults.tlsEnabled;
  if (enabled) {
    for (const key of ['cert_file', 'key_file'] as const) {
      if (tls[key] === undefined)
        errors.push(`server.tls.${key}: required when server.tls.enabled is true`);
    }
  }
  const chassis = normaliseChassis(raw, errors);
  const users = normaliseUsers(raw, new Set(chassis.map((c) => c.name)), errors);
  const dv = raw.datavolume ?? {};
  return {
    server: {
      host: raw.server?.host ?? configDefaults.host,
      port: raw.server?.port ?? configDefaults.port,
      metricsPort: raw.server?.metrics_port ?? configDefaults.metricsPort,
      tls: {
        enabled,
        ...(tls.cert_file !== undefined && { certFile: tls.cert_file }),
        ...(tls.key_file !== undefined && { keyFile: tls.key_file }),
      },
      trustedProxies: normaliseProxies(raw.server?.trusted_proxies ?? [], errors),
    },
    systemIdConvention: raw.system_id_convention ?? configDefaults.systemIdConvention,
    chassis,
    authentication: { users, lockout: lockoutOf(raw.authentication.lockout, errors) },
    datavolume: {
      ...(dv.storage_class && { storageClass: dv.storage_class }),
      storageSize: dv.storage_size ?? configDefaults.storageSize,
      vmUpdateTimeoutMs: positiveDuration(
        dv.vm_update_timeout ?? configDefaults.vmUpdateTimeout,
        'datavolume.vm_update_timeout',
        errors,
      ),
      isoDownloadTimeoutMs: positiveDuration(
        dv.iso_download_timeout ?? configDefaults.isoDownloadTimeout,
        'datavolume.iso_download_timeout',
        errors,
      ),
      allowInsecureTls: dv.allow_insecure_tls ?? configDefaults.allowInsecureTls,
      ...(dv.cert_config_map !== undefined && { certConfigMap: dv.cert_config_map }),
      imageUrlPolicy: imageUrlPolicyOf(dv.image_url_policy, errors),
    },
    sessions: {
      ...(raw.sessions?.namespace !== undefined && { namespace: raw.sessions.namespace }),
      timeoutSeconds: raw.sessions?.timeout_seconds ?? configDefaults.sessionTimeoutSeconds,
    },
    ...(raw.cluster && {
      cluster: {
        kubevirtVersion: raw.cluster.kubevirt_version,
        featureGates: raw.cluster.feature_gates ?? [],
        disabledFeatureGates: raw.cluster.disabled_feature_gates ?? [],
        ...(raw.cluster.cdi_version !== undefined && { cdiVersion: raw.cluster.cdi_version }),
      },
    }),
  };
};

/** Parses config text; `source` names it in messages. Throws ConfigError listing every
 *  problem. */
export const parseConfig = (text: string, source: string): ParsedConfig => {
  // uniqueKeys: a key given twice is an error, not a silent last-one-wins. No prettyErrors:
  // they quote the offending line, which may hold a password.
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter: lines });
  const where = (e: YAMLError) => {
    const { line, col } = lines.linePos(e.pos[0]);
    return `line ${line}, column ${col}: ${e.message}`;
  };
  if (doc.errors.length > 0) throw new ConfigError(source, doc.errors.map(where));
  const data: unknown = doc.toJS();
  validateRaw(data);
  // Unknown keys (additionalProperties) come back as warnings; anything else is fatal.
  const schemaProblems = describeSchemaErrors(validateRaw.errors ?? [], data);
  const warnings = [...doc.warnings.map(where), ...schemaProblems.warnings];
  if (schemaProblems.errors.length > 0) throw new ConfigError(source, schemaProblems.errors);
  const errors: string[] = [];
  const config = normalise(data as RawConfig, errors);
  if (errors.length > 0) throw new ConfigError(source, errors);
  return { config, warnings };
};

export const contentHash = (text: string | Buffer): string =>
  createHash('sha256').update(text).digest('hex');

/** Reads and parses a config file (following symlinks, as Secret volumes need). */
export const loadConfigFile = async (path: string): Promise<LoadedConfig> => {
  const bytes = await readFile(path);
  return { ...parseConfig(bytes.toString('utf8'), path), contentHash: contentHash(bytes) };
};
