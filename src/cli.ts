#!/usr/bin/env node
import { CIFAR10_SHELL } from './cifar10-shell.js';
import { buildProgram } from './cli/program.js';
import { errorText, VERBOSE_ENV } from './util/error-text.js';
import { useShell } from './util/hints.js';

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
