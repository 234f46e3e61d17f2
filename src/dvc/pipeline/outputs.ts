import { join } from 'node:path';
import type { HashInfo } from '../hash.js';
import { repoRelative } from '../dvcfile.js';
import { readPipeline } from './dvcyaml.js';
import { readLock } from './lock.js';

/** A cached stage output as dvc.lock records it: what `dvc push` sends besides the `.dvc` files' outputs. */
export interface PipelineOutput {
  /** Path relative to the repository root, with `/`. */
  label: string;
  hash: HashInfo;
}

/**
 * The cached outputs of dvc.yaml's stages with the hashes dvc.lock records (`cache: false` ones
 * stay in git, and a stage never run has no hash yet), in stage order.
 */
export async function pipelineOutputs(root: string): Promise<PipelineOutput[]> {
  const pipeline = await readPipeline(root);
  const lock = await readLock(root);
  const found: PipelineOutput[] = [];
  for (const stage of pipeline.stages) {
    const recorded = lock.get(stage.name)?.outs ?? [];
    for (const out of stage.outs) {
      const entry = out.cache ? recorded.find((e) => e.path === out.path) : undefined;
      if (!entry) continue;
      const hash: HashInfo = { md5: entry.md5, size: entry.size, ...(entry.nfiles !== undefined ? { nfiles: entry.nfiles } : {}) };
      found.push({ label: repoRelative(root, join(stage.wdir, out.path)), hash });
    }
  }
  return found;
}
