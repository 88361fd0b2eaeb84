// The demo configuration `npm start` runs with when no config is given: two chassis over the
// simulator's demo namespaces and three users with fresh random passwords.
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import type { RoleId } from '../auth/types.ts';
import { parseConfig } from './load.ts';
import type { Config, RawConfig } from './schema.ts';

/** Namespaces the simulator seeds for the demo, and the label its redfish VMs carry; any
 *  number of extra VMs (`--vms N`) seeded with the same label join the chassis automatically. */
export const demoNamespaces = ['demo-a', 'demo-b'] as const;
export const demoSelector: Readonly<Record<string, string>> = { 'redfish-enabled': 'true' };

export interface DemoCredential {
  readonly username: string;
  readonly password: string;
  readonly role: RoleId;
  readonly chassis: readonly string[];
}

export interface DemoConfig {
  readonly config: Config;
  /** The same configuration as a config file, e.g. to save and edit. */
  readonly text: string;
  /** For main.ts to print on start-up. */
  readonly credentials: readonly DemoCredential[];
}

export const createDemoConfig = (
  options: { random?: (bytes: number) => Buffer; host?: string; port?: number } = {},
): DemoConfig => {
  const random = options.random ?? randomBytes;
  const newPassword = () => random(12).toString('base64url');
  const [a, b] = demoNamespaces;
  const credentials: DemoCredential[] = [
    { username: 'admin', password: newPassword(), role: 'Administrator', chassis: [a, b] },
    { username: 'operator-a', password: newPassword(), role: 'Operator', chassis: [a] },
    { username: 'viewer-b', password: newPassword(), role: 'ReadOnly', chassis: [b] },
  ];
  const raw: RawConfig = {
    server: {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 8443,
      tls: { enabled: false },
    },
    system_id_convention: 'enhanced',
    chassis: demoNamespaces.map((ns) => ({
      name: ns,
      namespace: ns,
      description: `Demo VMs of namespace ${ns} labelled redfish-enabled=true`,
      vm_selector: { labels: { ...demoSelector } },
    })),
    authentication: {
      users: credentials.map((c) => ({
        username: c.username,
        password: c.password,
        role: c.role,
        chassis: [...c.chassis],
      })),
    },
    // The simulator's importer really downloads only from loopback, so a demo user can insert
    // an image served on this machine; a real deployment keeps loopback refused.
    datavolume: { image_url_policy: { allow: ['127.0.0.1', '::1', 'localhost'] } },
  };
  // Through the real parser, so the demo is exactly what the same file would give.
  const text = stringify(raw);
  return { config: parseConfig(text, 'demo config').config, text, credentials };
};
