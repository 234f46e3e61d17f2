import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/**
 * Runs one of our actions the way the GitHub runner does, for the tests of one action at a time
 * (the workflow executor in test/workflow/ runs whole workflows):
 * `node <runs.main>` with every input as an `INPUT_<NAME>` variable (defaults from action.yml
 * filled in, `${{ github.token }}` replaced by the given token), and GITHUB_OUTPUT,
 * GITHUB_STEP_SUMMARY and GITHUB_EVENT_PATH files.
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

export async function runActionProcess(name: string, options: ActionRunOptions): Promise<ActionRun> {
  const actionDir = join(PROJECT_ROOT, 'actions', name);
  const spec = parse(await readFile(join(actionDir, 'action.yml'), 'utf8')) as {
    inputs?: Record<string, { default?: string }>;
    runs: { main: string };
  };
  const dir = await mkdtemp(join(tmpdir(), `action-${name}-`));
  try {
    const files = { output: join(dir, 'output'), summary: join(dir, 'summary.md'), event: join(dir, 'event.json') };
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
    const child = spawn(process.execPath, [resolve(actionDir, spec.runs.main)], { cwd: options.cwd ?? PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
    const outputText = await readFile(files.output, 'utf8');
    const summary = await readFile(files.summary, 'utf8');
    return { code, stdout, stderr, outputs: parseOutputFile(outputText), summary, everything: [stdout, stderr, outputText, summary].join('\n') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
