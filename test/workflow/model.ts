import type { ActionTemplate } from '@actions/workflow-parser/actions/action-template';
import type { EventsConfig, Job } from '@actions/workflow-parser/model/workflow-template';
import type { TemplateContext } from '@actions/workflow-parser/templates/template-context';
import type { BasicExpressionToken, MappingToken, StringToken, TemplateToken } from '@actions/workflow-parser/templates/tokens/index';
import { LineCounter, parseDocument, visit } from 'yaml';
import { templateTexts, WorkflowError } from './expressions.js';
import { actionParser, actionTemplate, ifCondition, tokens, workflowParser } from './parser.js';

/**
 * Workflow and action.yml files as GitHub's parser reads them: validated against GitHub's schema,
 * `if:` conditions converted as the runner does (`success() && (…)` unless they name a status
 * function), and every key the executor does not implement refused by name.
 */

export interface StepSpec {
  /** Where the step is, for messages: `pr.yml job report step 3`. */
  where: string;
  id?: string;
  name?: TemplateToken;
  if?: BasicExpressionToken;
  continueOnError?: TemplateToken;
  env?: MappingToken;
  run?: TemplateToken;
  uses?: StringToken;
  /** The comment after `uses:` on its line (a pinned commit's version, `# v6.1.0`). */
  usesComment?: string;
  with?: MappingToken;
  shell?: TemplateToken;
  workingDirectory?: TemplateToken;
  timeoutMinutes?: TemplateToken;
}

export interface JobSpec {
  id: string;
  name?: TemplateToken;
  needs: string[];
  if?: BasicExpressionToken;
  strategy?: TemplateToken;
  outputs?: MappingToken;
  env?: MappingToken;
  permissions?: TemplateToken;
  concurrency?: TemplateToken;
  continueOnError?: TemplateToken;
  timeoutMinutes?: TemplateToken;
  /** `environment:` (a name, or name and url); deployment protection rules are not modelled. */
  environment?: TemplateToken;
  steps: StepSpec[];
}

export interface WorkflowSpec {
  /** File name, e.g. `pr.yml`. */
  file: string;
  name: string;
  events: EventsConfig;
  env?: MappingToken;
  permissions?: TemplateToken;
  concurrency?: TemplateToken;
  jobs: JobSpec[];
}

export interface ActionSpec {
  name: string;
  inputs: { id: string; default?: TemplateToken }[];
  outputs: { id: string; value?: TemplateToken }[];
  using: string;
  /** Node actions: the entry file, relative to the action's folder. */
  main?: string;
  steps?: StepSpec[];
}

// Step keys kept as the parser's tokens (evaluated when the step runs); id, if, env, with and uses are read below.
const PLAIN_STEP_KEYS: Record<string, 'name' | 'continueOnError' | 'run' | 'shell' | 'workingDirectory' | 'timeoutMinutes'> = {
  name: 'name',
  'continue-on-error': 'continueOnError',
  run: 'run',
  shell: 'shell',
  'working-directory': 'workingDirectory',
  'timeout-minutes': 'timeoutMinutes',
};
// Keys that change nothing this executor models (runs-on picks the machine, which is this one).
const JOB_KEYS = new Set([
  'name',
  'needs',
  'if',
  'strategy',
  'outputs',
  'env',
  'permissions',
  'concurrency',
  'continue-on-error',
  'timeout-minutes',
  'steps',
  'runs-on',
  'environment',
]);

const mappingEntries = (token: TemplateToken | undefined): [string, TemplateToken][] =>
  token && workflowParser.isMapping(token) ? [...token].map((pair) => [pair.key.toString(), pair.value]) : [];

/** Records the decoded YAML text of every scalar the parser turned into format() (see templateTexts). */
function recordTemplateTexts(root: TemplateToken, source: string, file: string): void {
  const lineCounter = new LineCounter();
  const texts = new Map<string, string>();
  visit(parseDocument(source, { lineCounter }), {
    Scalar(_, node) {
      if (typeof node.value === 'string' && node.range) {
        const { line, col } = lineCounter.linePos(node.range[0]);
        texts.set(`${line}:${col}`, node.value);
      }
    },
  });
  for (const [, token] of tokens.TemplateToken.traverse(root)) {
    if (!workflowParser.isBasicExpression(token) || !token.originalExpressions?.length) continue;
    const text = token.range && texts.get(`${token.range.start.line}:${token.range.start.column}`);
    if (text === undefined) throw new WorkflowError(`${file}: cannot find the YAML text of the expression at ${JSON.stringify(token.range?.start)}`);
    templateTexts.set(token, text);
  }
}

function schemaErrors(context: TemplateContext, file: string): void {
  const errors = context.errors.getErrors();
  if (errors.length > 0) throw new WorkflowError(`${file} does not validate against GitHub's schema:\n${errors.map((e) => `  ${e.message}`).join('\n')}`);
}

