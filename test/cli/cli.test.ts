// The command line as an operator meets it: --help on the commands (one parser gives every
// command its --help), --version, and mistakes
// answered with one line naming them plus the usage, exit 2, never a stack trace. Also the
// version's second use, the Manager's FirmwareVersion.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startService, type TestService } from '../helpers/service.ts';

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
      { env: { ...process.env, CONFIG_PATH: '', KUBECONFIG: '' } },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });

describe('command line', () => {
  it('answers --help for the program and for every command, exit 0', async () => {
    const runs = await Promise.all(
      [['--help'], ['simulate', '-h'], ['hash-password', '--help']].map(run),
    );
    for (const [i, result] of runs.entries()) {
      assert.equal(result.code, 0, `run ${i}: ${result.stderr}`);
      assert.match(result.stdout, /^usage: kubevirt-redfish/);
      assert.equal(result.stderr, '');
    }
    assert.match(runs[0]?.stdout ?? '', /validate-config FILE/);
    assert.match(runs[1]?.stdout ?? '', /simulate \[--vms N\]/);
  });

  it('prints the package version for --version', async () => {
    const result = await run(['--version']);
    assert.deepEqual(result, { code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('names each mistake on one line, then the usage, exit 2, without a stack trace', async () => {
    const cases: [string[], RegExp][] = [
      [['bogus'], /^unknown command "bogus"$/],
      [['serve', '--bogus'], /^serve: Unknown option '--bogus'$/],
      [['simulate', '--vms', 'many'], /^--vms needs a whole number, not "many"$/],
      [['validate-config', 'a', 'b'], /^validate-config: one FILE, not 2$/],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args)));
    for (const [i, result] of results.entries()) {
      const [args, first] = cases[i]!;
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      const lines = result.stderr.split('\n');
      assert.match(lines[0] ?? '', first);
      assert.match(lines[1] ?? '', /^usage: kubevirt-redfish/);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
  });
});

describe('firmware version', () => {
  let service: TestService;
  before(async () => {
    service = await startService();
  });
  after(() => service.close());

  it('is the package version on every Manager', async () => {
    const managers = await service.getValid('/redfish/v1/Managers');
    assert.ok(managers.Members.length > 0);
    for (const { '@odata.id': id } of managers.Members as { '@odata.id': string }[]) {
      const manager = await service.getValid(id);
      assert.equal(manager.FirmwareVersion, version);
    }
  });
});
