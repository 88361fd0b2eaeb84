// Process entry: the only module that reads process.env and process.argv. Commands: serve
// (default), simulate, validate-config, hash-password.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { hashPassword } from './auth/passwords.ts';
import { serve } from './cli/serve.ts';
import { ConfigError, loadConfigFile } from './config/load.ts';
import { createLogger, LogLevels, type LogLevel } from './observability/logger.ts';
import { startSimulator } from './sim/simulator.ts';

const usage = `usage: kubevirt-redfish [serve] [--config FILE] [--kubeconfig FILE] [--simulate] [--vms N] [--port N] [--host ADDR]
       kubevirt-redfish simulate [--vms N] [--write-kubeconfig FILE] [--port N] [--plain-http]
       kubevirt-redfish validate-config FILE
       kubevirt-redfish hash-password        (reads the password from standard input)
environment: CONFIG_PATH (config file), KUBECONFIG, LOG_LEVEL (debug, info, warn, error), POD_NAMESPACE`;

const fail = (message: string): never => {
  process.stderr.write(`${message}\n`);
  process.exit(2);
};

const logLevel = (): LogLevel => {
  const level = process.env.LOG_LEVEL ?? 'info';
  return (LogLevels as readonly string[]).includes(level)
    ? (level as LogLevel)
    : fail(`LOG_LEVEL must be one of ${LogLevels.join(', ')}, not "${level}"`);
};

const integer = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed >= 0 ? parsed : fail(`--${name} needs a whole number`);
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
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      kubeconfig: { type: 'string' },
      simulate: { type: 'boolean', default: false },
      vms: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
    },
  });
  const logger = createLogger({ level: logLevel() });
  const configPath = values.config ?? process.env.CONFIG_PATH;
  const kubeconfigPath = values.kubeconfig ?? process.env.KUBECONFIG;
  const port = integer('port', values.port);
  const vms = integer('vms', values.vms);
  const service = await serve({
    ...(configPath ? { configPath } : {}),
    ...(kubeconfigPath ? { kubeconfigPath } : {}),
    simulate: values.simulate,
    ...(vms !== undefined ? { vms } : {}),
    ...(port !== undefined ? { port } : {}),
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
  const { values } = parseArgs({
    args,
    options: {
      vms: { type: 'string' },
      'write-kubeconfig': { type: 'string' },
      port: { type: 'string' },
      'plain-http': { type: 'boolean', default: false },
    },
  });
  const vms = integer('vms', values.vms);
  const port = integer('port', values.port);
  const simulator = await startSimulator({
    ...(vms !== undefined ? { vms } : {}),
    ...(port !== undefined ? { port } : {}),
    tls: !values['plain-http'],
  });
  const path = values['write-kubeconfig'];
  if (path) await simulator.writeKubeconfig(path);
  process.stdout.write(
    `Kubernetes API simulator on ${simulator.url}\n` +
      (path ? `kubeconfig written to ${path}: kubectl --kubeconfig ${path} get vm -A\n` : '') +
      'Ctrl-C stops it.\n',
  );
  onShutdown(() => simulator.close());
};

const runValidateConfig = async (args: string[]) => {
  const path = args[0] ?? process.env.CONFIG_PATH ?? fail(usage);
  try {
    const { warnings } = await loadConfigFile(path);
    for (const warning of warnings) process.stdout.write(`warning: ${warning}\n`);
    process.stdout.write(`${path}: valid\n`);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
};

const runHashPassword = async () => {
  const password = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  if (!password) fail('hash-password reads the password from standard input; it was empty');
  process.stdout.write(`${await hashPassword(password)}\n`);
};

const main = async () => {
  const [first, ...rest] = process.argv.slice(2);
  const commands: Record<string, (args: string[]) => Promise<void>> = {
    serve: runServe,
    simulate: runSimulate,
    'validate-config': runValidateConfig,
    'hash-password': runHashPassword,
  };
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const command = first && !first.startsWith('-') ? commands[first] : undefined;
  if (first && !first.startsWith('-') && !command) fail(usage);
  await (command ?? runServe)(command ? rest : process.argv.slice(2));
};

main().catch((error: unknown) => {
  if (error instanceof ConfigError) fail(error.message);
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
