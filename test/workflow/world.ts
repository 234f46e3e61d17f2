import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeGitHub } from '../github/fake-github.js';
import type { SynthWorkspaceOptions } from '../fixtures/synth-workspace.js';
import { runWorkflow, RunnerPool, type WorkflowRun, type WorkflowRunOptions } from './executor.js';
import type { JobResult } from './job.js';
import { projectOrigin, type ProjectOrigin } from './origin.js';
import { Repository } from './repository.js';

/**
 * Everything a workflow run of this project needs, for the scenario tests and `npm run
 * ci:rehearse`: a fake GitHub on 127.0.0.1 (comments, pull requests, runs, artifacts), the
 * project's working tree as a fresh clone with a synthetic CIFAR-10 workspace committed on top,
 * and runners whose machine has `CIFAR10_SOURCE` pointing at the synthetic tarball, as a
 * self-hosted runner with a local copy of CIFAR-10 would (a fork's run has no secrets, so it
 * rebuilds the partitions from CIFAR-10 and checks them against the committed .dvc hashes).
 */

export interface World {
  github: FakeGitHub;
  repository: Repository;
  origin: ProjectOrigin;
  pool: RunnerPool;
  run(workflow: string, eventName: string, event: WorkflowRunOptions['event'], extra?: Partial<WorkflowRunOptions>): Promise<WorkflowRun>;
  /** Files of an artifact of a run, by path inside it. */
  artifactFile(run: WorkflowRun, name: string, path: string): Promise<string>;
  stop(): Promise<void>;
}

export interface WorldOptions {
  projectRoot: string;
  /** A scratch folder for the clone, the runners, artifacts and caches. */
  root: string;
  synth: SynthWorkspaceOptions;
  /** More variables for every runner (e.g. the test-suite filter for ci.yml). */
  runnerEnv?: Record<string, string>;
  progress?: (line: string) => void;
}

export async function createWorld(options: WorldOptions): Promise<World> {
  const github = await new FakeGitHub('octo', 'cifar10-ci').start();
  try {
    const origin = await projectOrigin(options.projectRoot, options.root, options.synth);
    const repository = new Repository({ github, origin: origin.dir, storage: join(options.root, 'storage') });
    const pool = new RunnerPool(2);
    // The runners' CIFAR-10 cache stays in the scratch folder, not in this machine's ~/.cache.
    const runnerEnv = {
      CIFAR10_SOURCE: origin.cifarSource,
      CIFAR10_CACHE: join(options.root, 'runner-cifar-cache'),
      // The runners' git reaches the repository's GitHub URL at the origin on disk: what jobs push (the history branch) lands there.
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: `url.${origin.dir}.insteadOf`,
      GIT_CONFIG_VALUE_0: `https://github.com/${repository.fullName}`,
      ...options.runnerEnv,
    };
    return {
      github,
      repository,
      origin,
      pool,
      run: (workflow, eventName, event, extra = {}) =>
        runWorkflow({
          repository,
          workflow,
          eventName,
          event,
          sha: origin.sha,
          pool,
          workRoot: join(options.root, 'runners'),
          runnerEnv,
          progress: options.progress,
          ...extra,
        }),
      artifactFile: (run, name, path) => {
        const artifact = repository.artifactsOf(run.id).find((a) => a.name === name);
        if (!artifact)
          throw new Error(
            `run ${run.id} has no artifact ${name} (it has ${
              repository
                .artifactsOf(run.id)
                .map((a) => a.name)
                .join(', ') || 'none'
            })`,
          );
        return readFile(join(repository.artifactDir(artifact), path), 'utf8');
      },
      stop: () => github.stop(),
    };
  } catch (error) {
    await github.stop();
    throw error;
  }
}

/** What went wrong in a run, for assertion messages: every failed step's log. */
export function explain(run: WorkflowRun): string {
  const failed = (job: JobResult) =>
    job.steps.filter((s) => s.outcome === 'failure').map((s) => `--- ${job.name} / ${s.name}\n${s.log.split('\n').slice(-40).join('\n')}`);
  return [
    `${run.workflow.file} ${run.eventName}: ${run.conclusion}; ${Object.entries(run.results)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    ...run.jobs.flatMap(failed),
  ].join('\n');
}
