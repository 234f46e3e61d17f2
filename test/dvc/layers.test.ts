import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

/**
 * The DVC layer is a library: nothing under src/dvc imports from outside src/dvc and src/util
 * (it knows no dataset, project layout or program), and the rest of the code reaches it only
 * through its one entry, src/dvc/index.ts. Tests of its internal modules may import them.
 */

const SRC = resolve('src');
const DVC = join(SRC, 'dvc');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

/** The relative imports of a TypeScript file (static `import … from`, `export … from` and `import()`), resolved to .ts paths. */
async function relativeImports(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specs.map((spec) => resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
}

const inside = (dir: string, path: string) => !relative(dir, path).startsWith('..');

test('no file under src/dvc imports from outside src/dvc and src/util', async () => {
  const offenders: string[] = [];
  for (const file of await sourceFiles(DVC)) {
    for (const target of await relativeImports(file)) {
      if (!inside(DVC, target) && !inside(join(SRC, 'util'), target)) offenders.push(`${relative(SRC, file)} → ${relative(SRC, target)}`);
    }
  }
  assert.deepEqual(offenders, []);
});

test('code outside src/dvc uses the DVC layer through src/dvc/index.ts only', async () => {
  const offenders: string[] = [];
  const files = [...(await sourceFiles(SRC)).filter((f) => !inside(DVC, f)), ...(await sourceFiles(resolve('bench')))];
  for (const file of files) {
    for (const target of await relativeImports(file)) {
      if (inside(DVC, target) && target !== join(DVC, 'index.ts')) offenders.push(`${relative('.', file)} → ${relative('.', target)}`);
    }
  }
  assert.deepEqual(offenders, []);
});
