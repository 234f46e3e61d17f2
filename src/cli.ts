#!/usr/bin/env node
import { Command } from 'commander';
import { registerCifarCommands } from './cli/cifar.js';
import { registerDataCommands } from './cli/data.js';
import { registerModelCommands } from './cli/model.js';
import { registerReportCommands } from './cli/report.js';
import { registerPipelineCommands } from './cli/pipeline.js';
import { isUserError, messageOf } from './util/errors.js';

/** The `cifar10` command: a thin shell; every command parses flags and calls one core function. */
export function buildProgram(): Command {
  const program = new Command('cifar10')
    .description('Reproducible CIFAR-10 experiments: data, DVC versioning, training, evaluation, reports')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: false });
  registerCifarCommands(program);
  registerDataCommands(program);
  registerModelCommands(program);
  registerReportCommands(program);
  registerPipelineCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (isUserError(error)) {
      process.stderr.write(`error: ${error.message}\n`);
    } else {
      process.stderr.write(`error: ${error instanceof Error && error.stack ? error.stack : messageOf(error)}\n`);
    }
    process.exitCode = 1;
  }
}

await main(process.argv);
