import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { start } from '../../src/experiments/start.js';
import { createSynthWorkspace, withTempDir } from '../fixtures/synth-workspace.js';

const run = promisify(execFile);

/** The repository's own dvc.yaml and params.yaml, made small by -S overrides as a user would. */
const TINY = ['train.epochs=1', 'train.width=0.125', 'train.batch_size=32', 'evaluate.misclassified=4'];

/** The files that make the project a pipeline as this repository commits it, copied from the project. */
const PROJECT_FILES = ['dvc.yaml', 'params.yaml', '.gitignore', 'data/.gitignore', 'models/.gitignore', 'reports/.gitignore'];

const git = (cwd: string, ...args: string[]) => run('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd });

test('a fresh git clone reproduces the committed dvc.lock byte for byte with real tfjs on wasm, and leaves git status clean', async () => {
  const project = process.cwd();
  await withTempDir('fresh-clone-', async (dir) => {
    // The author's side: data made and versioned, the pipeline run, everything DVC users commit committed.
    const author = join(dir, 'author');
    const ws = await createSynthWorkspace(author, { imagesPerClass: 20, partitions: 3, partitionSize: 50, seed: 3 });
    for (const file of PROJECT_FILES) {
      await mkdir(join(author, file, '..'), { recursive: true });
      await copyFile(join(project, file), join(author, file));
    }
    // The stages list source folders as deps and run `node dist/src/cli.js`, both relative to the root.
    await cp(join(project, 'src'), join(author, 'src'), { recursive: true });
    await symlink(join(project, 'dist'), join(author, 'dist'), 'junction');
    const made = await start({ root: author, set: [...TINY, 'train.backend=wasm'], source: ws.tarball, cifarCacheDir: ws.cacheDir, quiet: true });
    assert.equal(made.data, 'made');
    // As this repository is committed: no DVC remote, so a clone rebuilds the partitions and verifies them.
    await writeFile(join(author, '.dvc/config'), '');
    await git(author, 'init', '--quiet');
    await writeFile(join(author, '.git/info/exclude'), '/dist\n/synth/\n');
    await git(author, 'add', '--all');
    await git(author, 'commit', '--quiet', '-m', 'pipeline run');
    const lock = await readFile(join(author, 'dvc.lock'));

    // A user's fresh clone: no data, no cached outputs; `npm start` makes them again.
    const clone = join(dir, 'clone');
    await git(dir, 'clone', '--quiet', author, clone);
    await symlink(join(project, 'dist'), join(clone, 'dist'), 'junction');
    await writeFile(join(clone, '.git/info/exclude'), '/dist\n');
    const again = await start({ root: clone, source: ws.tarball, cifarCacheDir: join(dir, 'clone-cache'), quiet: true });
    assert.equal(again.data, 'rebuilt');
    assert.deepEqual(
      again.stages.map((s) => [s.stage, s.action]),
      [
        ['pull_data', 'ran'],
        ['prepare', 'ran'],
        ['train', 'ran'],
        ['evaluate', 'ran'],
      ],
      'the cached outputs are not in git, so every stage runs',
    );
    assert.equal((await readFile(join(clone, 'dvc.lock'))).toString(), lock.toString(), 'dvc.lock, and so every output it hashes, is byte for byte the same');
    const { stdout } = await git(clone, 'status', '--porcelain');
    assert.equal(stdout, '', 'the committed cache: false outputs came out the same, and nothing new is left untracked');
  });
});
