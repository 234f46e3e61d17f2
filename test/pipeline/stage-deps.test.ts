/**
 * dvc.yaml's code deps of each stage are what the stage really runs: the TypeScript modules its
 * stage function (src/stages/<stage>.ts) imports, directly or not, within src/, as esbuild's
 * bundler resolves them (static and literal dynamic imports alike). A stage whose code changes
 * must be stale; a stage must not re-run for code it never loads.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { build } from 'esbuild';
import { parse } from 'yaml';

const PROJECT = process.cwd();

/** The stages whose code is a stage function; pull_data runs the data layer's pull and is always checked (always_changed). */
const STAGE_ENTRIES: Record<string, string> = {
  prepare: 'src/stages/prepare.ts',
  train: 'src/stages/train.ts',
  evaluate: 'src/stages/evaluate.ts',
};

/** A module a worker thread runs: `new Worker(new URL('./x.js', import.meta.url))`, which no bundler follows. */
const WORKER_URL = /new URL\(\s*'(\.{1,2}\/[^']+)\.js',\s*import\.meta\.url\s*\)/g;

/** Every module under src/ the entry reaches, as repository-relative paths, worker entries and what they import included. */
async function reachable(entry: string): Promise<string[]> {
  const entries = new Set([entry]);
  for (;;) {
    const result = await build({
      entryPoints: [...entries],
      absWorkingDir: PROJECT,
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'silent',
      outdir: 'unused',
    });
    const modules = Object.keys(result.metafile.inputs).filter((path) => path.startsWith('src/'));
    const before = entries.size;
    for (const module of modules) {
      for (const [, target] of (await readFile(join(PROJECT, module), 'utf8')).matchAll(WORKER_URL)) entries.add(join(dirname(module), `${target}.ts`));
    }
    if (entries.size === before) return modules.sort();
  }
}

/** The .ts files directly in a folder of src/. */
async function modulesIn(folder: string): Promise<string[]> {
  return (await readdir(join(PROJECT, folder))).filter((name) => name.endsWith('.ts')).map((name) => `${folder}/${name}`);
}

const covers = (dep: string, file: string) => file === dep || file.startsWith(`${dep}/`);

describe("dvc.yaml's code deps are the import graph of each stage", async () => {
  const pipeline = parse(await readFile(join(PROJECT, 'dvc.yaml'), 'utf8')) as { stages: Record<string, { deps?: string[] }> };

  test('every stage with code deps has a stage function, and every stage function is a stage of dvc.yaml', () => {
    const withCode = Object.entries(pipeline.stages)
      .filter(([, stage]) => (stage.deps ?? []).some((dep) => dep.startsWith('src/')))
      .map(([name]) => name);
    assert.deepEqual(withCode.sort(), Object.keys(STAGE_ENTRIES).sort());
  });

  for (const [stage, entry] of Object.entries(STAGE_ENTRIES)) {
    test(`${stage}: its deps cover every module ${entry} reaches, list none it does not, and name a folder exactly when the stage uses most of it`, async () => {
      const code = (pipeline.stages[stage]?.deps ?? []).filter((dep) => dep.startsWith('src/'));
      const modules = await reachable(entry);
      assert.ok(modules.includes(entry), `${entry} is its own first module`);

      const uncovered = modules.filter((file) => !code.some((dep) => covers(dep, file)));
      assert.deepEqual(uncovered, [], `${stage} runs these but dvc.yaml does not list them: a change to them would not make the stage stale`);
      const unused = code.filter((dep) => !modules.some((file) => covers(dep, file)));
      assert.deepEqual(unused, [], `${stage} lists these in dvc.yaml but never loads them: a change to them re-runs it for nothing`);

      // Tight but stable: a folder when the stage loads most of its modules (a new file there is
      // then likely its code too), else the files one by one.
      const folders = [...new Set(modules.map((file) => dirname(file)))];
      for (const folder of folders) {
        if (code.some((dep) => folder.startsWith(`${dep}/`))) continue; // a listed parent folder covers it
        const all = await modulesIn(folder);
        const used = modules.filter((file) => dirname(file) === folder);
        const mostly = used.length * 2 > all.length;
        const expected = mostly ? [folder] : used;
        const listed = code.filter((dep) => dep === folder || (dep.endsWith('.ts') && dirname(dep) === folder)).sort();
        assert.deepEqual(
          listed,
          expected.sort(),
          `${stage} loads ${used.length} of the ${all.length} modules in ${folder}: list ${mostly ? 'the folder' : 'the files'}`,
        );
      }
    });
  }
});
