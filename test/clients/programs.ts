// Finding and running the real client programs (Debian's sushy, sushy-cli, redfishtool, kubectl):
// argument vectors only (never a shell), bounded run time, and the client's own output in every
// failure. In CI a missing client fails its suite; locally the suite is skipped with the reason.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';

export type ClientName = 'sushy' | 'sushycli' | 'redfishtool' | 'kubectl';

export interface RunResult {
  readonly argv: readonly string[];
  /** Exit code; null when the process was killed (timeout). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** Values to mask when the command line is printed (passwords on argv). */
  readonly secrets?: readonly string[];
}

const mask = (text: string, secrets: readonly string[] = []): string =>
  secrets.reduce((out, secret) => (secret ? out.split(secret).join('***') : out), text);

/** Runs `command` with `args` (no shell); resolves with the outcome whatever the exit code. */
export const run = (
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> =>
  new Promise((resolve) => {
    execFile(
      command,
      [...args],
      {
        env: { ...process.env, ...options.env },
        timeout: options.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const code =
          error === null
            ? 0
            : typeof error.code === 'number'
              ? error.code
              : error.killed
                ? null
                : 1;
        // A program that could not be started has no output of its own: say why instead.
        const spawnError = error && typeof error.code === 'string' ? `${error.message}\n` : '';
        resolve({
          argv: [command, ...args].map((arg) => mask(arg, options.secrets)),
          code,
          stdout: mask(stdout, options.secrets),
          stderr: mask(spawnError + stderr, options.secrets),
        });
      },
    );
  });

/** The whole exchange with a client, for failure messages. */
export const transcript = (result: RunResult): string =>
  [
    `$ ${result.argv.join(' ')}`,
    `exit code: ${result.code ?? 'killed (timeout)'}`,
    '--- stdout ---',
    result.stdout.trimEnd(),
    '--- stderr ---',
    result.stderr.trimEnd(),
  ].join('\n');

/** Asserts a zero exit code; the message carries the client's stdout and stderr. */
export const succeeded = (result: RunResult): RunResult => {
  assert.equal(result.code, 0, `the client failed:\n${transcript(result)}`);
  return result;
};

/** Asserts `check` on the result, failing with the client's whole output. */
export const expectOutput = (
  result: RunResult,
  check: (result: RunResult) => boolean,
  what: string,
): void => {
  assert.ok(check(result), `${what}:\n${transcript(result)}`);
};

const probes: Record<ClientName, { candidates: readonly string[]; args: readonly string[] }> = {
  // Debian's python3-sushy lives in /usr/lib/python3/dist-packages: a pyenv or venv python3
  // first on PATH does not see it, so the system interpreter is tried first.
  sushy: { candidates: ['/usr/bin/python3', 'python3'], args: ['-c', 'import sushy'] },
  sushycli: { candidates: ['sushycli'], args: ['--version'] },
  redfishtool: { candidates: ['redfishtool'], args: ['-V'] },
  kubectl: { candidates: ['kubectl'], args: ['version', '--client'] },
};

export interface ClientGate {
  /** The program to run (for sushy: a python3 that imports it), when installed. */
  readonly command: string | undefined;
  /** Suite option: a reason to skip (locally, when missing), or false. */
  readonly skip: string | false;
  /** The program; throws when it is missing, which fails the suite in CI. */
  require(): string;
}

const isCi = (): boolean => process.env.CI === 'true';

/** Looks for a client once; the suite uses `skip` and calls `require()` in its `before`. */
export const gateClient = async (name: ClientName): Promise<ClientGate> => {
  const probe = probes[name];
  const failures: string[] = [];
  let command: string | undefined;
  for (const candidate of probe.candidates) {
    const result = await run(candidate, probe.args, { timeoutMs: 20_000 });
    if (result.code === 0) {
      command = candidate;
      break;
    }
    failures.push(
      `${candidate}: ${(result.stderr || result.stdout).trim().split('\n').pop() ?? ''}`,
    );
  }
  const reason = `${name} is not installed (${failures.join('; ')}); .ci/run installs the Debian package`;
  return {
    command,
    skip: command === undefined && !isCi() ? reason : false,
    require: () => {
      if (command === undefined) throw new Error(reason);
      return command;
    },
  };
};
