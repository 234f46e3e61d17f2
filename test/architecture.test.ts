/**
 * The layers of src/: the lint rule that keeps imports running downwards (eslint.config.js, made
 * from scripts/layers.mjs) rejects what it must, and docs/architecture.md shows the layers as the
 * imports in src/ draw them now.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const PROJECT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

interface ArchitectureScript {
  REGENERATE: string;
  render: (doc: string) => string;
  diagram: (graph: { edges: Map<string, Set<string>>; unplaced: string[] }) => string;
}
const architecture = () => import(pathToFileURL(join(PROJECT, 'scripts', 'architecture.mjs')).href) as Promise<ArchitectureScript>;

describe('the layer rule of `npm run lint`', () => {
  // The project's own eslint.config.js, without the type-aware part (it needs no types and would
  // build the whole TypeScript program), on code given as the text of a file at `path`.
  const eslint = new ESLint({
    cwd: PROJECT,
    overrideConfig: [
      { files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked, languageOptions: { parserOptions: { projectService: false, project: null } } },
    ],
  });
  const lint = async (path: string, imports: string[]) => {
    const code = imports.map((from, i) => `import * as m${i} from '${from}';\nexport const x${i} = m${i};\n`).join('');
    const [result] = await eslint.lintText(code, { filePath: join(PROJECT, path) });
    return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
  };
  const LAYER = 'boundaries/dependencies';

  it('fails an upward import, naming both folders and where the order is written', async () => {
    assert.deepEqual(await lint('src/dvc/x.ts', ['../model/fit.js']), [
      `${LAYER}: src/dvc/ may not import src/model/: the layers of src/ import downwards only (scripts/layers.mjs, docs/architecture.md)`,
    ]);
    assert.match((await lint('src/model/x.ts', ['../report/render.js'])).join('\n'), /src\/model\/ may not import src\/report\//);
    assert.match((await lint('src/report/x.ts', ['../experiments/summary.js'])).join('\n'), /src\/report\/ may not import src\/experiments\//);
    assert.match((await lint('src/cifar/x.ts', ['../data/versions.js'])).join('\n'), /src\/cifar\/ may not import src\/data\//);
    assert.match((await lint('src/util/x.ts', ['../cli.js'])).join('\n'), /src\/util\/ may not import src\/cli\.ts/);
  });

  it('fails dynamic imports and re-exports up the order as well', async () => {
    const [result] = await eslint.lintText("export { CLASS_NAMES } from '../report/render.js';\nexport const m = await import('../github/plan.js');\n", {
      filePath: join(PROJECT, 'src/model/x.ts'),
    });
    assert.deepEqual(
      result!.messages.map((m) => m.message.replace(/:.*/, '')),
      ['src/model/ may not import src/report/', 'src/model/ may not import src/github/'],
    );
  });

  it('keeps src/dvc a library: it imports src/util only, and others reach it through src/dvc/index.ts', async () => {
    assert.deepEqual(await lint('src/dvc/x.ts', ['../util/errors.js', './object-store.js']), []);
    assert.match((await lint('src/dvc/x.ts', ['../data/versions.js'])).join('\n'), /src\/dvc\/ may not import src\/data\//);
    assert.match((await lint('src/dvc/x.ts', ['../paths.js'])).join('\n'), /src\/dvc\/ may not import src\/paths\.ts/);
    assert.deepEqual(await lint('src/data/x.ts', ['../dvc/hash.js']), [
      `${LAYER}: src/data/ imports src/dvc/hash.ts: outside src/dvc, the DVC library is imported through src/dvc/index.ts only`,
    ]);
  });

  it('allows every import down the order, between peers named in scripts/layers.mjs, and anything from test/', async () => {
    assert.deepEqual(await lint('src/data/x.ts', ['../cifar/records.js', '../util/errors.js', '../paths.js']), []);
    assert.deepEqual(await lint('src/actions/x.ts', ['../github/plan.js', '../experiments/matrix.js', '../model/backend-choices.js']), []);
    assert.deepEqual(await lint('src/cli.ts', ['./cli/data.js']), []);
    assert.deepEqual(await lint('src/actions/x.ts', ['../cifar10-shell.js']), [], 'both shells install the cifar10 spelling from the base layer');
    assert.deepEqual(await lint('test/x.test.ts', ['../src/dvc/hash.js', '../src/cli.js']), []);
    assert.match((await lint('src/cli/x.ts', ['../actions/shell.js'])).join('\n'), /src\/cli\/ may not import src\/actions\//, 'the shells are not peers');
  });

  it('fails a file in a folder of src/ that no layer names, and an import of test code from src/', async () => {
    assert.match((await lint('src/newfolder/x.ts', ['../util/errors.js'])).join('\n'), /boundaries\/no-unknown-files/);
    assert.match((await lint('src/model/x.ts', ['../../test/dvc/helpers.js'])).join('\n'), /src\/model\/ may not import test\//);
  });
});

describe('docs/architecture.md', () => {
  it('shows the layers as the imports in src/ draw them now', async () => {
    const { render, REGENERATE } = await architecture();
    const committed = await readFile(join(PROJECT, 'docs', 'architecture.md'), 'utf8');
    assert.equal(
      committed,
      render(committed),
      `docs/architecture.md's layer diagram differs from the imports in src/; run \`${REGENERATE}\` and commit docs/architecture.md`,
    );
    await run(process.execPath, [join(PROJECT, 'scripts', 'architecture.mjs'), '--check'], { cwd: PROJECT });
  });

  it('marks an upward import in the diagram, and the check fails on a diagram that no longer matches', async () => {
    const { diagram, render } = await architecture();
    const drawn = diagram({
      edges: new Map([
        ['dvc', new Set(['model', 'util'])],
        ['model', new Set(['dvc'])],
        ['util', new Set()],
      ]),
      unplaced: [],
    });
    assert.match(drawn, /dvc -\. "not allowed" \.-> model/);
    assert.match(drawn, /model --> dvc/);
    const committed = await readFile(join(PROJECT, 'docs', 'architecture.md'), 'utf8');
    const stale = committed.replace(/\n {2}\w+ --> \w+\n/, '\n');
    assert.notEqual(stale, committed);
    assert.notEqual(render(stale), stale);
  });

  it('says what each folder of scripts/layers.mjs owns', async () => {
    const { LAYERS } = (await import(pathToFileURL(join(PROJECT, 'scripts', 'layers.mjs')).href)) as { LAYERS: { folders: { paths: string[] }[] }[] };
    const doc = await readFile(join(PROJECT, 'docs', 'architecture.md'), 'utf8');
    const table = doc.slice(doc.indexOf('## What each folder owns'));
    for (const path of LAYERS.flatMap((layer) => layer.folders.flatMap((folder) => folder.paths))) {
      assert.ok(table.includes(`\`${path.endsWith('.ts') ? path : `${path}/`}\``), `docs/architecture.md does not say what ${path} owns`);
    }
  });
});
