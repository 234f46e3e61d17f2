import type { Permission } from '../../github/fake-github.js';
import type { Repository } from '../repository.js';
import { WorkflowError } from '../expressions.js';
import { checkout } from './checkout.js';
import { setupNode } from './setup-node.js';
import { cache } from './cache.js';
import { uploadArtifact } from './upload-artifact.js';
import { downloadArtifact } from './download-artifact.js';
import { uploadPagesArtifact } from './upload-pages-artifact.js';
import { deployPages } from './deploy-pages.js';

/**
 * Stand-ins for the third-party actions the workflows use, one small file each, following each
 * action's documented behaviour (its README and action.yml at the pinned commit) on this
 * machine: the git repository, artifact store and cache of `Repository` take GitHub's place.
 */

export interface StandInContext {
  /** Every declared input: `with:` values, else the action's defaults (expressions evaluated). */
  inputs: Record<string, string>;
  workspace: string;
  runnerTemp: string;
  env: Record<string, string>;
  repository: Repository;
  runId: number;
  /** The run's ref (`refs/heads/main`, `refs/pull/7/merge`): the Actions cache's scope. */
  ref: string;
  sha: string;
  apiUrl: string;
  /** The job token's scopes. */
  permissions: Record<string, Permission>;
  /** The job's environment name, when it has one. */
  environment?: string;
  log(line: string): void;
  notice(message: string): void;
  warning(message: string): void;
  setOutput(name: string, value: string): void;
  /** Runs at the end of the job, as the action's `post:` does (`post-if: success()` unless always). */
  addPost(label: string, body: (log: (line: string) => void) => Promise<void>, condition?: 'success' | 'always'): void;
}

export interface StandIn {
  /** `owner/name` */
  action: string;
  /** The major version this stand-in follows, e.g. `v8`. */
  major: string;
  /** Commits it was checked against: full SHA → release tag. A pin to another commit fails loudly. */
  commits: Record<string, string>;
  /** Inputs it implements, with the action.yml defaults (expressions allowed). Any other input fails loudly. */
  inputs: Record<string, string>;
  run(context: StandInContext): Promise<void>;
}

const STAND_INS: StandIn[] = [checkout, setupNode, cache, uploadArtifact, downloadArtifact, uploadPagesArtifact, deployPages];

/**
 * `owner/name@ref` → its stand-in: a tag must be the stand-in's major; a full commit SHA must be
 * one the stand-in knows, with its release in the line's comment (`# v8.0.1`), as pins are written.
 */
export function resolveStandIn(uses: string, comment: string | undefined, where: string): StandIn {
  const match = /^([\w.-]+\/[\w.-]+)@(.+)$/.exec(uses);
  if (!match) throw new WorkflowError(`${where}: uses "${uses}" is neither ./path nor owner/name@ref`);
  const [, action, ref] = match as unknown as [string, string, string];
  const standIn = STAND_INS.find((s) => s.action === action);
  if (!standIn) throw new WorkflowError(`${where}: ${action} has no stand-in in test/workflow/standins/; add one that follows its documented behaviour`);
  if (/^[0-9a-f]{40}$/.test(ref)) {
    const tag = standIn.commits[ref];
    if (!tag)
      throw new WorkflowError(
        `${where}: ${action}@${ref} is not a commit the stand-in was checked against (${Object.entries(standIn.commits)
          .map(([sha, t]) => `${t} = ${sha}`)
          .join(', ')}); compare that release's action.yml and README, then add it`,
      );
    if (comment !== tag)
      throw new WorkflowError(`${where}: ${action}@${ref} is ${tag}, but the comment says "${comment ?? ''}"; write \`# ${tag}\` after the pin`);
    return standIn;
  }
  if (ref !== standIn.major && !ref.startsWith(`${standIn.major}.`)) {
    throw new WorkflowError(`${where}: ${action}@${ref}: the stand-in follows ${standIn.major}`);
  }
  return standIn;
}

/** An input's lines, trimmed, blanks dropped (actions' getInputAsArray). */
export const lines = (value: string): string[] =>
  value
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

export function boolInput(context: StandInContext, name: string): boolean {
  const value = context.inputs[name]!.trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false' || value === '') return false;
  throw new WorkflowError(`Input does not meet YAML 1.2 "Core Schema" specification: ${name} (got "${value}")`);
}
