import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/index';
import type { Permission } from '../github/fake-github.js';
import {
  evaluateCondition,
  evaluateExpression,
  evaluateText,
  evaluateToken,
  jsonText,
  toText,
  truthy,
  WorkflowError,
  type Contexts,
  type ExpressionHost,
  type Json,
  type Status,
} from './expressions.js';
import { loadAction, type ActionSpec, type JobSpec, type StepSpec, type WorkflowSpec } from './model.js';
import type { Repository } from './repository.js';
import { parseKeyValueFile, readCommand, type Annotation } from './runner-files.js';
import { resolveStandIn, type StandInContext } from './standins/index.js';

/**
 * One job (one matrix cell) as a GitHub-hosted runner runs it: a fresh runner folder with an empty
 * workspace, a `GITHUB_TOKEN` scoped by the job's `permissions` (read-only for a fork's pull
 * request), the step loop with `if:` and the status functions, `continue-on-error`,
 * `timeout-minutes`, the runner's files (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH,
 * GITHUB_STEP_SUMMARY, GITHUB_STATE) and workflow commands, local node and composite actions
 * started as the runner starts them, stand-ins for third-party actions, and their post steps.
 */

export type Result = 'success' | 'failure' | 'cancelled' | 'skipped';

/** The `runner` context's machine: every runner here is a GitHub-hosted Linux x64 one. */
export const RUNNER_PLATFORM = { os: 'Linux', arch: 'X64' };

export interface StepResult {
  name: string;
  id?: string;
  outcome: Result;
  conclusion: Result;
  outputs: Record<string, string>;
  /** Its output, secrets masked. */
  log: string;
}

export interface JobResult {
  id: string;
  name: string;
  matrix?: Record<string, Json>;
  result: Result;
  outputs: Record<string, string>;
  steps: StepResult[];
  annotations: Annotation[];
  summary: string;
  /** The job's `concurrency`, evaluated, when it has one. */
  concurrency?: Json;
  /** The scopes its token had. */
  permissions: Record<string, Permission>;
  /** Its `environment`, evaluated (the url after its steps, as GitHub does). */
  environment?: { name: string; url?: string };
}

/** A step of a job, in every matrix cell that has the given values. */
export interface StepSelector {
  job: string;
  /** Matrix values the cell must have (all of them). */
  cell?: Record<string, Json>;
  /** A step id, `uses` prefix (`actions/checkout`) or name. */
  step: string;
}

/** A test's stand-in for a runner that dies: the named step fails without running. */
export type Fault = StepSelector;

/** A step a test leaves out because its work is done and checked elsewhere: recorded as skipped, with the reason in its log. */
export interface Skip extends StepSelector {
  because: string;
}

export interface RunContext {
  repository: Repository;
  workflow: WorkflowSpec;
  runId: number;
  runNumber: number;
  eventName: string;
  event: Json;
  sha: string;
  ref: string;
  headRef: string;
  baseRef: string;
  actor: string;
  /** The `inputs` context (workflow_dispatch). */
  inputs: Record<string, Json>;
  secrets: Record<string, string>;
  vars: Record<string, string>;
  /** Variables the runner machine itself has (a self-hosted runner's `.env`), for every step. */
  runnerEnv: Record<string, string>;
  /** A fork's pull request: every token permission is read at most. */
  readOnlyToken: boolean;
  faults: Fault[];
  skips: Skip[];
  workRoot: string;
  signal: AbortSignal;
  keepWorkspaces: boolean;
  progress: (line: string) => void;
}

export interface JobInput {
  job: JobSpec;
  matrix?: Record<string, Json>;
  strategy: Record<string, Json>;
  needs: Record<string, { result: Result; outputs: Record<string, string> }>;
  signal: AbortSignal;
}

const SCOPES = [
  'actions',
  'attestations',
  'checks',
  'contents',
  'deployments',
  'discussions',
  'id-token',
  'issues',
  'metadata',
  'models',
  'packages',
  'pages',
  'pull-requests',
  'repository-projects',
  'security-events',
  'statuses',
];

