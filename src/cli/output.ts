import { Option } from 'commander';
import { BACKEND_CHOICES } from '../model/backend-choices.js';

/** A result line on stdout (what scripts read). */
export const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** A progress or diagnostic line on stderr. */
export const note = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** The `--backend` option shared by the stages that run tfjs. */
export function backendOption(description: string): Option {
  return new Option('--backend <name>', description).choices([...BACKEND_CHOICES]);
}
