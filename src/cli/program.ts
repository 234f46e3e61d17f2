import { Command } from 'commander';
import { VERBOSE_ENV } from '../util/error-text.js';
import { registerCifarCommands } from './cifar.js';
import { registerDataCommands } from './data.js';
import { registerExperimentCommands } from './experiments.js';
import { registerHistoryCommands } from './history.js';
import { registerPipelineCommands } from './pipeline.js';
import { registerReportCommands } from './report.js';
import { registerStageCommands } from './stages.js';
import { registerStartCommand } from './start.js';

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