/** A job's `permissions` (else the workflow's) → the token's scopes; GitHub's restricted default when neither says. */
export function tokenPermissions(value: Json | undefined, readOnly: boolean): Record<string, Permission> {
  let scopes: Record<string, Permission>;
  if (value === undefined) scopes = { contents: 'read', metadata: 'read', packages: 'read' };
  else if (value === 'read-all' || value === 'write-all') scopes = Object.fromEntries(SCOPES.map((s) => [s, value === 'read-all' ? 'read' : 'write']));
  else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    scopes = {};
    for (const [scope, level] of Object.entries(value)) {
      if (!SCOPES.includes(scope) || !['read', 'write', 'none'].includes(jsonText(level)))
        throw new WorkflowError(`permissions: "${scope}: ${jsonText(level)}" is not a scope and level GitHub knows`);
      scopes[scope] = level as Permission;
    }
    scopes.metadata ??= 'read';
  } else throw new WorkflowError(`permissions: ${JSON.stringify(value)} is not read-all, write-all or a mapping`);
  if (readOnly) for (const scope of Object.keys(scopes)) if (scopes[scope] === 'write') scopes[scope] = 'read';
  return scopes;
}

interface Scope {
  status: Status;
  steps: Record<string, { outputs: Record<string, string>; outcome: Result; conclusion: Result }>;
  /** The env the steps of this scope start from (a composite action's: its calling step's). */
  env: Record<string, string>;
  inputs?: Record<string, string>;
  actionPath?: string;
  where: string;
}

export class JobRunner {
  private readonly token = `ghs_${randomBytes(18).toString('hex')}`;
  private readonly root: string;
  private readonly workspace: string;
  private readonly temp: string;
  private readonly masks: string[];
  private readonly posts: { label: string; body: (log: (line: string) => void) => Promise<void>; condition: 'success' | 'always' }[] = [];
  private readonly annotations: Annotation[] = [];
  private readonly results: StepResult[] = [];
  private summary = '';
  private envFromFiles: Record<string, string> = {};
  private pathFromFiles: string[] = [];
  private permissions: Record<string, Permission> = {};
  private environment: string | undefined;
  private jobEnv: Record<string, string> = {};
  private readonly name: string;

  constructor(
    private readonly run: RunContext,
    private readonly input: JobInput,
    name: string,
  ) {
    this.name = name;
    const repoName = run.repository.github.repo;
    this.root = join(run.workRoot, `${run.runId}-${input.job.id}-${randomBytes(3).toString('hex')}`);
    this.workspace = join(this.root, 'work', repoName, repoName);
    this.temp = join(this.root, 'temp');
    this.masks = [this.token, ...Object.values(run.secrets).filter(Boolean)];
  }

  private selects(selector: StepSelector, step: StepSpec, label: string): boolean {
    const cell = this.input.matrix;
    const inCell = !selector.cell || Object.entries(selector.cell).every(([key, value]) => cell?.[key] === value);
    return (
      selector.job === this.input.job.id && inCell && (selector.step === step.id || !!step.uses?.value.startsWith(selector.step) || selector.step === label)
    );
  }

  private mask(text: string): string {
    return this.masks.reduce((t, secret) => (secret.length >= 4 ? t.split(secret).join('***') : t), text);
  }

  private githubContext(scope: Scope): Json {
    const { run } = this;
    const [owner] = run.repository.fullName.split('/');
    return {
      token: this.token,
      job: this.input.job.id,
      ref: run.ref,
      ref_name: refName(run.ref),
      ref_type: run.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
      sha: run.sha,
      head_ref: run.headRef,
      base_ref: run.baseRef,
      repository: run.repository.fullName,
      repository_owner: owner!,
      event_name: run.eventName,
      event: run.event,
      run_id: String(run.runId),
      run_number: String(run.runNumber),
      run_attempt: '1',
      retention_days: '90',
      workflow: run.workflow.name,
      workflow_ref: `${run.repository.fullName}/.github/workflows/${run.workflow.file}@${run.ref}`,
      server_url: 'https://github.com',
      api_url: run.repository.github.url,
      graphql_url: `${run.repository.github.url}/graphql`,
      actor: run.actor,
      triggering_actor: run.actor,
      workspace: this.workspace,
      action_path: scope.actionPath ?? '',
    };
  }

