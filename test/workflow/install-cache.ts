import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { substitute, WorkflowError } from './expressions.js';
import { RUNNER_PLATFORM } from './job.js';
import type { Repository } from './repository.js';
import { lines } from './standins/index.js';

/**
 * A repository whose Actions cache already holds the node_modules an earlier run's `npm ci` saved,
 * as on GitHub after the first run of a lockfile: the install action (actions/install/action.yml)
 * then restores it instead of spending a minute of CPU on npm ci in each scenario world. The entry
 * is the project's own node_modules (what `npm ci` made of the same package-lock.json), saved under
 * the key the action's `modules` step computes, evaluated here from its YAML by GitHub's expression
 * engine, so the two cannot drift apart. The cache-miss path (npm ci, then the save) stays covered
 * by the worlds that start empty (scenarios-pr.test.ts asserts it).
 */
export async function seedInstallCache(repository: Repository, checkout: string, projectRoot: string): Promise<string> {
  const action = parse(await readFile(join(checkout, 'actions/install/action.yml'), 'utf8')) as {
    runs: { steps: { id?: string; with?: { key?: string; path?: string } }[] };
  };
  const step = action.runs.steps.find((s) => s.id === 'modules');
  if (!step?.with?.key || !step.with.path) throw new WorkflowError('actions/install/action.yml has no `modules` cache step with a key and a path');
  const key = substitute(
    step.with.key,
    // What a job of this executor sees: its runner's platform, and the node the setup-node stand-in reports (the one on PATH).
    { contexts: { runner: RUNNER_PLATFORM, steps: { node: { outputs: { 'node-version': process.version } } } }, workspace: checkout },
    'actions/install/action.yml modules key',
  );
  await repository.saveCache(key, `refs/heads/${repository.defaultBranch}`, projectRoot, lines(step.with.path));
  return key;
}
