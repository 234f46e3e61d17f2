import { WorkflowError } from './expressions.js';

/**
 * What a step tells the runner: the `GITHUB_OUTPUT` / `GITHUB_ENV` / `GITHUB_STATE` files
 * (`name=value` lines and `name<<DELIMITER` blocks) and the workflow commands it prints
 * (`::notice::…`, `::add-mask::…`), as the runner reads them.
 */

export function parseKeyValueFile(text: string, file: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    const equals = line.indexOf('=');
    if (heredoc && (equals < 0 || heredoc[1]!.length < equals)) {
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) value.push(lines[i]!);
      if (i >= lines.length) throw new WorkflowError(`${file}: no closing delimiter "${heredoc[2]}" for ${heredoc[1]}`);
      values[heredoc[1]!] = value.join('\n');
    } else if (equals > 0) {
      values[line.slice(0, equals)] = line.slice(equals + 1);
    } else {
      throw new WorkflowError(`${file}: line "${line}" is neither name=value nor name<<DELIMITER`);
    }
  }
  return values;
}

export type AnnotationLevel = 'error' | 'warning' | 'notice';

export interface Annotation {
  level: AnnotationLevel;
  message: string;
  /** The step that wrote it. */
  step: string;
}

const unescapeData = (text: string) => text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');

/**
 * One line of a step's output: an annotation, a mask, or plain log. Commands GitHub disabled
 * (set-output, set-env, add-path) and ones this executor does not know fail loudly.
 */
export function readCommand(line: string): { annotation?: { level: AnnotationLevel; message: string }; mask?: string } | undefined {
  const match = /^::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(line);
  if (!match) return undefined;
  const [, name, data] = match as unknown as [string, string, string];
  switch (name) {
    case 'error':
    case 'warning':
    case 'notice':
      return { annotation: { level: name, message: unescapeData(data) } };
    case 'add-mask':
      return { mask: unescapeData(data) };
    case 'debug':
    case 'group':
    case 'endgroup':
      return {};
    default:
      throw new WorkflowError(`workflow command ::${name}:: is not implemented by this executor (GitHub disabled set-output, set-env and add-path)`);
  }
}
