import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { add, initRepo } from '../../src/dvc/index.js';
import { createSynthWorkspace, type SynthWorkspaceOptions } from '../fixtures/synth-workspace.js';
import { run } from './repository.js';

/**
 * The repository the executor's runs check out: a fresh `git clone` of the project under test with
 * its working tree as a commit (tracked changes and new files that .gitignore does not exclude, so
 * `npm test` and `ci:rehearse` run what is on disk, as every other test does), and on top a commit
 * of a small synthetic CIFAR-10 workspace's DVC pointer files (.dvc/config, the partitions' .dvc
 * files and partitions.json), added with `git add -f` whatever .gitignore says. The synthetic
 * dataset's tarball stays outside the repository, where `CIFAR10_SOURCE` points the runners' rebuild.
 */

export interface ProjectOrigin {
  /** The git repository (with a work tree) to give `Repository` as its origin. */
  dir: string;
  /** The commit the runs check out: the synthetic data on top of the working tree. */
  sha: string;
  /** The synthetic CIFAR-10 tarball, for the runners' CIFAR10_SOURCE. */
  cifarSource: string;
}

const IDENTITY = ['-c', 'user.name=cifar10-ci tests', '-c', 'user.email=tests@cifar10-ci.invalid', '-c', 'commit.gpgsign=false'];

export async function projectOrigin(projectRoot: string, root: string, synth: SynthWorkspaceOptions): Promise<ProjectOrigin> {
  const dir = join(root, 'origin');
  await run('git', ['clone', '--quiet', '--no-checkout', projectRoot, dir]);
  const git = (...args: string[]) => run('git', [...IDENTITY, '-C', dir, ...args], { maxBuffer: 64 * 1024 * 1024 });
  // The project's working tree, through this clone's index: nothing is written to the project's own repository.
  const tree = ['--work-tree', projectRoot];
  await git(...tree, 'read-tree', 'HEAD');
  await git(...tree, 'add', '--all');
  await git(...tree, 'commit', '--quiet', '--allow-empty', '--no-verify', '-m', 'The working tree under test');
  await git('reset', '--quiet', '--hard');

  const data = join(root, 'synthetic-cifar10');
  const workspace = await createSynthWorkspace(data, synth);
  const { repo } = await initRepo(data);
  await add(
    repo,
    workspace.versions.map((v) => join(workspace.partitionsDir, v)),
    { cwd: data },
  );
  const pointers = [
    '.dvc/config',
    '.dvc/.gitignore',
    '.dvcignore',
    'data/partitions/partitions.json',
    ...workspace.versions.map((v) => `data/partitions/${v}.dvc`),
  ];
  for (const file of pointers) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await copyFile(join(data, file), join(dir, file));
  }
  await git('add', '--force', ...pointers);
  await git(
    'commit',
    '--quiet',
    '--no-verify',
    '-m',
    `Synthetic CIFAR-10 partitions ${workspace.versions.join(', ')} (${workspace.images} images) for the workflow runs`,
  );
  const sha = (await git('rev-parse', 'HEAD')).stdout.trim();
  return { dir, sha, cifarSource: workspace.tarball };
}
