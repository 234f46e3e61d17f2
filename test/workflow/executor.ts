import type { FakeRun } from '../github/fake-github.js';
import { evaluateCondition, evaluateText, evaluateToken, jsonText, WorkflowError, type Contexts, type Json, type Status } from './expressions.js';
import { JobRunner, refName, type Fault, type JobResult, type Result, type RunContext, type Skip } from './job.js';
import { expandStrategy } from './matrix.js';
import { loadWorkflow, type JobSpec, type WorkflowSpec } from './model.js';
import { run as exec, type Repository } from './repository.js';

/**
 * Runs a workflow of the repository's commit FROM ITS YAML, as GitHub would for one event: it checks
 * that the event triggers the workflow, registers the run (so the REST API lists it), orders the
 * jobs by `needs`, evaluates each job's `if:` (GitHub's default `success()` over its ancestors) and
 * `strategy` (matrix expansion, `fromJSON(needs.x.outputs.matrix)`, fail-fast, max-parallel), and
 * runs jobs and matrix cells on a shared pool of runners (two: this machine has two cores).
 */

/** Runners shared by every run that uses the pool: at most `size` jobs at once. */
export class RunnerPool {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {}

  async use<T>(body: () => Promise<T>): Promise<T> {
    if (this.busy >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.busy++;
    try {
      return await body();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.busy--;
    }
  }
}

export interface WorkflowRunOptions {
  repository: Repository;
  /** File name under .github/workflows/, e.g. `pr.yml`. */
  workflow: string;
  eventName: string;
  /** The webhook payload (`github.event`). */
  event: Record<string, Json>;
  /** The commit the run checks out (`github.sha`). */
  sha: string;
  /** Default: refs/heads/<default branch>; a pull request's is refs/pull/<n>/merge. */
  ref?: string;
  secrets?: Record<string, string>;
  vars?: Record<string, string>;
  runnerEnv?: Record<string, string>;
  /** A pull request from a fork: no secrets, a read-only token. */
  fork?: boolean;
  faults?: Fault[];
  /** Steps left out (recorded as skipped), as `only` leaves out jobs. */
  skips?: Skip[];
  /** Run only these jobs (as `act -j`); the others are skipped. */
  only?: string[];
  actor?: string;
  pool: RunnerPool;
  workRoot: string;
  keepWorkspaces?: boolean;
  progress?: (line: string) => void;
}

export interface WorkflowRun {
  id: number;
  workflow: WorkflowSpec;
  eventName: string;
  conclusion: 'success' | 'failure' | 'cancelled';
  /** Every job, matrix cells one by one, in the order they finished. */
  jobs: JobResult[];
  /** A job's combined result as `needs.<id>.result` sees it. */
  results: Record<string, Result>;
  /** The workflow's `concurrency`, evaluated. */
  concurrency?: Json;
  record: FakeRun;
}

function branchMatches(filters: string[] | undefined, branch: string): boolean {
  if (!filters) return true;
  return filters.some((f) =>
    new RegExp(
      `^${f
        .replace(/[.+^$()|\\]/g, '\\$&')
        .replace(/\*\*/g, '\0')
        .replace(/\*/g, '[^/]*')
        .replace(/\0/g, '.*')}$`,
    ).test(branch),
  );
}

/** Whether `eventName` with this payload triggers the workflow, and its `inputs` context. */
function triggered(workflow: WorkflowSpec, eventName: string, event: Record<string, Json>, ref: string): Record<string, Json> {
  const on = workflow.events;
  const config = on[eventName] as Record<string, unknown> | undefined;
  if (!(eventName in on)) throw new WorkflowError(`${workflow.file} does not run on ${eventName} (on: ${Object.keys(on).join(', ')})`);
  const refuse = (why: string) => {
    throw new WorkflowError(`${workflow.file} does not run on this ${eventName}: ${why}`);
  };
  if (eventName === 'push' && !branchMatches(config?.branches as string[] | undefined, ref.replace(/^refs\/heads\//, '')))
    refuse(`branch ${ref} is filtered out`);
  if (eventName === 'pull_request') {
    const types = (config?.types as string[] | undefined) ?? ['opened', 'synchronize', 'reopened'];
    if (!types.includes(jsonText(event.action))) refuse(`action ${jsonText(event.action)} is not one of ${types.join(', ')}`);
    const base = (event.pull_request as { base?: { ref?: string } } | undefined)?.base?.ref ?? '';
    if (!branchMatches(config?.branches as string[] | undefined, base)) refuse(`base branch ${base} is filtered out`);
  }
  if (eventName === 'workflow_run') {
    const name = (event.workflow_run as { name?: string } | undefined)?.name;
    const follows = config?.workflows as string[] | undefined;
    if (!follows?.includes(name ?? '')) refuse(`it follows ${jsonText(follows)}, not "${name}"`);
    if (!((config?.types as string[] | undefined) ?? ['completed', 'requested']).includes(jsonText(event.action))) refuse(`action ${jsonText(event.action)}`);
  }
  if (eventName !== 'workflow_dispatch') return {};
  const declared = (config?.inputs ?? {}) as Record<string, { type?: string; required?: boolean; default?: string | boolean | number; options?: string[] }>;
  const given = (event.inputs ?? {}) as Record<string, Json>;
  for (const key of Object.keys(given)) if (!(key in declared)) refuse(`it has no input "${key}" (Unexpected inputs provided)`);
  const inputs: Record<string, Json> = {};
  for (const [key, spec] of Object.entries(declared)) {
    const value = given[key] ?? spec.default ?? '';
    if (spec.required && (value === '' || value === null)) refuse(`input "${key}" is required`);
    if (spec.type === 'choice' && !spec.options?.includes(jsonText(value))) refuse(`input "${key}" must be one of ${spec.options?.join(', ')}`);
    inputs[key] = spec.type === 'boolean' ? jsonText(value) === 'true' : typeof value === 'string' ? value : jsonText(value);
  }
  return inputs;
}

export async function runWorkflow(options: WorkflowRunOptions): Promise<WorkflowRun> {
  const { repository } = options;
  const source = (await exec('git', ['-C', repository.origin, 'show', `${options.sha}:.github/workflows/${options.workflow}`])).stdout;
  const workflow = await loadWorkflow(options.workflow, source);
  const ref = options.ref ?? `refs/heads/${repository.defaultBranch}`;
  const inputs = triggered(workflow, options.eventName, options.event, ref);
  const pr = options.event.pull_request as { head?: { ref?: string }; base?: { ref?: string } } | undefined;
  const headBranch = options.eventName === 'pull_request' ? (pr?.head?.ref ?? '') : ref.replace(/^refs\/heads\//, '');
  const record: FakeRun = {
    id: repository.github.newId(),
    name: workflow.name,
    path: `.github/workflows/${workflow.file}`,
    event: options.eventName,
    head_branch: headBranch,
    head_sha: options.sha,
    status: 'in_progress',
    conclusion: null,
    created: repository.github.now(),
  };
  repository.github.runs.push(record);
  const cancel = new AbortController();
  const run: RunContext = {
    repository,
    workflow,
    runId: record.id,
    runNumber: repository.github.runs.filter((r) => r.path === record.path).length,
    eventName: options.eventName,
    event: options.event,
    sha: options.sha,
    ref,
    headRef: options.eventName === 'pull_request' ? (pr?.head?.ref ?? '') : '',
    baseRef: options.eventName === 'pull_request' ? (pr?.base?.ref ?? '') : '',
    actor: options.actor ?? 'octocat',
    inputs,
    // GitHub passes no secrets but GITHUB_TOKEN to a fork's pull request.
    secrets: options.fork ? {} : (options.secrets ?? {}),
    vars: options.vars ?? {},
    runnerEnv: options.runnerEnv ?? {},
    readOnlyToken: options.fork ?? false,
    faults: options.faults ?? [],
    skips: options.skips ?? [],
    workRoot: options.workRoot,
    signal: cancel.signal,
    keepWorkspaces: options.keepWorkspaces ?? false,
    progress: options.progress ?? (() => {}),
  };
  const github: Json = {
    event_name: run.eventName,
    event: run.event,
    ref,
    ref_name: refName(ref),
    sha: run.sha,
    repository: repository.fullName,
    repository_owner: repository.github.owner,
    run_id: String(run.runId),
    workflow: workflow.name,
    head_ref: run.headRef,
    base_ref: run.baseRef,
    actor: run.actor,
    server_url: 'https://github.com',
  };
  const concurrency = workflow.concurrency
    ? evaluateToken(workflow.concurrency, { contexts: { github, inputs, vars: run.vars } }, `${workflow.file} concurrency`)
    : undefined;

  const finished: JobResult[] = [];
  const results: Record<string, Result> = {};
  const outputs: Record<string, Record<string, string>> = {};
  const byId = new Map(workflow.jobs.map((j) => [j.id, j]));
  const ancestors = (job: JobSpec): string[] => [...new Set(job.needs.flatMap((n) => [n, ...ancestors(byId.get(n)!)]))];
  const started = new Map<string, Promise<void>>();

  const runJob = (job: JobSpec): Promise<void> => {
    if (!started.has(job.id)) started.set(job.id, start(job));
    return started.get(job.id)!;
  };
  const start = async (job: JobSpec): Promise<void> => {
    await Promise.all(job.needs.map((n) => runJob(byId.get(n)!)));
    const needs = Object.fromEntries(job.needs.map((n) => [n, { result: results[n]!, outputs: outputs[n] ?? {} }]));
    const upstream = ancestors(job).map((a) => results[a]);
    const status = (): Status =>
      cancel.signal.aborted ? 'cancelled' : upstream.some((r) => r === 'failure') ? 'failure' : upstream.every((r) => r === 'success') ? 'success' : 'skipped';
    const contexts: Contexts = { github, needs, vars: run.vars, inputs };
    const selected = !options.only || options.only.includes(job.id);
    if (!selected || !evaluateCondition(job.if, { contexts, status }, `${workflow.file} job ${job.id} if`)) {
      results[job.id] = 'skipped';
      run.progress(`– ${job.id} (skipped${selected ? '' : ': not selected'})`);
      return;
    }
    const strategy = expandStrategy(
      job.strategy ? evaluateToken(job.strategy, { contexts }, `${workflow.file} job ${job.id} strategy`) : null,
      `${workflow.file} job ${job.id}`,
    );
    const cells = strategy?.cells ?? [undefined];
    const controllers = cells.map(() => new AbortController());
    cancel.signal.addEventListener('abort', () => controllers.forEach((c) => c.abort()));
    const cellResults: Result[] = [];
    const limit = new RunnerPool(strategy?.maxParallel ?? cells.length);
    await Promise.all(
      cells.map((cell, index) =>
        limit.use(() =>
          options.pool.use(async () => {
            if (controllers[index]!.signal.aborted) {
              cellResults[index] = 'cancelled';
              finished.push({
                id: job.id,
                name: job.id,
                matrix: cell,
                result: 'cancelled',
                outputs: {},
                steps: [],
                annotations: [],
                summary: '',
                permissions: {},
              });
              return;
            }
            const matrixContexts = { ...contexts, matrix: cell ?? {}, strategy: strategyContext(strategy, index, cells.length) };
            const name = job.name
              ? evaluateText(job.name, { contexts: matrixContexts }, `${workflow.file} job ${job.id} name`)
              : cell && Object.keys(cell).length > 0
                ? `${job.id} (${Object.values(cell)
                    .map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v)))
                    .join(', ')})`
                : job.id;
            const result = await new JobRunner(
              run,
              { job, matrix: cell, strategy: strategyContext(strategy, index, cells.length), needs, signal: controllers[index]!.signal },
              name,
            ).execute();
            const continueOnError = job.continueOnError
              ? evaluateToken(job.continueOnError, { contexts: matrixContexts }, `${workflow.file} job ${job.id} continue-on-error`) === true
              : false;
            cellResults[index] = result.result;
            finished.push(result);
            outputs[job.id] = { ...outputs[job.id], ...Object.fromEntries(Object.entries(result.outputs).filter(([, v]) => v !== '')) };
            if (result.result === 'failure' && !continueOnError && strategy?.failFast) {
              controllers.forEach((c, i) => i !== index && c.abort());
            }
          }),
        ),
      ),
    );
    results[job.id] = cellResults.includes('failure')
      ? 'failure'
      : cellResults.includes('cancelled')
        ? 'cancelled'
        : cellResults.every((r) => r === 'skipped')
          ? 'skipped'
          : 'success';
  };

  try {
    await Promise.all(workflow.jobs.map((job) => runJob(job)));
  } finally {
    cancel.abort();
  }
  const all = Object.values(results);
  const conclusion = all.includes('failure') ? 'failure' : all.includes('cancelled') ? 'cancelled' : 'success';
  record.status = 'completed';
  record.conclusion = conclusion;
  return { id: record.id, workflow, eventName: options.eventName, conclusion, jobs: finished, results, concurrency, record };
}

function strategyContext(strategy: ReturnType<typeof expandStrategy>, index: number, total: number): Record<string, Json> {
  return { 'fail-fast': strategy?.failFast ?? true, 'job-index': index, 'job-total': total, 'max-parallel': strategy?.maxParallel ?? total };
}

/** The jobs of a run with this id (matrix cells: every cell), for assertions. */
export function jobsNamed(run: WorkflowRun, id: string): JobResult[] {
  return run.jobs.filter((j) => j.id === id);
}
