import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../actions/local-runner.js';
import type { JobResult } from './job.js';
import { run } from './repository.js';
import { createWorld, type World } from './world.js';
import { seedInstallCache } from './install-cache.js';

/**
 * What the scenario files (scenarios-*.test.ts) share. Each runs the project's own workflow files
 * from their YAML in a fresh clone of the working tree on a small synthetic CIFAR-10 (3 partitions
 * of 60 images), in a world of its own: two runners, as this machine's two cores; the first job
 * installs with npm ci and saves node_modules to the Actions cache, the others restore it (or all
 * restore it, in a world whose cache starts with it: `installed`). The
 * scenarios that need each other's runs (a pull request compares with main's baseline) share a
 * file; the others are files of their own, so the test runner overlaps them with the rest of the suite.
 */

// AWS secrets exist in the repository, as in a team's setup; .dvc/config names no remote, so both paths rebuild.
export const SECRETS = { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEKEY000001', AWS_SECRET_ACCESS_KEY: 'secretExampleValue0001' };

export const stepOf = (job: JobResult, id: string) => job.steps.find((s) => s.id === id);
export const execGit = (args: string[]) => run('git', args, { maxBuffer: 64 * 1024 * 1024 });

export interface ScenarioWorld {
  world: World;
  /** Waits for the runs still going (whatever their outcome), then stops the world and deletes its files. */
  close(pending: readonly Promise<unknown>[]): Promise<void>;
}

/**
 * `installed`: the repository's Actions cache already holds node_modules (install-cache.ts), so its
 * runs restore it instead of running npm ci; the pull-request world starts empty and asserts the
 * npm ci-once path.
 */
export async function scenarioWorld(options: { installed: boolean }): Promise<ScenarioWorld> {
  const root = await mkdtemp(join(tmpdir(), 'workflows-'));
  try {
    const world = await createWorld({
      projectRoot: PROJECT_ROOT,
      root,
      synth: { imagesPerClass: 20, partitions: 3, partitionSize: 60, seed: 3 },
      runnerEnv: { CIFAR10_TEST_FILTER: 'test/util/random' },
    });
    if (options.installed) await seedInstallCache(world.repository, world.origin.dir, PROJECT_ROOT);
    return {
      world,
      close: async (pending) => {
        await Promise.allSettled(pending);
        await world.stop();
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}
