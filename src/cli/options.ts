import { InvalidArgumentError } from 'commander';
import type { ProgressFactory } from '../dvc/index.js';
import { stopSignal } from '../util/interrupt.js';
import { startProgress } from '../util/progress.js';
import { note } from './output.js';

/** Flag parsers and handles shared by the data, pipeline and experiment commands. */

/** A repeatable option (`-S a=1 -S b=2`). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number ≥ 1`);
    return n;
  };
}

export function share(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('must be a share in (0, 1], e.g. 1.0 or 0.8');
  return n;
}

export const progressFor =
  (quiet?: boolean): ProgressFactory =>
  (label, total) =>
    startProgress(label, total, { unit: 'files', quiet });

/** Stops the command's stage processes on the first Ctrl-C or SIGTERM (see util/interrupt.ts). */
export const interruptSignal = (): AbortSignal =>
  stopSignal((signal) =>
    note(
      `\n${signal === 'SIGINT' ? 'interrupted' : 'stopped by SIGTERM'}: stopping running stages and removing their partial results (send it again to quit now)`,
    ),
  );