  private contexts(scope: Scope, env: Record<string, string>): Contexts {
    const base: Contexts = {
      github: this.githubContext(scope),
      env,
      job: { status: scope.status, container: {}, services: {} },
      runner: { ...this.runnerContext(), debug: '' },
      steps: scope.steps,
      strategy: this.input.strategy,
      matrix: this.input.matrix ?? {},
    };
    if (scope.inputs) return { ...base, inputs: scope.inputs };
    return { ...base, inputs: this.run.inputs, needs: this.input.needs, secrets: { GITHUB_TOKEN: this.token, ...this.run.secrets }, vars: this.run.vars };
  }

  private host(scope: Scope, env: Record<string, string>): ExpressionHost {
    return { contexts: this.contexts(scope, env), status: () => scope.status, workspace: this.workspace };
  }

  private runnerContext(): Record<string, string> {
    return { ...RUNNER_PLATFORM, name: basename(this.root), temp: this.temp, tool_cache: join(this.root, 'tool'), environment: 'github-hosted' };
  }

  /**
   * The process environment of a step: the runner's, GITHUB_* and RUNNER_* (the github and runner
   * contexts' values, as on GitHub), the job's env context, the step's env, the runner files.
   */
  private processEnv(env: Record<string, string>, files: Record<string, string>, scope: Scope, action?: string): Record<string, string> {
    const github = this.githubContext(scope) as Record<string, string>;
    const path = [...this.pathFromFiles, join(this.root, 'bin'), process.env.PATH ?? '/usr/bin:/bin'].join(':');
    return {
      PATH: path,
      HOME: process.env.HOME ?? this.root,
      LANG: 'C.UTF-8',
      ...this.run.runnerEnv,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      ...Object.fromEntries(GITHUB_ENV.map((key) => [`GITHUB_${key.toUpperCase()}`, github[key]!])),
      GITHUB_EVENT_PATH: join(this.temp, '_github_workflow', 'event.json'),
      ...Object.fromEntries(Object.entries(this.runnerContext()).map(([key, value]) => [`RUNNER_${key.toUpperCase()}`, value])),
      ...(action ? { GITHUB_ACTION: action } : {}),
      ...(scope.actionPath ? { GITHUB_ACTION_PATH: scope.actionPath } : {}),
      ...env,
      ...files,
    };
  }

