#!/usr/bin/env node
/**
 * The stage runner: `node dist/src/stages/run.js <stage> '<options as JSON>'` runs one stage
 * function in a process of its own. The experiment matrix starts its cells' stages through it:
 * separate processes are what lets cells train in parallel (tfjs on wasm runs one thread) and what
 * a stop signal can end. Result lines go to stdout, progress to stderr, as with the CLI;
 * `CIFAR10_VERBOSE=1` in the environment adds stacks to failures.
 */
import type { z } from 'zod';
import { errorText, VERBOSE_ENV } from '../util/error-text.js';
import { UserError } from '../util/errors.js';
import type { StageName } from './args.js';
import type { StageOutput } from './output.js';

interface Stage {
  input: z.ZodType;
  run: (input: never, out: StageOutput) => Promise<unknown>;
}

/** Each stage's code is loaded only when it runs: prepare does not need tfjs. */
const STAGES: Record<StageName, () => Promise<Stage>> = {
  prepare: async () => import('./prepare.js').then((m) => ({ input: m.PrepareInput, run: m.prepareStage })),
  train: async () => import('./train.js').then((m) => ({ input: m.TrainInput, run: m.trainStage })),
  evaluate: async () => import('./evaluate.js').then((m) => ({ input: m.EvaluateInput, run: m.evaluateStage })),
};

async function runStage(args: readonly string[]): Promise<void> {
  const [name = '', json = '{}', ...rest] = args;
  if (!Object.hasOwn(STAGES, name) || rest.length > 0) throw new UserError(`usage: stages/run.js <${Object.keys(STAGES).join('|')}> '<options as JSON>'`);
  const stage = await STAGES[name as StageName]();
  let options: unknown;
  try {
    options = JSON.parse(json);
  } catch (error) {
    throw new UserError(`stage ${name}: the options are not JSON (${(error as Error).message})`, { cause: error });
  }
  const parsed = stage.input.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(`stage ${name}: option ${issue.path.join('.') || '(all)'}: ${issue.message}`);
  }
  await stage.run(parsed.data as never, { say: (line) => process.stdout.write(`${line}\n`), note: (line) => process.stderr.write(`${line}\n`) });
}

try {
  await runStage(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`error: ${errorText(error, { verbose: process.env[VERBOSE_ENV] === '1', moreHint: `set ${VERBOSE_ENV}=1` })}\n`);
  process.exitCode = 1;
}
