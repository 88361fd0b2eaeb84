// The product's module graph is the product: `serve` and `bmh` (src/main.ts and what it
// statically imports) load no simulator module and no test helper, and the build leaves
// test-only files out of dist/. The same walker checks the built dist/ in .ci/image-layout.sh.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { moduleGraph } from '../../scripts/module-graph.ts';

const root = new URL('../../', import.meta.url).pathname;
const local = (files: readonly string[]) => files.map((f) => relative(root, f));

describe('module graph', () => {
  it('serve loads no simulator code and no test code', () => {
    const graph = moduleGraph(join(root, 'src/main.ts'));
    const files = local(graph.files);
    assert.ok(files.includes('src/cli/serve.ts'), 'the walker follows main.ts imports');
    // bmh shares serve's connection: it too reaches the simulator only through `--simulate`.
    assert.ok(files.includes('src/cli/bmh.ts'));
    assert.deepEqual(
      files.filter(
        (f) => f.startsWith('src/sim/') || f.startsWith('test/') || f.includes('.test.'),
      ),
      [],
    );
    assert.deepEqual(
      graph.packages.filter((p) => p.startsWith('node:assert') || p === 'node:test'),
      [],
    );
  });

  it('follows value imports and drops type-only ones, as the build does', () => {
    const simulator = local(moduleGraph(join(root, 'src/sim/simulator.ts')).files);
    assert.ok(simulator.includes('src/sim/store.ts'));
    assert.ok(simulator.includes('src/sim/schemas/virtualmachine.schema.json'));
    // serve.ts names the simulator's types only.
    assert.ok(
      !local(moduleGraph(join(root, 'src/cli/serve.ts')).files).includes('src/sim/simulator.ts'),
    );
  });

  it('keeps every source that imports node:assert or node:test out of the build', () => {
    const build = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as {
      exclude: string[];
    };
    const walk = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
      );
    const testOnly = walk('src').filter(
      (f) =>
        f.endsWith('.ts') &&
        !f.endsWith('.test.ts') &&
        /from ['"]node:(assert|test)/.test(readFileSync(join(root, f), 'utf8')),
    );
    assert.deepEqual(
      testOnly.filter((f) => !build.exclude.includes(f)),
      [],
      'test helpers under src/ must be listed in tsconfig.build.json exclude',
    );
  });
});
