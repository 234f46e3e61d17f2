import { arch, cpus, hostname, platform } from 'node:os';
import { join } from 'node:path';
import { git, hashPath, readDvcFile } from '../dvc/index.js';
import type { RunManifest } from './bundle.js';

/** Where, on what and from which data a run was made: the facts a bundle's manifest records. */

/** The git commit of `root` and whether tracked files differ from it; nulls outside a git checkout. */
export async function gitState(root: string): Promise<RunManifest['git']> {
  try {
    const commit = await git(['rev-parse', 'HEAD'], root);
    const changes = await git(['status', '--porcelain', '--untracked-files=no'], root);
    return { commit: commit.trim(), dirty: changes.trim().length > 0 };
  } catch {
    return { commit: null, dirty: null };
  }
}

/** DVC hash of each partition: from its `.dvc` file when there is one, else hashed now. */
export async function partitionHashes(partitionsDir: string, partitions: readonly string[]): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const name of partitions) {
    const dir = join(partitionsDir, name);
    // Only a missing .dvc file means "not versioned"; a broken one is the user's to fix, not to hash around.
    const recorded = await readDvcFile(`${dir}.dvc`).then(
      (dvc) => dvc.outs[0]?.md5,
      (error: Error) => ((error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ? undefined : Promise.reject(error)),
    );
    hashes[name] = recorded ?? (await hashPath(dir)).md5;
  }
  return hashes;
}

export function hostFacts(): RunManifest['host'] {
  const cores = cpus();
  return { name: hostname(), platform: platform(), arch: arch(), cpus: cores.length, cpu_model: cores[0]?.model.trim() ?? 'unknown', node: process.version };
}
