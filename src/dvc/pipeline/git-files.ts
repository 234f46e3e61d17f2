import { dirname, join, relative, sep } from 'node:path';
import type { Pipeline } from './dvcyaml.js';
import { LOCK_FILE } from './lock.js';

/**
 * The files git tracks for `stages`, as DVC users commit them: the stages' params files, their
 * `cache: false` outputs (metrics, plots data, small reports) and, with `gitignores`, the
 * `.gitignore` beside each cached output (which keeps that output out of git). Paths are relative
 * to the pipeline's folder, `/`-separated, each once, in pipeline order.
 */
export function stageGitFiles(pipeline: Pipeline, stages: readonly string[], { gitignores }: { gitignores: boolean }): string[] {
  const root = dirname(pipeline.file);
  const rel = (path: string) => relative(root, path).split(sep).join('/');
  const files = new Set<string>();
  for (const stage of pipeline.stages.filter((s) => stages.includes(s.name))) {
    for (const param of stage.params) files.add(rel(join(stage.wdir, param.file)));
    for (const out of stage.outs) {
      const path = join(stage.wdir, out.path);
      if (!out.cache) files.add(rel(path));
      else if (gitignores) files.add(rel(join(dirname(path), '.gitignore')));
    }
  }
  return [...files];
}

/** What git records after `stages` ran, as DVC users commit it: dvc.lock and `stageGitFiles` with the `.gitignore`s. */
export function gitFilesOf(pipeline: Pipeline, stages: readonly string[]): string[] {
  return [...new Set([LOCK_FILE, ...stageGitFiles(pipeline, stages, { gitignores: true })])];
}
