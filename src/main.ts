// Process entry: the only module that reads process.env and process.argv. Commands: serve
// (default), simulate, bmh, validate-config, hash-password.
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { hashPassword } from './auth/passwords.ts';
import { bmh, BmhRefusal } from './cli/bmh.ts';
import { serve } from './cli/serve.ts';
import { productVersion } from './cli/version.ts';
import { ConfigError, loadConfigFile } from './config/load.ts';
import { createLogger, LogLevels, type LogLevel } from './observability/logger.ts';
import type { ClusterOverrides } from './sim/cluster-config.ts';
import type { StorageScenario } from './sim/storage-classes.ts';

const commandUsage = {
  serve:
    'kubevirt-redfish [serve] [--config FILE] [--kubeconfig FILE] [--simulate [PROFILE]] [--vms N] [--port N] [--metrics-port N] [--host ADDR]',
  simulate:
    'kubevirt-redfish simulate [PROFILE] [--vms N] [--write-kubeconfig FILE] [--port N] [--plain-http]',
  bmh: 'kubevirt-redfish bmh [--namespace NS] [--address URL] [--user NAME [--password-stdin]] [--config FILE] [--kubeconfig FILE] [--simulate [PROFILE]] [--vms N]',
  'validate-config': 'kubevirt-redfish validate-config FILE',
  'hash-password': 'kubevirt-redfish hash-password        (reads the password from standard input)',
} as const;
type Command = keyof typeof commandUsage;
const profileUsage =
  'PROFILE: [--kubevirt-version 1.6|1.7|1.8|1.9] [--feature-gates A,B] [--no-cdi] [--cdi-version X.Y]\n' +
  '         [--storage standard|none|incomplete-profile|wait-for-first-consumer] [--image-size QUANTITY]';
const environment =
  'environment: CONFIG_PATH (config file), KUBECONFIG, LOG_LEVEL (debug, info, warn, error), POD_NAMESPACE';
const usage = [
  `usage: ${commandUsage.serve}`,
  ...Object.values(commandUsage)
    .slice(1)
    .map((line) => `       ${line}`),
  '       kubevirt-redfish --version | --help',
  `       ${profileUsage}`,
  environment,
].join('\n');

const fail = (message: string): never => {
  process.stderr.write(`${message}\n`);
  process.exit(2);
};

/** A command-line mistake: one line naming it, then the usage, exit 2 (never a stack trace). */
const usageError = (problem: string): never => fail(`${problem}\n${usage}`);

/** parseArgs with --help on every command; its errors become usage errors. Returns undefined
 *  after printing the command's help. */
const parseCommand = <T extends ParseArgsConfig['options']>(
  command: Command,
  args: string[],
  options: T,
  allowPositionals = false,
) => {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } } as const,
      allowPositionals,
      strict: true,
    });
  } catch (error) {
    // Node's messages continue with advice on `--`; the first sentence names the problem.
    if (
      error instanceof TypeError &&
      String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')
    )
      return usageError(`${command}: ${error.message.split('. ')[0] ?? error.message}`);
    throw error;
  }
  if ((parsed.values as { help?: boolean }).help) {
    const profile = commandUsage[command].includes('PROFILE') ? `${profileUsage}\n` : '';
    process.stdout.write(`usage: ${commandUsage[command]}\n${profile}${environment}\n`);
    return undefined;
  }
  return parsed;
};

const logLevel = (fallback: LogLevel = 'info'): LogLevel => {
  const level = process.env.LOG_LEVEL ?? fallback;
  return (LogLevels as readonly string[]).includes(level)
    ? (level as LogLevel)
    : fail(`LOG_LEVEL must be one of ${LogLevels.join(', ')}, not "${level}"`);
};

/** The simulated cluster's release profile (KubeVirt version, the KubeVirt CR's gate list, CDI). */
const profileOptions = {
  'kubevirt-version': { type: 'string' },
  'feature-gates': { type: 'string' },
  'no-cdi': { type: 'boolean', default: false },
  'cdi-version': { type: 'string' },
  storage: { type: 'string' },
  'image-size': { type: 'string' },
} as const;

/** The simulated storage: which StorageClasses exist, and how big remote images are. Loaded on
 *  demand: only a simulation reads these flags. */
const storageOf = async (values: {
  storage?: string | undefined;
  'image-size'?: string | undefined;
}): Promise<{ storage?: StorageScenario; imageSizeBytes?: number }> => {
  const { StorageScenarios } = await import('./sim/storage-classes.ts');
  const { quantityBytes } = await import('./sim/controllers/cdi-claim.ts');
  const storage = values.storage;
  if (storage !== undefined && !(StorageScenarios as readonly string[]).includes(storage))
    usageError(`--storage needs one of ${StorageScenarios.join(', ')}, not "${storage}"`);
  const size = values['image-size'];
  const imageSizeBytes = size === undefined ? undefined : quantityBytes(size);
  if (size !== undefined && imageSizeBytes === undefined)
    usageError(`--image-size needs a quantity such as 5Gi, not "${size}"`);
  return {
    ...(storage !== undefined ? { storage: storage as StorageScenario } : {}),
    ...(imageSizeBytes !== undefined ? { imageSizeBytes } : {}),
  };
};

