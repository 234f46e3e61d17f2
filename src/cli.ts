#!/usr/bin/env node
import { Command } from 'commander';
import { registerCifarCommands } from './cli/cifar.js';
import { registerDataCommands } from './cli/data.js';
import { registerReportCommands } from './cli/report.js';
import { registerStageCommands } from './cli/stages.js';
import { registerExperimentCommands } from './cli/experiments.js';
import { registerHistoryCommands } from './cli/history.js';
import { registerPipelineCommands } from './cli/pipeline.js';
import { registerStartCommand } from './cli/start.js';
import { CIFAR10_SHELL } from './cifar10-shell.js';
import { errorText, VERBOSE_ENV } from './util/error-text.js';
import { useShell } from './util/hints.js';

/** The `cifar10` command: a thin shell; every command parses flags and calls one core function. */
export function buildProgram(): Command {
  const program = new Command('cifar10')
    .description('Reproducible CIFAR-10 experiments: data, DVC versioning, training, evaluation, reports')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: false })
    .option('--verbose', 'on failure, also print the stack trace (for bug reports); stages run by exp/repro inherit it')
    .hook('preAction', () => {
      if (program.opts<{ verbose?: boolean }>().verbose) process.env[VERBOSE_ENV] = '1';
    });
  registerCifarCommands(program);
  registerDataCommands(program);
  registerStageCommands(program);
  registerReportCommands(program);
  registerPipelineCommands(program);
  registerExperimentCommands(program);
  registerHistoryCommands(program);
  registerStartCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  useShell(CIFAR10_SHELL);
  // A reader that stops early (`cifar10 data status | head`) closes the pipe: stop quietly, as git
  // does, instead of dying of an unhandled EPIPE with a stack trace; the status is a SIGPIPE death's
  // (128 + 13), since what was left of the work did not run.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(141);
  });
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    // argv rather than the parsed options: a bad flag can fail the parse before --verbose is read.
    const verbose = argv.slice(2).includes('--verbose') || process.env[VERBOSE_ENV] === '1';
    process.stderr.write(`error: ${errorText(error, { verbose, moreHint: 're-run with --verbose' })}\n`);
    process.exitCode = 1;
  }
}

await main(process.argv);
