import { dirname, join, relative, sep } from 'node:path';
import type { Pipeline } from './dvcyaml.js';
import { LOCK_FILE } from './lock.js';

/**
 * What git records after `stages` ran, as DVC users commit it: dvc.lock, the stages' params files,
 * their `cache: false` outputs (metrics, plots data, small reports) and the `.gitignore` beside
 * each cached output (which keeps that output out of git). Paths are relative to the pipeline's
 * folder, `/`-separated, each once, in pipeline order.
 */
export function gitFilesOf(pipeline: Pipeline, stages: readonly string[]): string[] {
  const root = dirname(pipeline.file);
  const rel = (path: string) => relative(root, path).split(sep).join('/');
  const files = new Set([LOCK_FILE]);
  for (const stage of pipeline.stages.filter((s) => stages.includes(s.name))) {
    for (const param of stage.params) files.add(rel(join(stage.wdir, param.file)));
    for (const out of stage.outs) {
      const path = join(stage.wdir, out.path);
      files.add(rel(out.cache ? join(dirname(path), '.gitignore') : path));
    }
  }
  return [...files];
}
