// Runs every test file with Node's built-in runner. Node 20 expands no globs and does not find
// .ts files by itself, so the list is collected here. Usage: npm test [-- <path filter>...]
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
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=120000', ...selected],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
