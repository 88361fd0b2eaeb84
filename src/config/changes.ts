// What a config reload changed that its consumers must act on: listen settings only apply
// after a restart, and users removed or given a new password lose their sessions.
import type { Config } from './schema.ts';

export interface ConfigChanges {
  /** Paths of changed settings that take effect only after a restart (log them). */
  readonly restartRequired: readonly string[];
  /** Users that were removed or whose password changed: end their sessions. */
  readonly revokedUsers: readonly string[];
}

export const describeChanges = (previous: Config, next: Config): ConfigChanges => {
  const before = previous.server;
  const after = next.server;
  const restartRequired = [
    before.host !== after.host && 'server.host',
    before.port !== after.port && 'server.port',
    before.metricsPort !== after.metricsPort && 'server.metrics_port',
    before.tls.enabled !== after.tls.enabled && 'server.tls.enabled',
    before.tls.certFile !== after.tls.certFile && 'server.tls.cert_file',
    before.tls.keyFile !== after.tls.keyFile && 'server.tls.key_file',
    previous.sessions.namespace !== next.sessions.namespace && 'sessions.namespace',
    JSON.stringify(previous.authentication.lockout) !==
      JSON.stringify(next.authentication.lockout) && 'authentication.lockout',
    // The cluster description replaces discovery, which runs once at start-up.
    JSON.stringify(previous.cluster) !== JSON.stringify(next.cluster) && 'cluster',
    // The media settings are handed to the Kubernetes adapter once, at start-up.
    ...(
      [
        ['storageClass', 'datavolume.storage_class'],
        ['storageSize', 'datavolume.storage_size'],
        ['allowInsecureTls', 'datavolume.allow_insecure_tls'],
        ['certConfigMap', 'datavolume.cert_config_map'],
      ] as const
    ).map(([key, path]) => previous.datavolume[key] !== next.datavolume[key] && path),
    JSON.stringify(previous.datavolume.imageUrlPolicy) !==
      JSON.stringify(next.datavolume.imageUrlPolicy) && 'datavolume.image_url_policy',
  ].filter((path): path is string => path !== false);
  const nextUsers = new Map(next.authentication.users.map((u) => [u.username, u]));
  const revokedUsers = previous.authentication.users
    .filter((u) => {
      const now = nextUsers.get(u.username);
      return now === undefined || !now.password.equals(u.password);
    })
    .map((u) => u.username);
  return { restartRequired, revokedUsers };
};
