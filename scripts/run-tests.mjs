// Runs every test file with Node's built-in runner. Node 20 expands no globs and does not find
// .ts files by itself, so the list is collected here. Usage: npm test [-- <path filter>...]
// Two phases: the service's own suites two at a time, then the real-client suites (test/clients:
// sushy, sushycli, redfishtool, each spawning Python processes) one at a time with a longer limit,
// so a busy machine cannot starve one of them into its per-file timeout.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = ['src', 'test'];
const filters = process.argv.slice(2);
const files = [];
const walk = (dir) => {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.test\.ts$/.test(entry)) files.push(relative(process.cwd(), path));
  }
};
for (const root of roots) walk(root);
const selected = filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
selected.sort();
if (selected.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const isClientSuite = (file) => file.split(/[\\/]/).slice(0, 2).join('/') === 'test/clients';
const phases = [
  { files: selected.filter((f) => !isClientSuite(f)), concurrency: 2, timeoutMs: 120_000 },
  { files: selected.filter(isClientSuite), concurrency: 1, timeoutMs: 300_000 },
];
let status = 0;
for (const phase of phases) {
  if (phase.files.length === 0) continue;
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${phase.concurrency}`,
      `--test-timeout=${phase.timeoutMs}`,
      ...phase.files,
    ],
    { stdio: 'inherit' },
  );
  status ||= result.status ?? 1;
}
process.exit(status);
