// `kubevirt-redfish bmh`: a Metal3 BareMetalHost and its credentials Secret for every system the
// configuration exposes, as multi-document YAML (issue 13 item 7). Systems, their Ids and the
// facts stated come from the same scope and VM snapshots the Redfish resources serve.
import { stringify } from 'yaml';
import { privilegesOf } from '../auth/privileges.ts';
import { createPasswordVerifier } from '../auth/passwords.ts';
import { createScope, enhancedId } from '../auth/scope.ts';
import type { Principal, VisibleSystem } from '../auth/types.ts';
import type { VmSnapshot } from '../backend/port.ts';
import type { Config, UserConfig } from '../config/schema.ts';
import { bareMetalHostManifests } from '../kube/bare-metal-host.ts';
import { createKubeBackend } from '../kube/kube-backend.ts';
import { createMetrics } from '../observability/metrics.ts';
import { uris } from '../redfish/odata.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { BmhRefusal, bmcBase, selfSignedCertificate } from './bmc-address.ts';
import {
  connectCluster,
  kubeBackendOptionsOf,
  type ConnectionOptions,
} from './cluster-connection.ts';

export { BmhRefusal } from './bmc-address.ts';

export interface BmhOptions extends ConnectionOptions {
  /** Namespace of the objects printed (Metal3's); absent = left to kubectl. */
  readonly namespace?: string;
  /** The service's base URL as Metal3 reaches it; absent = the configured listener. */
  readonly address?: string;
  /** The configured user whose credentials the Secrets carry; absent = chosen per system. */
  readonly user?: string;
  /** That user's password, for a user configured with a bcrypt hash (checked against it). */
  readonly password?: string;
  /** Told of what the operator should know (stderr): systems left out, assumptions. */
  readonly note: (line: string) => void;
  readonly clock?: Clock;
  /** How long to wait for the caches to fill; default 60 s. */
  readonly syncTimeoutMs?: number;
}

/** Metal3 powers, boots and inserts media: ConfigureComponents (Operator or Administrator). */
const canManage = (user: UserConfig): boolean => privilegesOf(user.role).has('ConfigureComponents');

const principalOf = (user: UserConfig): Principal => ({
  user: user.username,
  role: user.role,
  privileges: privilegesOf(user.role),
  chassis: user.chassis,
});

/** The users whose credentials may go into Secrets, in the order they are preferred. */
const candidateUsers = (config: Config, named: string | undefined): UserConfig[] => {
  const users = config.authentication.users;
  if (named !== undefined) {
    const user = users.find((u) => u.username === named);
    if (user === undefined) throw new BmhRefusal(`bmh: no user "${named}" in the configuration`);
    if (!canManage(user))
      throw new BmhRefusal(
        `bmh: user "${named}" is ${user.role}; Metal3 needs power, boot and virtual-media control (an Operator or Administrator)`,
      );
    return [user];
  }
  // Least privilege first: Metal3 needs no account or manager administration.
  const managing = users.filter(canManage);
  return [
    ...managing.filter((u) => u.role === 'Operator'),
    ...managing.filter((u) => u.role !== 'Operator'),
  ];
};

/** The password a Secret can carry: a plain one, or the one given, checked against the hash. */
const passwordOf = async (
  user: UserConfig,
  given: string | undefined,
  clock: Clock,
): Promise<string> => {
  if (user.password.kind === 'plain') return user.password.reveal();
  if (given === undefined)
    throw new BmhRefusal(
      `bmh: user "${user.username}" has a bcrypt-hashed password, and a Secret needs the password itself; ` +
        `run with --user ${user.username} --password-stdin and the password on standard input, or name a user with a plain password`,
    );
  const verifier = createPasswordVerifier({ clock });
  if (!(await verifier.verify(user.password, given, user.password)))
    throw new BmhRefusal(`bmh: the password on standard input is not user "${user.username}"'s`);
  return given;
};

/** Ironic and Metal3 read PoweringOn as on; a paused guest is still a running one. */
const online = (vm: VmSnapshot): boolean =>
  vm.powerState !== 'Off' && vm.powerState !== 'PoweringOff';

/** The VM name where it is unique among the hosts printed, else `<namespace>.<vm-name>` (the
 *  enhanced system Id, unique whatever Ids the users' views give). Keyed by VM. */
const hostNames = (systems: readonly VisibleSystem[]): Map<VisibleSystem, string> => {
  const count = new Map<string, number>();
  for (const s of systems) count.set(s.ref.name, (count.get(s.ref.name) ?? 0) + 1);
  return new Map(
    systems.map((s) => [s, (count.get(s.ref.name) ?? 0) > 1 ? enhancedId(s.ref) : s.ref.name]),
  );
};

