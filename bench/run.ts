// `npm run bench [-- name...]`: runs each benchmark in its own Node process (fresh heap, full GC
// available), one after the other, each bounded in time; exits non-zero if any fails.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benchmarks = ['sim-scale', 'redfish', 'writes', 'http', 'scale'] as const;
/** Run when none is named; `http` and `scale` need wrk, a quiet second CPU and (for the goals)
 *  the built service, so they run only on request. */
const defaults = ['sim-scale', 'redfish', 'writes'];
/** A benchmark still running after this is killed and counted as failed. */
const TIMEOUT_MS = 5 * 60_000;

const args = process.argv.slice(2);
const wanted = args.filter((a) => (benchmarks as readonly string[]).includes(a));
// Anything else (`--dist`, `--seconds 5`) is passed to each benchmark.
const passed = args.filter((a) => !wanted.includes(a));
const selected = benchmarks.filter((b) => (wanted.length ? wanted : defaults).includes(b));
const stray = passed.some((a, i) => !a.startsWith('-') && !passed[i - 1]?.startsWith('-'));
if (selected.length === 0 || stray) {
  console.error(`unknown benchmark; choose from: ${benchmarks.join(', ')}`);
  process.exit(2);
}

const soakAt = passed.indexOf('--soak');
const soakSeconds = soakAt >= 0 ? Number(passed[soakAt + 1] ?? 0) : 0;

const failed: string[] = [];
for (const name of selected) {
  const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  console.log(`\n# bench/${name}.ts`);
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', file, ...passed], {
    stdio: 'inherit',
    // A soak (`scale --soak SECONDS`) runs that much longer by request.
    timeout: TIMEOUT_MS + soakSeconds * 1000,
    killSignal: 'SIGKILL',
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status === 0) console.log(`# ${name}: done in ${seconds} s`);
  else {
    failed.push(name);
    console.log(
      `# ${name}: FAILED after ${seconds} s (${result.signal ?? `exit ${result.status}`})`,
    );
  }
}
if (failed.length) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exit(1);
}
