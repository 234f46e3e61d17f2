import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@actions/core';
import { parse } from 'yaml';

/**
 * Runs one of our actions the way the GitHub runner does, for the tests of one action at a time
 * (the workflow executor in test/workflow/ runs whole workflows): every input as an
 * `INPUT_<NAME>` variable (defaults from action.yml filled in, `${{ github.token }}` replaced by
 * the given token), and GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and GITHUB_EVENT_PATH files; then either
 * `node <runs.main>` as a child process (`runActionProcess`) or the action's exported `run()` in
 * this process (`runActionInProcess`).
 */

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** Everything the action wrote anywhere visible: stdout, stderr, outputs file, summary. */
  everything: string;
}

export interface ActionRunOptions {
  inputs?: Record<string, string>;
  eventName: string;
  event: unknown;
  /** The workflow token, for `${{ github.token }}` defaults. */
  token?: string;
  cwd?: string;
  env?: Record<string, string>;
  /** Streams the action's log lines as they come. */
  onLine?: (line: string) => void;
}

/** The repository holding `actions/` and `dist/`, found from this compiled file (dist/test/actions/). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `name<<delimiter\nvalue\ndelimiter` blocks, as @actions/core writes them. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (!head) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== head[2]; i++) value.push(lines[i]!);
    outputs[head[1]!] = value.join('\n');
  }
  return outputs;
}

interface ActionSetup {
  spec: { inputs?: Record<string, { default?: string }>; runs: { main: string } };
  actionDir: string;
  env: Record<string, string>;
  files: { output: string; summary: string; event: string };
}

/** The runner's environment for one run of action `name`, its files in `dir`. */
async function setUpAction(name: string, options: ActionRunOptions, dir: string, summaryFile = join(dir, 'summary.md')): Promise<ActionSetup> {
  const actionDir = join(PROJECT_ROOT, 'actions', name);
  const spec = parse(await readFile(join(actionDir, 'action.yml'), 'utf8')) as ActionSetup['spec'];
  const files = { output: join(dir, 'output'), summary: summaryFile, event: join(dir, 'event.json') };
  await writeFile(files.output, '');
  await writeFile(files.summary, '');
  await writeFile(files.event, JSON.stringify(options.event));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: options.eventName,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_REPOSITORY: 'octo/cifar',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '4242',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    RUNNER_TEMP: dir,
    ...options.env,
  };
  for (const [input, declared] of Object.entries(spec.inputs ?? {})) {
    let value = options.inputs?.[input] ?? declared.default ?? '';
    if (value === '${{ github.token }}') value = options.token ?? '';
    env[`INPUT_${input.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  for (const input of Object.keys(options.inputs ?? {})) {
    if (!(input in (spec.inputs ?? {}))) throw new Error(`actions/${name} declares no input "${input}"`);
  }
  return { spec, actionDir, env, files };
}

async function finished(setup: ActionSetup, code: number | null, stdout: string, stderr: string): Promise<ActionRun> {
  const outputText = await readFile(setup.files.output, 'utf8');
  const summary = await readFile(setup.files.summary, 'utf8');
  return { code, stdout, stderr, outputs: parseOutputFile(outputText), summary, everything: [stdout, stderr, outputText, summary].join('\n') };
}

export async function runActionProcess(name: string, options: ActionRunOptions): Promise<ActionRun> {
  const dir = await mkdtemp(join(tmpdir(), `action-${name}-`));
  try {
    const setup = await setUpAction(name, options, dir);
    const child = spawn(process.execPath, [resolve(setup.actionDir, setup.spec.runs.main)], {
      cwd: options.cwd ?? PROJECT_ROOT,
      env: setup.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const forward = (chunk: Buffer) => {
      if (options.onLine) for (const line of chunk.toString().split('\n')) if (line) options.onLine(line);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      forward(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      forward(chunk);
    });
    const code = await new Promise<number | null>((resolvePromise) => child.on('close', resolvePromise));
    return await finished(setup, code, stdout, stderr);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * @actions/core keeps the first GITHUB_STEP_SUMMARY path it sees for the life of the process, so
 * every in-process run of this process writes its summary to this one file, emptied before each run.
 */
let inProcessSummary: string | undefined;
function inProcessSummaryFile(): string {
  if (!inProcessSummary) {
    const dir = mkdtempSync(join(tmpdir(), 'action-summary-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    inProcessSummary = join(dir, 'summary.md');
  }
  return inProcessSummary;
}

/**
 * Runs an action's exported `run()` in this process, with the runner's environment as
 * `runActionProcess` sets it up: process.env, the working folder, stdout and stderr (where
 * @actions/core writes its log and workflow commands) and process.exitCode (where `setFailed`
 * leaves the step's failure) are the action's for the run and restored after it. One run at a time.
 */
export async function runActionInProcess(name: string, run: () => Promise<void>, options: ActionRunOptions): Promise<ActionRun> {
  const dir = await mkdtemp(join(tmpdir(), `action-${name}-`));
  const saved = { env: { ...process.env }, cwd: process.cwd(), exitCode: process.exitCode };
  // Each stream's own `write`, if it has one (usually it inherits its prototype's): put back as found.
  const writes = [process.stdout, process.stderr].map((stream) => ({ stream, own: Object.getOwnPropertyDescriptor(stream, 'write') }));
  try {
    const setup = await setUpAction(name, options, dir, inProcessSummaryFile());
    core.summary.emptyBuffer();
    let stdout = '';
    let stderr = '';
    const capture = (append: (text: string) => void) =>
      ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
        append(text);
        if (options.onLine) for (const line of text.split('\n')) if (line) options.onLine(line);
        const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      }) as typeof process.stdout.write;
    for (const key of Object.keys(process.env)) if (key.startsWith('INPUT_') || key.startsWith('GITHUB_') || key.startsWith('RUNNER_')) delete process.env[key];
    Object.assign(process.env, setup.env);
    process.chdir(options.cwd ?? PROJECT_ROOT);
    process.exitCode = undefined;
    process.stdout.write = capture((text) => (stdout += text));
    process.stderr.write = capture((text) => (stderr += text));
    try {
      await run();
    } finally {
      for (const { stream, own } of writes) {
        if (own) Object.defineProperty(stream, 'write', own);
        else delete (stream as { write?: unknown }).write;
      }
    }
    const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
    return await finished(setup, code, stdout, stderr);
  } finally {
    process.exitCode = saved.exitCode;
    process.chdir(saved.cwd);
    for (const key of Object.keys(process.env)) if (!(key in saved.env)) delete process.env[key];
    Object.assign(process.env, saved.env);
    await rm(dir, { recursive: true, force: true });
  }
}