  async execute(): Promise<JobResult> {
    const { job } = this.input;
    const { run } = this;
    const scope: Scope = { status: 'success', steps: {}, env: {}, where: `${run.workflow.file} job ${job.id}` };
    const base = this.contexts(scope, {});
    const staticHost: ExpressionHost = { contexts: base };
    this.permissions = tokenPermissions(
      job.permissions
        ? evaluateToken(job.permissions, staticHost, `${scope.where} permissions`)
        : run.workflow.permissions
          ? evaluateToken(run.workflow.permissions, staticHost, `${run.workflow.file} permissions`)
          : undefined,
      run.readOnlyToken,
    );
    run.repository.github.addToken(this.token, { login: 'github-actions[bot]', viewerLogin: 'github-actions', type: 'Bot', permissions: this.permissions });
    const environmentOf = (value: Json) =>
      typeof value === 'string'
        ? { name: value }
        : {
            name: toText((value as Record<string, Json>).name ?? '', `${scope.where} environment.name`),
            url: (value as Record<string, Json>).url as string | undefined,
          };
    this.environment = job.environment ? environmentOf(evaluateToken(job.environment, staticHost, `${scope.where} environment`)).name : undefined;
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    this.input.signal.addEventListener('abort', onAbort);
    let timedOut = false;
    const minutes = job.timeoutMinutes ? Number(evaluateToken(job.timeoutMinutes, staticHost, `${scope.where} timeout-minutes`)) : 360;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, minutes * 60_000);
    try {
      await mkdir(this.workspace, { recursive: true });
      await mkdir(join(this.temp, '_github_workflow'), { recursive: true });
      // GitHub's runners have the gh CLI; here it would reach the real GitHub, so it fails loudly instead.
      await mkdir(join(this.root, 'bin'), { recursive: true });
      await writeFile(
        join(this.root, 'bin', 'gh'),
        '#!/bin/sh\necho "gh is not available in the workflow executor (it would call the real GitHub); use an action with Octokit against GITHUB_API_URL, as find-baseline does" >&2\nexit 127\n',
        { mode: 0o755 },
      );
      await writeFile(join(this.temp, '_github_workflow', 'event.json'), JSON.stringify(run.event, null, 2));
      const workflowEnv = run.workflow.env ? (evaluateToken(run.workflow.env, staticHost, `${run.workflow.file} env`) as Record<string, Json>) : {};
      const jobEnv = job.env
        ? (evaluateToken(job.env, { contexts: { ...base, env: stringMap(workflowEnv) } }, `${scope.where} env`) as Record<string, Json>)
        : {};
      this.jobEnv = { ...stringMap(workflowEnv), ...stringMap(jobEnv) };
      scope.env = this.jobEnv;
      run.progress(`▶ ${this.name}`);
      await this.runSteps(job.steps, scope, controller.signal);
      if (controller.signal.aborted) scope.status = 'cancelled';
      for (const post of this.posts.reverse()) {
        if (post.condition === 'success' && scope.status !== 'success') continue;
        const posted = await this.record(`Post ${post.label}`, undefined, async (log) => {
          await post.body(log);
          return { outputs: {} };
        });
        if (posted.result === 'failure') scope.status = 'failure';
      }
      const outputs: Record<string, string> = {};
      if (job.outputs) {
        const values = evaluateToken(job.outputs, this.host(scope, this.envContext(scope.env)), `${scope.where} outputs`) as Record<string, Json>;
        for (const [key, value] of Object.entries(values)) outputs[key] = toText(value, `${scope.where} outputs.${key}`);
      }
      const result: Result = timedOut ? 'cancelled' : scope.status;
      if (timedOut) this.annotations.push({ level: 'error', message: `The job has exceeded the maximum execution time of ${minutes} minutes.`, step: '' });
      run.progress(`${result === 'success' ? '✔' : '✖'} ${this.name} (${result})`);
      return {
        id: job.id,
        name: this.name,
        matrix: this.input.matrix,
        result,
        outputs,
        steps: this.results,
        annotations: this.annotations,
        summary: this.summary,
        concurrency: job.concurrency ? evaluateToken(job.concurrency, staticHost, `${scope.where} concurrency`) : undefined,
        permissions: this.permissions,
        environment: job.environment
          ? environmentOf(evaluateToken(job.environment, this.host(scope, this.envContext(scope.env)), `${scope.where} environment`))
          : undefined,
      };
    } finally {
      clearTimeout(timer);
      this.input.signal.removeEventListener('abort', onAbort);
      run.repository.github.removeToken(this.token);
      if (!run.keepWorkspaces) await rm(this.root, { recursive: true, force: true });
    }
  }

  /** The env context: the scope's env with what earlier steps wrote to GITHUB_ENV on top. */
  private envContext(env: Record<string, string>): Record<string, string> {
    return { ...env, ...this.envFromFiles };
  }

  private async runSteps(steps: StepSpec[], scope: Scope, signal: AbortSignal): Promise<void> {
    for (const step of steps) {
      if (signal.aborted) scope.status = 'cancelled';
      let env = this.envContext(scope.env);
      const label = step.name
        ? evaluateText(step.name, this.host(scope, env), `${step.where} name`)
        : step.run
          ? `Run ${evaluateText(step.run, this.host(scope, env), `${step.where} run`).split('\n')[0]}`
          : `Run ${step.uses!.value}`;
      const skip = this.run.skips.find((s) => this.selects(s, step, label));
      if (skip || !evaluateCondition(step.if, this.host(scope, env), `${step.where} if`)) {
        this.results.push({
          name: label,
          id: step.id,
          outcome: 'skipped',
          conclusion: 'skipped',
          outputs: {},
          log: skip ? `left out by the test: ${skip.because}` : '',
        });
        if (step.id) scope.steps[step.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
        continue;
      }
      const stepEnv = step.env ? stringMap(evaluateToken(step.env, this.host(scope, env), `${step.where} env`) as Record<string, Json>) : {};
      env = { ...env, ...stepEnv };
      const minutes = step.timeoutMinutes ? Number(evaluateToken(step.timeoutMinutes, this.host(scope, env), `${step.where} timeout-minutes`)) : undefined;
      const timeout = minutes === undefined ? undefined : AbortSignal.timeout(minutes * 60_000);
      const outcome = await this.record(label, step, async (log) => {
        try {
          return await this.executeStep(step, scope, env, log, timeout ? AbortSignal.any([signal, timeout]) : signal);
        } catch (error) {
          // A step past its timeout-minutes is killed and fails; the job goes on.
          if (timeout?.aborted && !signal.aborted) throw new WorkflowError(`The action has timed out after ${minutes} minutes.`);
          throw error;
        }
      });
      const continueOnError = step.continueOnError
        ? truthy(evaluateToken(step.continueOnError, this.host(scope, env), `${step.where} continue-on-error`))
        : false;
      const conclusion: Result = outcome.result === 'failure' && continueOnError ? 'success' : outcome.result;
      this.results[this.results.length - 1]!.conclusion = conclusion;
      if (step.id) scope.steps[step.id] = { outputs: outcome.outputs, outcome: outcome.result, conclusion };
      if (conclusion === 'failure' && scope.status === 'success') scope.status = 'failure';
      if (conclusion === 'cancelled') scope.status = 'cancelled';
    }
  }

  /** Runs one step (or post step) body, recording its result, log and annotations. */
  private async record(
    label: string,
    step: StepSpec | undefined,
    body: (log: (line: string) => void) => Promise<{ outputs: Record<string, string> }>,
  ): Promise<{ result: Result; outputs: Record<string, string> }> {
    const lines: string[] = [];
    const log = (line: string) => lines.push(this.mask(line));
    const entry: StepResult = { name: label, id: step?.id, outcome: 'success', conclusion: 'success', outputs: {}, log: '' };
    this.results.push(entry);
    let result: Result = 'success';
    let outputs: Record<string, string> = {};
    try {
      const fault = step && this.run.faults.find((f) => this.selects(f, step, label));
      if (fault) throw new WorkflowError(`the runner lost this step (a fault the test injected: ${JSON.stringify(fault)})`);
      ({ outputs } = await body(log));
    } catch (error) {
      result = error instanceof Cancelled ? 'cancelled' : 'failure';
      const message = this.mask((error as Error).message);
      log(`##[error]${message}`);
      this.annotations.push({ level: 'error', message, step: label });
    }
    entry.outcome = result;
    entry.conclusion = result;
    entry.outputs = outputs;
    entry.log = lines.join('\n');
    this.run.progress(`  ${result === 'success' ? '✓' : result === 'failure' ? '✗' : '–'} ${label}`);
    return { result, outputs };
  }

  private async executeStep(
    step: StepSpec,
    scope: Scope,
    env: Record<string, string>,
    log: (line: string) => void,
    signal: AbortSignal,
  ): Promise<{ outputs: Record<string, string> }> {
    const host = this.host(scope, env);
    if (step.run) {
      const script = evaluateText(step.run, host, `${step.where} run`);
      const shell = step.shell ? evaluateText(step.shell, host, `${step.where} shell`) : undefined;
      if (scope.inputs && !shell) throw new WorkflowError(`${step.where}: a composite action's run step needs shell:`);
      const cwd = step.workingDirectory
        ? resolve(this.workspace, evaluateText(step.workingDirectory, host, `${step.where} working-directory`))
        : this.workspace;
      const file = join(this.temp, `${randomBytes(8).toString('hex')}.sh`);
      await writeFile(file, script);
      const [command, args] = shellCommand(shell, file, step.where);
      return this.spawnWithFiles(command, args, cwd, env, scope, log, signal, step.id ?? '__run');
    }
    const uses = step.uses!.value;
    if (uses.startsWith('./')) return this.localAction(step, uses, scope, env, log, signal);
    if (uses.startsWith('docker://')) throw new WorkflowError(`${step.where}: docker actions are not implemented by this executor`);
    const standIn = resolveStandIn(uses, step.usesComment, step.where);
    const inputs = this.actionInputs(
      step,
      Object.entries(standIn.inputs).map(([id, value]) => ({ id, text: value })),
      host,
    );
    const outputs: Record<string, string> = {};
    const context: StandInContext = {
      inputs,
      workspace: this.workspace,
      runnerTemp: this.temp,
      env,
      repository: this.run.repository,
      runId: this.run.runId,
      ref: this.run.ref,
      sha: this.run.sha,
      apiUrl: this.run.repository.github.url,
      permissions: this.permissions,
      environment: this.environment,
      log,
      notice: (message) => {
        log(`::notice::${message}`);
        this.annotations.push({ level: 'notice', message: this.mask(message), step: uses });
      },
      warning: (message) => {
        log(`::warning::${message}`);
        this.annotations.push({ level: 'warning', message: this.mask(message), step: uses });
      },
      setOutput: (name, value) => (outputs[name] = value),
      addPost: (label, body, condition = 'success') => this.posts.push({ label, body, condition }),
    };
    await standIn.run(context);
    return { outputs };
  }

  /** `with:` checked against the declared inputs, then the declared defaults (expressions evaluated). */
  private actionInputs(step: StepSpec, declared: { id: string; text?: string; token?: TemplateToken }[], host: ExpressionHost): Record<string, string> {
    const given = step.with ? (evaluateToken(step.with, host, `${step.where} with`) as Record<string, Json>) : {};
    const names = new Set(declared.map((d) => d.id));
    for (const key of Object.keys(given))
      if (!names.has(key)) throw new WorkflowError(`${step.where}: ${step.uses!.value} has no input "${key}" (it declares ${[...names].join(', ')})`);
    const defaultsHost: ExpressionHost = {
      contexts: {
        github: host.contexts.github!,
        env: host.contexts.env!,
        job: host.contexts.job!,
        runner: host.contexts.runner!,
        strategy: host.contexts.strategy!,
        matrix: host.contexts.matrix!,
      },
    };
    const inputs: Record<string, string> = {};
    for (const input of declared) {
      if (input.id in given) inputs[input.id] = toText(given[input.id]!, `${step.where} with.${input.id}`);
      else if (input.token) inputs[input.id] = evaluateText(input.token, defaultsHost, `${step.uses!.value} default of ${input.id}`);
      else if (input.text?.includes('${{'))
        inputs[input.id] = toText(evaluateTemplateString(input.text, defaultsHost, `${step.uses!.value} default of ${input.id}`), input.id);
      else inputs[input.id] = input.text ?? '';
    }
    return inputs;
  }

  private async localAction(
    step: StepSpec,
    uses: string,
    scope: Scope,
    env: Record<string, string>,
    log: (line: string) => void,
    signal: AbortSignal,
  ): Promise<{ outputs: Record<string, string> }> {
    const dir = resolve(this.workspace, uses);
    let source: string | undefined;
    let file = '';
    for (const name of ['action.yml', 'action.yaml']) {
      file = join(dir, name);
      source = await readFile(file, 'utf8').catch(() => undefined);
      if (source !== undefined) break;
    }
    if (source === undefined)
      throw new WorkflowError(
        `Can't find 'action.yml' or 'action.yaml' under '${dir}'. Did you forget to run actions/checkout before running your local action?`,
      );
    const action: ActionSpec = loadAction(`${uses.slice(2)}/${basename(file)}`, source);
    const inputs = this.actionInputs(
      step,
      action.inputs.map((i) => ({ id: i.id, token: i.default })),
      this.host(scope, env),
    );
    if (action.main) {
      const inputEnv = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v]));
      return this.spawnWithFiles(
        process.execPath,
        [resolve(dir, action.main)],
        this.workspace,
        { ...env, ...inputEnv },
        { ...scope, actionPath: dir },
        log,
        signal,
        step.id ?? basename(dir),
      );
    }
    const inner: Scope = { status: scope.status, steps: {}, env, inputs, actionPath: dir, where: `${uses}` };
    const before = this.results.length;
    await this.runSteps(action.steps!, inner, signal);
    // The composite's own steps are logged under it.
    const nested = this.results.splice(before);
    for (const n of nested)
      log(`  ${n.conclusion === 'success' ? '✓' : n.conclusion === 'skipped' ? '–' : '✗'} ${n.name}${n.log ? `\n${n.log.replace(/^/gm, '    ')}` : ''}`);
    const outputs: Record<string, string> = {};
    for (const output of action.outputs) {
      outputs[output.id] = output.value ? evaluateText(output.value, this.host(inner, this.envContext(env)), `${uses} outputs.${output.id}`) : '';
    }
    if (inner.status !== 'success')
      throw inner.status === 'cancelled' ? new Cancelled('cancelled') : new WorkflowError(`${uses}: a step of the composite action failed`);
    return { outputs };
  }

  /** A process with fresh GITHUB_OUTPUT/ENV/PATH/STATE/STEP_SUMMARY files, its workflow commands read from stdout. */
  private async spawnWithFiles(
    command: string,
    args: string[],
    cwd: string,
    env: Record<string, string>,
    scope: Scope,
    log: (line: string) => void,
    signal: AbortSignal,
    action: string,
  ): Promise<{ outputs: Record<string, string> }> {
    const dir = join(this.temp, `_runner_file_commands_${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { recursive: true });
    const files = {
      GITHUB_OUTPUT: join(dir, 'output'),
      GITHUB_ENV: join(dir, 'env'),
      GITHUB_PATH: join(dir, 'path'),
      GITHUB_STATE: join(dir, 'state'),
      GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    };
    for (const path of Object.values(files)) await writeFile(path, '');
    const child = spawn(command, args, { cwd, env: this.processEnv(env, files, scope, action), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
    };
    signal.addEventListener('abort', kill);
    let commandError: Error | undefined;
    const stdout = createInterface({ input: child.stdout });
    stdout.on('line', (line) => {
      try {
        const found = readCommand(line);
        if (found?.mask) this.masks.push(found.mask);
        if (found?.annotation) this.annotations.push({ ...found.annotation, message: this.mask(found.annotation.message), step: action });
      } catch (error) {
        commandError ??= error as Error;
      }
      log(line);
    });
    createInterface({ input: child.stderr }).on('line', log);
    const [code, closedBy] = await new Promise<[number | null, NodeJS.Signals | null]>((done) => child.on('close', (c, s) => done([c, s])));
    signal.removeEventListener('abort', kill);
    if (signal.aborted) throw new Cancelled('the job was cancelled');
    if (commandError) throw commandError;
    const text = (name: keyof typeof files) => readFile(files[name], 'utf8');
    Object.assign(this.envFromFiles, parseKeyValueFile(await text('GITHUB_ENV'), 'GITHUB_ENV'));
    this.pathFromFiles.unshift(...(await text('GITHUB_PATH')).split('\n').filter(Boolean).reverse());
    this.summary += await text('GITHUB_STEP_SUMMARY');
    if (code !== 0) throw new WorkflowError(`Process completed with exit code ${code ?? closedBy}.`);
    return { outputs: parseKeyValueFile(await text('GITHUB_OUTPUT'), 'GITHUB_OUTPUT') };
  }
}

class Cancelled extends Error {}

// The github context's values every step also gets as GITHUB_<KEY> (not the token: GitHub passes it only through expressions).
const GITHUB_ENV = [
  'workspace',
  'repository',
  'repository_owner',
  'event_name',
  'sha',
  'ref',
  'ref_name',
  'head_ref',
  'base_ref',
  'run_id',
  'run_number',
  'run_attempt',
  'job',
  'workflow',
  'workflow_ref',
  'server_url',
  'api_url',
  'graphql_url',
  'actor',
  'retention_days',
];

/** GitHub's short name of a ref: `main` for refs/heads/main, `7/merge` for refs/pull/7/merge. */
export const refName = (ref: string): string => ref.replace(/^refs\/(heads|tags|pull)\//, '');

const stringMap = (values: Record<string, Json>): Record<string, string> => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, toText(v, k)]));

/** The runner's shells: none given is `bash -e {0}`; `bash` adds --noprofile --norc and pipefail; `sh -e {0}`. */
function shellCommand(shell: string | undefined, file: string, where: string): [string, string[]] {
  if (shell === undefined) return ['bash', ['-e', file]];
  if (shell === 'bash') return ['bash', ['--noprofile', '--norc', '-eo', 'pipefail', file]];
  if (shell === 'sh') return ['sh', ['-e', file]];
  throw new WorkflowError(`${where}: shell "${shell}" is not implemented by this executor (bash, sh)`);
}

/** A stand-in's declared default that is one whole `${{ }}` expression. */
function evaluateTemplateString(text: string, host: ExpressionHost, where: string): Json {
  const whole = /^\$\{\{(.*)\}\}$/s.exec(text.trim());
  if (!whole) throw new WorkflowError(`${where}: only a whole \${{ }} default is supported`);
  return evaluateExpression(whole[1]!.trim(), host, where);
}
