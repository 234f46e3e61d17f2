import { isUserError, messageOf } from './errors.js';

/**
 * What a shell (the CLI, an action) prints for a failure. A `UserError` is its message: what, where,
 * how to fix. Anything else is a bug or a fault nobody translated yet: one line naming it and how
 * to see more, because a stack trace helps nobody who only mistyped something. The stack (and the
 * stacks of its causes) only when asked for: `--verbose`, or debug logging on a runner.
 */
/**
 * Set to `1` by the CLI's `--verbose` for the processes a command starts (stages of a repro or an
 * experiment), so their failures carry stacks too.
 */
export const VERBOSE_ENV = 'CIFAR10_VERBOSE';

export interface ErrorTextOptions {
  verbose: boolean;
  /** How to ask for the stack, e.g. "re-run with --verbose". */
  moreHint: string;
}

export function errorText(error: unknown, options: ErrorTextOptions): string {
  const message = messageOf(error);
  const head = isUserError(error)
    ? message
    : `unexpected ${error instanceof Error ? error.name : typeof error}: ${message} (${options.moreHint} to see where it happened)`;
  return options.verbose ? `${head}\n${stackText(error)}` : head;
}

/** The stack of `error` and of each of its causes, for `--verbose`. */
export function stackText(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; e = e instanceof Error ? e.cause : undefined, depth++) {
    parts.push(`${depth === 0 ? '' : 'caused by: '}${e instanceof Error && e.stack ? e.stack : messageOf(e)}`);
  }
  return parts.join('\n');
}