const profileOf = (values: {
  'kubevirt-version'?: string | undefined;
  'feature-gates'?: string | undefined;
  'no-cdi'?: boolean | undefined;
  'cdi-version'?: string | undefined;
}): ClusterOverrides => {
  const version = values['kubevirt-version'];
  if (version !== undefined && !/^v?1\.\d+(\.\d+)?$/.test(version))
    fail(`--kubevirt-version needs a release such as 1.8, not "${version}"`);
  const cdiVersion = values['cdi-version'];
  if (cdiVersion !== undefined && !/^v?1\.\d+(\.\d+)?$/.test(cdiVersion))
    fail(`--cdi-version needs a release such as 1.66, not "${cdiVersion}"`);
  const gates = values['feature-gates'];
  return {
    ...(version !== undefined ? { kubevirtVersion: version } : {}),
    ...(gates !== undefined
      ? {
          featureGates: gates
            .split(',')
            .map((g) => g.trim())
            .filter((g) => g !== ''),
        }
      : {}),
    ...(values['no-cdi'] ? { cdi: false } : {}),
    ...(cdiVersion !== undefined
      ? {
          cdiVersion: `v${cdiVersion.replace(/^v/, '')}${/\.\d+\.\d+$/.test(cdiVersion) ? '' : '.0'}`,
        }
      : {}),
  };
};

const integer = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed >= 0
    ? parsed
    : usageError(`--${name} needs a whole number, not "${value}"`);
};

