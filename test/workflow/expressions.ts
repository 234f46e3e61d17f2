import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import type { FunctionDefinition, FunctionInfo } from '@actions/expressions/funcs/info';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/index';
import { tokenTypes, workflowParser } from './parser.js';

/**
 * `${{ }}` evaluation with GitHub's own expression engine (@actions/expressions): its lexer,
 * parser and evaluator, given the contexts a place in a workflow may see and the functions the
 * runner adds (the status functions and hashFiles). A context or function the engine was not given
 * is a parse error, so an expression the executor cannot evaluate fails loudly.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Contexts = Record<string, Json>;

/** A job's state as the status functions see it. */
/** `skipped`: a job whose needs were skipped (neither success() nor failure() holds). */
export type Status = 'success' | 'failure' | 'cancelled' | 'skipped';

export interface ExpressionHost {
  /** Context name → value: only these names may appear in the expression. */
  contexts: Contexts;
  /** success(), failure(), cancelled(), always(): given only where `if:` is evaluated. */
  status?: () => Status;
  /** hashFiles() resolves its paths here; given where the runner has a workspace. */
  workspace?: string;
}

export class WorkflowError extends Error {}

const toData = (value: Json): data.ExpressionData => JSON.parse(JSON.stringify(value), data.reviver) as data.ExpressionData;
const fromData = (value: data.ExpressionData): Json => JSON.parse(JSON.stringify(value, data.replacer) ?? 'null') as Json;

/**
 * The runner's hashFiles: SHA-256 of each matched file, those digests hashed again in order; ''
 * when nothing matched. Only literal paths: a glob pattern fails loudly until a workflow needs one.
 */
export function hashFiles(workspace: string, patterns: string[]): string {
  const combined = createHash('sha256');
  let matched = 0;
  for (const pattern of patterns) {
    if (/[*?[\]{}!]/.test(pattern))
      throw new WorkflowError(`hashFiles('${pattern}'): this executor matches literal paths only; extend test/workflow/expressions.ts for patterns`);
    const path = resolve(workspace, pattern);
    if (!path.startsWith(workspace)) throw new WorkflowError(`hashFiles('${pattern}') points outside the workspace`);
    if (!statSync(path, { throwIfNoEntry: false })?.isFile()) continue;
    combined.update(createHash('sha256').update(readFileSync(path)).digest());
    matched++;
  }
  return matched === 0 ? '' : combined.digest('hex');
}

export function evaluateExpression(expression: string, host: ExpressionHost, where: string): Json {
  const infos: FunctionInfo[] = [];
  const implementations = new Map<string, FunctionDefinition>();
  const add = (info: FunctionInfo, call: (...args: data.ExpressionData[]) => data.ExpressionData) => {
    infos.push(info);
    implementations.set(info.name.toLowerCase(), { ...info, call });
  };
  if (host.status) {
    const status = host.status;
    add({ name: 'success', minArgs: 0, maxArgs: 0 }, () => new data.BooleanData(status() === 'success'));
    add({ name: 'failure', minArgs: 0, maxArgs: 0 }, () => new data.BooleanData(status() === 'failure'));
    add({ name: 'cancelled', minArgs: 0, maxArgs: 0 }, () => new data.BooleanData(status() === 'cancelled'));
    add({ name: 'always', minArgs: 0, maxArgs: 0 }, () => new data.BooleanData(true));
  }
  if (host.workspace) {
    const workspace = host.workspace;
    add(
      { name: 'hashFiles', minArgs: 1, maxArgs: 255 },
      (...args) =>
        new data.StringData(
          hashFiles(
            workspace,
            args.map((a) => a.coerceString()),
          ),
        ),
    );
  }
  try {
    const { tokens: lexed } = new Lexer(expression).lex();
    const tree = new Parser(lexed, Object.keys(host.contexts), infos).parse();
    const context = new data.Dictionary(...Object.entries(host.contexts).map(([key, value]) => ({ key, value: toData(value) })));
    return fromData(new Evaluator(tree, context, implementations).evaluate());
  } catch (error) {
    throw new WorkflowError(`${where}: \${{ ${expression} }}: ${(error as Error).message}`);
  }
}

