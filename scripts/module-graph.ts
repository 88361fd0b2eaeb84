// The static module graph of an entry point: every local file reached through static `import`
// and `export ... from` statements (dynamic `import()` is not followed, which is the point: code
// loaded on demand is not part of what a command loads). Works on TypeScript sources, which are
// transpiled first so that type-only imports disappear exactly as they do in the build, and on
// the emitted JavaScript in dist/.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

const staticSpecifier =
  /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;

/** The JavaScript a file becomes: sources through the compiler's import elision. */
const emitted = (path: string): string => {
  const text = readFileSync(path, 'utf8');
  if (!path.endsWith('.ts')) return text;
  return ts.transpileModule(text, {
    fileName: path,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2023,
      verbatimModuleSyntax: true,
    },
  }).outputText;
};

export interface ModuleGraph {
  /** Local files reached, absolute paths. */
  readonly files: readonly string[];
  /** Bare and `node:` specifiers imported by those files. */
  readonly packages: readonly string[];
}

export const moduleGraph = (entry: string): ModuleGraph => {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (path: string) => {
    if (files.has(path)) return;
    files.add(path);
    if (path.endsWith('.json')) return;
    for (const match of emitted(path).matchAll(staticSpecifier)) {
      const specifier = match[1] ?? match[2] ?? '';
      if (specifier.startsWith('.')) visit(resolve(dirname(path), specifier));
      else packages.add(specifier);
    }
  };
  visit(resolve(entry));
  return { files: [...files].sort(), packages: [...packages].sort() };
};