/** Stops the given work on SIGINT/SIGTERM, then exits. */
const onShutdown = (stop: () => Promise<void>): void => {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    process.stderr.write(`\n${signal}: shutting down\n`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
};

const runServe = async (args: string[]) => {
  const parsed = parseCommand('serve', args, {
    config: { type: 'string' },
    kubeconfig: { type: 'string' },
    simulate: { type: 'boolean', default: false },
    vms: { type: 'string' },
    port: { type: 'string' },
    'metrics-port': { type: 'string' },
    host: { type: 'string' },
    ...profileOptions,
  });
  if (!parsed) return;
  const { values } = parsed;
  const logger = createLogger({ level: logLevel() });
  const configPath = values.config ?? process.env.CONFIG_PATH;
  const kubeconfigPath = values.kubeconfig ?? process.env.KUBECONFIG;
  const port = integer('port', values.port);
  const vms = integer('vms', values.vms);
  const metricsPort = integer('metrics-port', values['metrics-port']);
  const service = await serve({
    ...(configPath ? { configPath } : {}),
    ...(kubeconfigPath ? { kubeconfigPath } : {}),
    simulate: values.simulate,
    simulatorOptions: {
      cluster: profileOf(values),
      ...(values.simulate || !configPath ? await storageOf(values) : {}),
    },
    ...(vms !== undefined ? { vms } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(metricsPort !== undefined ? { metricsPort } : {}),
    // The demo listens on loopback only: its passwords are printed on the terminal.
    ...(values.host ? { host: values.host } : configPath ? {} : { host: '127.0.0.1' }),
    ...(process.env.POD_NAMESPACE ? { serviceNamespace: process.env.POD_NAMESPACE } : {}),
    ...(process.env.POD_IP ? { podIp: process.env.POD_IP } : {}),
    logger,
  });
  if (service.demoCredentials) {
    const lines = service.demoCredentials.map(
      (c) =>
        `  ${c.username.padEnd(12)} ${c.password}  ${c.role.padEnd(13)} chassis: ${c.chassis.join(', ')}`,
    );
    process.stdout.write(
      [
        '',
        `kubevirt-redfish demo on ${service.url}/redfish/v1/ (embedded simulator: ${service.simulator?.url ?? ''})`,
        'users (user, password, role, chassis):',
        ...lines,
        `try: curl -s -u ${service.demoCredentials[0]?.username}:${service.demoCredentials[0]?.password} ${service.url}/redfish/v1/Systems`,
        'Ctrl-C stops it.',
        '',
      ].join('\n'),
    );
  }
  onShutdown(() => service.close());
};

const runSimulate = async (args: string[]) => {
  const parsed = parseCommand('simulate', args, {
    vms: { type: 'string' },
    'write-kubeconfig': { type: 'string' },
    port: { type: 'string' },
    'plain-http': { type: 'boolean', default: false },
    ...profileOptions,
  });
  if (!parsed) return;
  const { values } = parsed;
  const vms = integer('vms', values.vms);
  const port = integer('port', values.port);
  // Loaded on demand so that `serve` against a cluster never loads simulator code.
  const { startSimulator } = await import('./sim/simulator.ts');
  const simulator = await startSimulator({
    ...(vms !== undefined ? { vms } : {}),
    ...(port !== undefined ? { port } : {}),
    tls: !values['plain-http'],
    cluster: profileOf(values),
    ...(await storageOf(values)),
  });
  const path = values['write-kubeconfig'];
  if (path) await simulator.writeKubeconfig(path);
  process.stdout.write(
    `Kubernetes API simulator on ${simulator.url} (KubeVirt ${simulator.cluster.kubevirtVersion}, ` +
      `${simulator.cluster.cdi ? `CDI ${simulator.cluster.cdiVersion}` : 'no CDI'})\n` +
      (path ? `kubeconfig written to ${path}: kubectl --kubeconfig ${path} get vm -A\n` : '') +
      'Ctrl-C stops it.\n',
  );
  onShutdown(() => simulator.close());
};

const runBmh = async (args: string[]) => {
  const parsed = parseCommand('bmh', args, {
    namespace: { type: 'string' },
    address: { type: 'string' },
    user: { type: 'string' },
    'password-stdin': { type: 'boolean', default: false },
    config: { type: 'string' },
    kubeconfig: { type: 'string' },
    simulate: { type: 'boolean', default: false },
    vms: { type: 'string' },
    ...profileOptions,
  });
  if (!parsed) return;
  const { values } = parsed;
  const namespace = values.namespace;
  if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace))
    usageError(`--namespace needs a namespace name (a DNS label), not "${namespace}"`);
  if (values['password-stdin'] && values.user === undefined)
    usageError('bmh: --password-stdin needs --user, the user whose password it is');
  const password = values['password-stdin']
    ? readFileSync(0, 'utf8').replace(/\r?\n$/, '')
    : undefined;
  const configPath = values.config ?? process.env.CONFIG_PATH;
  const kubeconfigPath = values.kubeconfig ?? process.env.KUBECONFIG;
  const vms = integer('vms', values.vms);
  // Standard output is the YAML: logs and notes go to standard error.
  const logger = createLogger({ level: logLevel('warn'), destination: process.stderr });
  const yaml = await bmh({
    ...(configPath ? { configPath } : {}),
    ...(kubeconfigPath ? { kubeconfigPath } : {}),
    simulate: values.simulate,
    simulatorOptions: { cluster: profileOf(values) },
    ...(vms !== undefined ? { vms } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(values.address !== undefined ? { address: values.address } : {}),
    ...(values.user !== undefined ? { user: values.user } : {}),
    ...(password !== undefined ? { password } : {}),
    note: (line) => process.stderr.write(`${line}\n`),
    logger,
  });
  process.stdout.write(yaml);
};

const runValidateConfig = async (args: string[]) => {
  const parsed = parseCommand('validate-config', args, {}, true);
  if (!parsed) return;
  if (parsed.positionals.length > 1)
    usageError(`validate-config: one FILE, not ${parsed.positionals.length}`);
  const path =
    parsed.positionals[0] ??
    (process.env.CONFIG_PATH || undefined) ??
    usageError('validate-config: no FILE given and CONFIG_PATH is not set');
  try {
    const { warnings } = await loadConfigFile(path);
    for (const warning of warnings) process.stdout.write(`warning: ${warning}\n`);
    process.stdout.write(`${path}: valid\n`);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
};

const runHashPassword = async (args: string[]) => {
  if (!parseCommand('hash-password', args, {})) return;
  const password = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  if (!password) fail('hash-password reads the password from standard input; it was empty');
  process.stdout.write(`${await hashPassword(password)}\n`);
};

const main = async () => {
  const [first, ...rest] = process.argv.slice(2);
  const commands: Record<Command, (args: string[]) => Promise<void>> = {
    serve: runServe,
    simulate: runSimulate,
    bmh: runBmh,
    'validate-config': runValidateConfig,
    'hash-password': runHashPassword,
  };
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(`${usage}\n`);
    return;
  }
  if (first === '--version' || first === '-V') {
    process.stdout.write(`${productVersion}\n`);
    return;
  }
  // No command, or options first: serve (the image's default command).
  if (first === undefined || first.startsWith('-')) return runServe(process.argv.slice(2));
  if (!Object.hasOwn(commands, first)) return usageError(`unknown command "${first}"`);
  await commands[first as Command](rest);
};

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof BmhRefusal) fail(error.message);
  // Operating-system conditions at start-up (port in use, unreadable kubeconfig, refused
  // connection) are the operator's to fix, not defects: one line, no stack trace.
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof Error && typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    process.stderr.write(`cannot start: ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
