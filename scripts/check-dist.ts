// Checks a build (default dist/) the way the image ships it: `serve` loads no simulator module
// and no test helper, the simulator's data files were emitted beside it, and nothing in the build
// is test-only code. Usage: tsx scripts/check-dist.ts [DIST]. Exit 1 with the problems listed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { moduleGraph } from './module-graph.ts';

const dist = resolve(process.argv[2] ?? 'dist');
const problems: string[] = [];

const graph = moduleGraph(join(dist, 'main.js'));
for (const file of graph.files)
  if (relative(dist, file).startsWith('sim/'))
    problems.push(`dist/main.js statically loads simulator code: ${relative(dist, file)}`);
for (const name of graph.packages)
  if (name === 'node:assert' || name.startsWith('node:assert/') || name === 'node:test')
    problems.push(`dist/main.js statically loads the test module ${name}`);

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
for (const file of walk(dist).filter((f) => f.endsWith('.js'))) {
  const text = readFileSync(file, 'utf8');
  if (/from ["']node:(assert|test)/.test(text) || /\.test\.js$/.test(file))
    problems.push(`test-only code in the build: ${relative(dist, file)}`);
}
// The simulator (demo, --simulate) imports its schemas as JSON modules; they must be emitted.
for (const data of [
  'sim/schemas/virtualmachine.schema.json',
  'sim/schemas/datavolume.schema.json',
  'sim/schemas/core-patch-strategies.json',
  'sim/schemas/protobuf-messages.json',
])
  if (!existsSync(join(dist, data))) problems.push(`missing from the build: ${data}`);

if (problems.length) {
  process.stderr.write(`${problems.join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(
  `${dist}: serve loads ${graph.files.length} local modules, none under sim/; no test code\n`,
);
