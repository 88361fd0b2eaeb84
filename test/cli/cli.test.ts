// The command line as an operator meets it: --help on the commands (one parser gives every
// command its --help), --version, mistakes answered with one line naming them plus the usage
// (exit 2), start-up conditions on one line (exit 1), never a stack trace. The version's second
// use, the Managers' FirmwareVersion, is checked in test/integration/operations.test.ts.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultConfigYaml } from '../helpers/service.ts';

const main = new URL('../../src/main.ts', import.meta.url).pathname;
const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

const run = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', main, ...args],
      { env: { ...process.env, CONFIG_PATH: '', KUBECONFIG: '', LOG_LEVEL: 'error' } },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });

// Every process starts at once (each pays the tsx start-up); the tests then read their results.
const dir = mkdtempSync(join(tmpdir(), 'kvrf-cli-'));
writeFileSync(join(dir, 'config.yaml'), defaultConfigYaml());
const missingKubeconfig = join(dir, 'no-such-kubeconfig');
const helps = [['--help'], ['simulate', '-h'], ['bmh', '--help']].map(run);
const versionRun = run(['--version']);
const mistakes: [string[], RegExp][] = [
  [['bogus'], /^unknown command "bogus"$/],
  [['serve', '--bogus'], /^serve: Unknown option '--bogus'$/],
  [['simulate', '--vms', 'many'], /^--vms needs a whole number, not "many"$/],
  [
    ['bmh', '--password-stdin'],
    /^bmh: --password-stdin needs --user, the user whose password it is$/,
  ],
  [
    ['bmh', '--namespace', 'Metal3'],
    /^--namespace needs a namespace name \(a DNS label\), not "Metal3"$/,
  ],
  [
    ['simulate', '--storage', 'nfs'],
    /^--storage needs one of standard, none, incomplete-profile, wait-for-first-consumer, not "nfs"$/,
  ],
  [['simulate', '--image-size', 'big'], /^--image-size needs a quantity such as 5Gi, not "big"$/],
];
const mistakeRuns = mistakes.map(([args]) => run(args));
const startupRun = run([
  'serve',
  '--config',
  join(dir, 'config.yaml'),
  '--kubeconfig',
  missingKubeconfig,
]);

describe('command line', () => {
  after(() => rm(dir, { recursive: true, force: true }));

  it('answers --help for the program and for every command, exit 0', async () => {
    const runs = await Promise.all(helps);
    for (const [i, result] of runs.entries()) {
      assert.equal(result.code, 0, `run ${i}: ${result.stderr}`);
      assert.match(result.stdout, /^usage: kubevirt-redfish/);
      assert.equal(result.stderr, '');
    }
    assert.match(runs[0]?.stdout ?? '', /validate-config FILE/);
    assert.match(runs[1]?.stdout ?? '', /simulate \[PROFILE\] \[--vms N\]/);
    assert.match(runs[1]?.stdout ?? '', /PROFILE: \[--kubevirt-version/);
    assert.match(runs[2]?.stdout ?? '', /bmh \[--namespace NS\] \[--address URL\] \[--user NAME/);
  });

  it('prints the package version for --version', async () => {
    assert.deepEqual(await versionRun, { code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('names each mistake on one line, then the usage, exit 2, without a stack trace', async () => {
    const results = await Promise.all(mistakeRuns);
    for (const [i, result] of results.entries()) {
      const [args, first] = mistakes[i]!;
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      const lines = result.stderr.split('\n');
      assert.match(lines[0] ?? '', first);
      assert.match(lines[1] ?? '', /^usage: kubevirt-redfish/);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  it('names an operating-system condition at start-up on one line, exit 1, no stack', async () => {
    const result = await startupRun;
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `cannot start: ENOENT: no such file or directory, open '${missingKubeconfig}'\n`,
    );
  });
});