/** Reading the cluster, bounded. The backend retries an unreachable API server on unreferenced
 *  timers (a server process stays up through its listener); this one-shot command holds the
 *  process with a referenced timer and gives up with an operator's condition, which main prints
 *  on one line. */
const withinDeadline = async (work: Promise<void>, ms: number): Promise<void> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          Object.assign(
            new Error(
              `the cluster's VMs could not be read within ${ms / 1000} s; check the connection and the permission to list VMs`,
            ),
            { code: 'ETIMEDOUT' },
          ),
        ),
      ms,
    );
  });
  try {
    await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
};

export const bmh = async (options: BmhOptions): Promise<string> => {
  const clock = options.clock ?? systemClock;
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    const { config, kubeConfig, demoCredentials } = await connectCluster(options, cleanups);
    if (demoCredentials)
      options.note(
        'note: no configuration given: the demo users get new passwords on every run, so these Secrets fit no other run',
      );
    const base = bmcBase(config, options.address);
    const users = candidateUsers(config, options.user);
    if (users.length === 0)
      throw new BmhRefusal('bmh: no configured user is an Operator or Administrator');
    let disableCertificateVerification = false;
    if (base.https) {
      const certificate = await selfSignedCertificate(config);
      if ('selfSigned' in certificate) disableCertificateVerification = certificate.selfSigned;
      else
        options.note(
          `note: cannot tell whether the service's certificate is self-signed (${certificate.unknown}); certificate verification stays on`,
        );
    }

    const backend = createKubeBackend(
      kubeBackendOptionsOf(config, {
        kubeConfig,
        logger: options.logger,
        metrics: createMetrics(),
        clock,
      }),
    );
    cleanups.push(() => backend.stop());
    await withinDeadline(
      (async () => {
        await backend.start();
        await backend.waitForSync();
      })(),
      options.syncTimeoutMs ?? 60_000,
    );
    const scope = createScope({ getConfig: () => config, backend });

    // Each VM goes with the first preferred user who can see it, under the Id that user's view
    // gives it (legacy Ids depend on which names the user sees twice): the address must resolve
    // for the credentials beside it.
    const vmKey = (system: VisibleSystem) => `${system.ref.namespace}/${system.ref.name}`;
    const assigned = new Map<string, { system: VisibleSystem; user: UserConfig }>();
    for (const user of users)
      for (const system of scope.systems(principalOf(user)))
        if (!assigned.has(vmKey(system))) assigned.set(vmKey(system), { system, user });
    if (options.user === undefined) {
      const everyone = principalOf({ ...users[0]!, chassis: config.chassis.map((c) => c.name) });
      for (const system of scope.systems(everyone))
        if (!assigned.has(vmKey(system)))
          options.note(`note: ${system.id} left out: no Operator or Administrator can see it`);
    }
    const entries = [...assigned.values()].sort((a, b) => (a.system.id < b.system.id ? -1 : 1));
    if (entries.length === 0)
      throw new BmhRefusal(
        `bmh: no system is visible to ${options.user === undefined ? 'any Operator or Administrator' : `user "${options.user}"`}`,
      );

    const names = hostNames(entries.map((e) => e.system));
    const passwords = new Map<string, string>();
    const documents: string[] = [];
    for (const { system, user } of entries) {
      const password =
        passwords.get(user.username) ?? (await passwordOf(user, options.password, clock));
      passwords.set(user.username, password);
      const vm = system.snapshot;
      const manifests = bareMetalHostManifests({
        name: names.get(system) ?? enhancedId(system.ref),
        ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
        bmcAddress: `${base.base}${uris.system(system.id)}`,
        disableCertificateVerification,
        username: user.username,
        password,
        // The first member of the system's EthernetInterfaces, with the MAC it shows.
        ...(vm.nics[0]?.mac === undefined ? {} : { bootMacAddress: vm.nics[0].mac }),
        online: online(vm),
        bootMode: vm.boot.mode,
        secureBoot: vm.secureBoot ?? false,
        ...(vm.architecture === undefined ? {} : { architecture: vm.architecture }),
      });
      const header = `# System ${system.id}: VM ${vm.ref.namespace}/${vm.ref.name}, ${vm.powerState}, credentials of ${user.username}\n`;
      documents.push(header + manifests.map((m) => stringify(m)).join('---\n'));
    }
    return documents.join('---\n');
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
};