function commentAfter(source: string, token: TemplateToken): string | undefined {
  const line = token.range ? source.split('\n')[token.range.start.line - 1] : undefined;
  return line ? /\s#\s*(.+?)\s*$/.exec(line)?.[1] : undefined;
}

function readSteps(context: TemplateContext, token: TemplateToken | undefined, source: string, where: string): StepSpec[] {
  if (!token || !workflowParser.isSequence(token)) return [];
  return [...token].map((item, i) => {
    const step: StepSpec = { where: `${where} step ${i + 1}` };
    for (const [key, value] of mappingEntries(item)) {
      if (Object.hasOwn(PLAIN_STEP_KEYS, key)) step[PLAIN_STEP_KEYS[key]!] = value;
      else if (key === 'id') {
        // eslint-disable-next-line @typescript-eslint/no-base-to-string -- every scalar token prints its YAML text
        step.id = value.toString();
      } else if (key === 'if') step.if = ifCondition.convertToIfCondition(context, value);
      else if (key === 'env' || key === 'with') step[key] = value.assertMapping(`step ${key}`);
      else if (key === 'uses') {
        step.uses = value.assertString('step uses');
        step.usesComment = commentAfter(source, value);
      } else throw new WorkflowError(`${step.where}: key "${key}" is not implemented by this executor`);
    }
    if (!step.run === !step.uses) throw new WorkflowError(`${step.where}: a step has either run or uses`);
    return step;
  });
}

export async function loadWorkflow(file: string, source: string): Promise<WorkflowSpec> {
  const parsed = workflowParser.parseWorkflow({ name: file, content: source }, new workflowParser.NoOperationTraceWriter());
  schemaErrors(parsed.context, file);
  recordTemplateTexts(parsed.value!, source, file);
  const template = await workflowParser.convertWorkflowTemplate(parsed.context, parsed.value!);
  if (template.errors?.length) throw new WorkflowError(`${file}: ${template.errors.map((e) => e.Message).join('; ')}`);
  const root = new Map(mappingEntries(parsed.value));
  const rawJobs = new Map(mappingEntries(root.get('jobs')));
  const jobs = template.jobs.map((converted): JobSpec => {
    const id = converted.id.value;
    if (converted.type !== 'job') throw new WorkflowError(`${file} job ${id}: reusable workflows are not implemented by this executor`);
    const raw = new Map(mappingEntries(rawJobs.get(id)));
    for (const key of raw.keys()) if (!JOB_KEYS.has(key)) throw new WorkflowError(`${file} job ${id}: key "${key}" is not implemented by this executor`);
    const job = converted as Job;
    return {
      id,
      name: raw.get('name'),
      needs: (job.needs ?? []).map((n) => n.value),
      if: job.if,
      strategy: job.strategy,
      outputs: job.outputs,
      env: job.env,
      permissions: raw.get('permissions'),
      concurrency: raw.get('concurrency'),
      continueOnError: raw.get('continue-on-error'),
      timeoutMinutes: raw.get('timeout-minutes'),
      environment: raw.get('environment'),
      steps: readSteps(parsed.context, raw.get('steps'), source, `${file} job ${id}`),
    };
  });
  for (const key of root.keys()) {
    if (!['name', 'run-name', 'on', 'permissions', 'concurrency', 'env', 'jobs'].includes(key))
      throw new WorkflowError(`${file}: top-level key "${key}" is not implemented by this executor`);
  }
  return {
    file,
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- every scalar token prints its YAML text
    name: root.get('name')?.toString() ?? file,
    events: template.events,
    env: root.get('env')?.assertMapping('workflow env'),
    permissions: root.get('permissions'),
    concurrency: root.get('concurrency'),
    jobs,
  };
}

export function loadAction(file: string, source: string): ActionSpec {
  const parsed = actionParser.parseAction({ name: file, content: source }, new workflowParser.NoOperationTraceWriter());
  schemaErrors(parsed.context, file);
  recordTemplateTexts(parsed.value!, source, file);
  const action: ActionTemplate = actionTemplate.convertActionTemplate(parsed.context, parsed.value!);
  schemaErrors(parsed.context, file);
  const runs = action.runs;
  const spec: ActionSpec = {
    name: action.name,
    inputs: (action.inputs ?? []).map((i) => ({ id: i.id, default: i.default })),
    outputs: (action.outputs ?? []).map((o) => ({ id: o.id, value: o.value })),
    using: runs.using,
  };
  if (runs.using === 'composite') {
    const rawRuns = new Map(mappingEntries(new Map(mappingEntries(parsed.value)).get('runs')));
    spec.steps = readSteps(parsed.context, rawRuns.get('steps'), source, file);
  } else if (runs.using === 'node24' || runs.using === 'node20') {
    if (runs.pre || runs.post) throw new WorkflowError(`${file}: pre and post scripts of local node actions are not implemented by this executor`);
    spec.main = runs.main;
  } else {
    throw new WorkflowError(`${file}: runs.using "${runs.using}" is not implemented by this executor`);
  }
  return spec;
}
