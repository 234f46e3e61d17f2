/**
 * Commands named in error messages, as structured hints. A library knows the fix for its errors
 * (`pull` the data, `add` a path) but not which program the user runs it from; a shell knows its
 * own spelling (`cifar10 data pull`, `dvc pull`). So a message holds its commands as `CommandHint`
 * parts, and the text is rendered by the shell of the process: the CLI and the actions install
 * theirs with `useShell` at start-up, before anything can fail. Without a shell, commands are
 * spelled as the real DVC spells them, which is true for the DVC verbs a library names.
 */

/** A command by what it does: `verb` is DVC's name for it (`pull`, `remote add`), `args` its arguments. */
export interface CommandHint {
  readonly verb: string;
  readonly args: readonly string[];
}

/** A piece of a message: text, or a command the shell spells. */
export type MessagePart = string | CommandHint;

/** The program that prints messages: how it names itself and spells a command. */
export interface Shell {
  /** The program's name for lock files and logs (`cifar10`); undefined for a plain script. */
  readonly name?: string;
  /** The command line for a hint, without quotes (`cifar10 data pull`). */
  command(hint: CommandHint): string;
}

/** Spells commands as the real DVC does (`dvc pull`), for processes that installed no shell. */
export const DVC_SHELL: Shell = { command: (hint) => ['dvc', hint.verb, ...hint.args].join(' ') };

let shell: Shell = DVC_SHELL;

/** Makes `next` the shell that renders every message of this process from now on. */
export function useShell(next: Shell): void {
  shell = next;
}

export function currentShell(): Shell {
  return shell;
}

/** A hint for the command `verb` with `args`. */
export function command(verb: string, ...args: string[]): CommandHint {
  return { verb, args };
}

export function isCommandHint(value: unknown): value is CommandHint {
  return typeof value === 'object' && value !== null && typeof (value as CommandHint).verb === 'string' && Array.isArray((value as CommandHint).args);
}

/** Parts of an error that carries them (a `UserError` made from parts), else undefined. */
function partsOf(value: unknown): readonly MessagePart[] | undefined {
  const parts = (value as { parts?: unknown } | undefined)?.parts;
  return Array.isArray(parts) ? (parts as MessagePart[]) : undefined;
}

type Interpolated = string | number | CommandHint | Error | readonly MessagePart[];

/**
 * The parts of a template: ``hinted`run ${command('pull')} first` ``. A command is written in
 * backticks, as every message here quotes commands; an error's own parts are taken over, so a
 * message that wraps another keeps its commands structured.
 */
export function hinted(strings: TemplateStringsArray, ...values: Interpolated[]): MessagePart[] {
  const parts: MessagePart[] = [];
  const text = (piece: string) => {
    if (piece === '') return;
    const last = parts.at(-1);
    if (typeof last === 'string') parts[parts.length - 1] = last + piece;
    else parts.push(piece);
  };
  const add = (part: MessagePart) => {
    if (typeof part === 'string') text(part);
    else parts.push(part);
  };
  strings.forEach((piece, i) => {
    text(piece);
    if (i >= values.length) return;
    const value = values[i]!;
    if (isCommandHint(value)) {
      text('`');
      parts.push(value);
      text('`');
    } else if (typeof value === 'string' || typeof value === 'number') {
      text(String(value));
    } else {
      for (const part of value instanceof Error ? (partsOf(value) ?? [value.message]) : value) add(part);
    }
  });
  return parts;
}

/** The text of `parts` in `by`'s spelling (default: the process's shell). */
export function renderMessage(parts: readonly MessagePart[], by: Shell = shell): string {
  return parts.map((part) => (typeof part === 'string' ? part : by.command(part))).join('');
}

/** The commands a message names, in order. */
export function hintsOf(error: unknown): CommandHint[] {
  return (partsOf(error) ?? []).filter(isCommandHint);
}
