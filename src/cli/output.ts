import { basename, isAbsolute, relative } from 'node:path';
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

/**
 * The command line this process was started with, for "run this again" hints: `cifar10 …` when
 * started through the package's bin, else `node <script> …`; arguments in `drop` are left out.
 * Quoting for a POSIX shell is three lines, so no library for it.
 */
export function commandLine(argv: readonly string[], drop: readonly string[] = []): string {
  const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);
  const script = argv[1] ?? 'cifar10';
  const shown = relative(process.cwd(), script);
  const program = basename(script) === 'cifar10' ? ['cifar10'] : ['node', shown && !shown.startsWith('..') && !isAbsolute(shown) ? shown : script];
  return [...program, ...argv.slice(2).filter((arg) => !drop.includes(arg))].map(quote).join(' ');
}

/** The `--backend` option shared by the stages that run tfjs. */
export function backendOption(description: string): Option {
  return new Option('--backend <name>', description).choices([...BACKEND_CHOICES]);
}
