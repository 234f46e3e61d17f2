import { access } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { UserError } from '../../util/errors.js';
import { command, hinted } from '../../util/hints.js';
import { type DvcFile, type DvcOut, dvcFileFor, DVCFILE_SUFFIX, findDvcFiles, hashOf, outputPath, readDvcFile, repoRelative } from '../dvcfile.js';
import type { HashInfo } from '../hash.js';
import { PIPELINE_FILE } from '../pipeline/dvcyaml.js';
import { LOCK_FILE } from '../pipeline/lock.js';
import { pipelineOutputs } from '../pipeline/outputs.js';
import type { Repo } from '../repo.js';
import type { Progress } from '../../util/progress.js';

/** One output of one `.dvc` file, resolved to a workspace path. */
export interface TrackedOutput {
  dvc: DvcFile;
  out: DvcOut;
  /** Absolute workspace path. */
  path: string;
  /** Path relative to the repository root, with `/`, for messages. */
  label: string;
  /** The recorded hash; undefined when the `.dvc` file has none yet. */
  hash?: HashInfo;
}

/** Opens a progress display for `total` units; ops call it, the CLI decides what it shows. */
export type ProgressFactory = (label: string, total: number) => Progress;

export const NO_PROGRESS: ProgressFactory = () => ({ increment() {}, update() {}, setTotal() {}, stop() {} });

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function outputsOf(repo: Repo, dvc: DvcFile): TrackedOutput[] {
  return dvc.outs.map((out) => {
    const path = outputPath(dvc, out);
    return { dvc, out, path, label: repoRelative(repo.root, path), hash: hashOf(out) };
  });
}

/**
 * The cached outputs of dvc.yaml's stages that dvc.lock records, as outputs of dvc.lock (none
 * without a dvc.yaml): what `dvc pull` and `dvc push` take besides the `.dvc` files' outputs.
 */
async function stageOutputs(repo: Repo): Promise<TrackedOutput[]> {
  if (!(await exists(join(repo.root, PIPELINE_FILE)))) return [];
  const lock = join(repo.root, LOCK_FILE);
  return (await pipelineOutputs(repo.root)).map(({ label, hash }) => {
    const out: DvcOut = { path: label, ...hash, hash: 'md5', extra: {} };
    return { dvc: { file: lock, outs: [out], extra: {} }, out, path: resolve(repo.root, label), label, hash };
  });
}

/** Which outputs a verb works on when it is given no targets (and which targets name). */
export interface CollectOptions {
  /** The stages' outputs in dvc.lock too, as DVC's data verbs take them; else only the `.dvc` files'. */
  pipeline?: boolean;
}

/**
 * The outputs named by `targets` (`.dvc` files, tracked paths, or folders holding tracked paths,
 * relative to `cwd`), or every output of every `.dvc` file in the repository when there are none
 * (and of dvc.lock, with `pipeline`).
 */
export async function collectOutputs(repo: Repo, targets: readonly string[] = [], cwd = process.cwd(), options: CollectOptions = {}): Promise<TrackedOutput[]> {
  if (targets.length === 0) {
    const files = await findDvcFiles(repo.root);
    const all: TrackedOutput[] = [];
    for (const file of files) all.push(...outputsOf(repo, await readDvcFile(file)));
    if (options.pipeline) all.push(...(await stageOutputs(repo)));
    return all;
  }
  const chosen: TrackedOutput[] = [];
  let everything: TrackedOutput[] | undefined;
  for (const target of targets) {
    const abs = resolve(cwd, target);
    if (abs.endsWith(DVCFILE_SUFFIX) && (await exists(abs))) {
      chosen.push(...outputsOf(repo, await readDvcFile(abs)));
      continue;
    }
    const beside = dvcFileFor(abs);
    if (await exists(beside)) {
      const outs = outputsOf(repo, await readDvcFile(beside)).filter((o) => o.path === abs);
      if (outs.length > 0) {
        chosen.push(...outs);
        continue;
      }
    }
    everything ??= await collectOutputs(repo, [], cwd, options);
    let match = everything.filter((o) => o.path === abs);
    // A folder that is not itself tracked stands for every output below it (`pull data` pulls data/v1 and data/v2).
    if (match.length === 0) match = everything.filter((o) => o.path.startsWith(abs + sep));
    if (match.length === 0) {
      throw new UserError(hinted`${target} is neither a .dvc file nor a path tracked by one; track it with ${command('add', target)} or check the name`);
    }
    chosen.push(...match);
  }
  return chosen.filter((o, i) => chosen.findIndex((p) => p.path === o.path) === i);
}

/** The outputs that have a recorded hash; the ones that do not are reported by `status`. */
export function withHash(outputs: readonly TrackedOutput[]): (TrackedOutput & { hash: HashInfo })[] {
  return outputs.filter((o): o is TrackedOutput & { hash: HashInfo } => o.hash !== undefined);
}
