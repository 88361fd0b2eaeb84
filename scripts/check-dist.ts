// Checks a build (default dist/) the way the image ships it: `serve` loads no simulator module
// and no test helper, the simulator's data files were emitted beside it, and nothing in the build
// is test-only code. Usage: tsx scripts/check-dist.ts [DIST]. Exit 1 with the problems listed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
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
// Every file a built module names beside itself (a JSON module, a `new URL(..., import.meta.url)`
// it reads) must have been emitted: tsc copies only what is imported, so a file read at run time
// would be missing from the image while tsx, reading the sources, never notices.
const relativeSpecifier =
  /\bfrom\s*['"](\.[^'"]+)['"]|new URL\(\s*['"](\.[^'"]+)['"],\s*import\.meta\.url/g;
for (const file of walk(dist).filter((f) => f.endsWith('.js')))
  for (const match of readFileSync(file, 'utf8').matchAll(relativeSpecifier)) {
    const target = resolve(dirname(file), match[1] ?? match[2] ?? '');
    // package.json sits beside dist/ in the image (the Containerfile copies it).
    if (!existsSync(target))
      problems.push(
        `${relative(dist, file)} names ${match[1] ?? match[2]}, missing from the build`,
      );
  }

if (problems.length) {
  process.stderr.write(`${problems.join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(
  `${dist}: serve loads ${graph.files.length} local modules, none under sim/; no test code\n`,
);