/**
 * The YAML-decoded text of scalars that mix literal text and `${{ }}`, keyed by their token. The
 * parser turns such a scalar into `format('…{0}…', …)`, but @actions/workflow-parser 0.3.61 builds
 * a block scalar's format string from its raw source (keeping the YAML indentation), and the
 * lexer of @actions/expressions 0.3.61 unescapes only the first `''` in a string literal; so the
 * executor substitutes each `${{ }}` into the text as GitHub documents it instead.
 */
export const templateTexts = new WeakMap<TemplateToken, string>();

/** Text with `${{ }}` parts (a `with:` value of an action.yml step, say), each part evaluated as the runner does. */
export function substitute(text: string, host: ExpressionHost, where: string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const open = text.indexOf('${{', i);
    if (open < 0) return out + text.slice(i);
    out += text.slice(i, open);
    let j = open + 3;
    let quoted = false;
    for (; j < text.length; j++) {
      if (text[j] === "'") quoted = !quoted;
      else if (!quoted && text.startsWith('}}', j)) break;
    }
    if (j >= text.length) throw new WorkflowError(`${where}: \${{ without a closing }}`);
    out += toText(evaluateExpression(text.slice(open + 3, j).trim(), host, where), where);
    i = j + 2;
  }
}

/** A template token (literal, expression, mapping, sequence) → plain JSON, every expression evaluated. */
export function evaluateToken(token: TemplateToken, host: ExpressionHost, where: string): Json {
  const text = templateTexts.get(token);
  if (text !== undefined) return substitute(text, host, where);
  if (workflowParser.isBasicExpression(token)) return evaluateExpression(token.expression, host, where);
  if (workflowParser.isString(token) || workflowParser.isNumber(token) || workflowParser.isBoolean(token)) return token.value;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-comparison -- the parser types templateTokenType as a plain number
  if (token.templateTokenType === tokenTypes.TokenType.Null) return null;
  if (workflowParser.isSequence(token)) return [...token].map((item, i) => evaluateToken(item, host, `${where}[${i}]`));
  if (workflowParser.isMapping(token)) {
    const result: Record<string, Json> = {};
    for (const pair of token) {
      const key = toText(evaluateToken(pair.key, host, where), `${where} key`);
      result[key] = evaluateToken(pair.value, host, `${where}.${key}`);
    }
    return result;
  }
  throw new WorkflowError(`${where}: ${token.typeName()} (e.g. \${{ insert }}) is not supported by this executor`);
}

/** A payload value as a message or a filter reads it: `String` for scalars and lists of them, JSON for an object (not "[object Object]"). */
export const jsonText = (value: Json | undefined): string =>
  Array.isArray(value) ? value.map(jsonText).join(',') : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);

/** A scalar value as the runner turns it into text for `with:`, `env:` and `run:`. */
export function toText(value: Json, where: string): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new WorkflowError(`${where}: an ${Array.isArray(value) ? 'array' : 'object'} was given where text is expected`);
}

export const evaluateText = (token: TemplateToken | undefined, host: ExpressionHost, where: string): string =>
  token === undefined ? '' : toText(evaluateToken(token, host, where), where);

/** GitHub's truthiness: false, 0, -0, '', null and NaN are false. */
export const truthy = (value: Json): boolean => !(value === false || value === null || value === '' || value === 0 || Number.isNaN(value));

/** A condition (`if:`), already wrapped in `success() && (…)` by the parser where it names no status function. */
export function evaluateCondition(token: TemplateToken | undefined, host: ExpressionHost, where: string): boolean {
  if (!token) return host.status ? host.status() === 'success' : true;
  return truthy(evaluateToken(token, host, where));
}
