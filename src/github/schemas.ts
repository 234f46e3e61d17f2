import { z } from 'zod';

/**
 * What this project reads from GitHub's JSON, one zod schema each: the webhook payload of every
 * event an action reads (`GITHUB_EVENT_PATH`) and the plan's matrix (passed between jobs as an
 * input). Only the fields read here are declared; GitHub sends many more, and they pass through.
 */

const repository = z.looseObject({ full_name: z.string(), name: z.string(), owner: z.looseObject({ login: z.string() }) });

/** `pull_request` and `pull_request_target`. A head repository deleted since is null. */
export const PullRequestEvent = z.looseObject({
  pull_request: z.looseObject({
    number: z.number().int().positive(),
    head: z.looseObject({ sha: z.string(), repo: z.looseObject({ full_name: z.string() }).nullable() }),
    base: z.looseObject({ repo: repository }),
  }),
});

/** Values are strings from the form; a workflow started through the API may send numbers or booleans. */
export const WorkflowDispatchEvent = z.looseObject({
  inputs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).nullish(),
});

export const WorkflowRunEvent = z.looseObject({
  workflow_run: z.looseObject({
    event: z.string(),
    head_sha: z.string(),
    head_branch: z.string().nullable(),
    head_repository: z.looseObject({ owner: z.looseObject({ login: z.string() }) }).nullable(),
    pull_requests: z.array(z.looseObject({ number: z.number().int().positive(), head: z.looseObject({ sha: z.string() }) })),
  }),
});

/** Every other event: nothing is read from it, but it is a JSON object as all webhook payloads are. */
export const OtherEvent = z.looseObject({});

export const EVENT_SCHEMAS: Record<string, z.ZodType<Record<string, unknown>>> = {
  pull_request: PullRequestEvent,
  pull_request_target: PullRequestEvent,
  workflow_dispatch: WorkflowDispatchEvent,
  workflow_run: WorkflowRunEvent,
};

export const eventSchemaFor = (eventName: string | undefined): z.ZodType<Record<string, unknown>> => EVENT_SCHEMAS[eventName ?? ''] ?? OtherEvent;

/** GitHub runs at most 256 jobs from one matrix. */
export const MAX_MATRIX_JOBS = 256;

/** One job of the plan's matrix, as the plan action writes it to its `matrix` output. */
export const MatrixCellSchema = z.looseObject({
  cell: z.string().min(1),
  seed: z.number().int().nonnegative(),
  versions: z.string().min(1),
  epochs: z.number().int().positive(),
});

export const MatrixSchema = z.looseObject({ include: z.array(MatrixCellSchema).max(MAX_MATRIX_JOBS) });

/** `a.b[2].c: message; …`: zod's issues in one line, each at the path where it was found (`whole` names the root). */
export function issuesText(error: z.ZodError, whole = 'the value'): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), '');
      // zod says "Invalid input: expected string, received undefined"; people say "missing".
      const message = issue.message.replace(/^Invalid input: expected (.+), received undefined$/, 'missing (expected $1)').replace(/^Invalid input: /, '');
      return `${path || whole}: ${message}`;
    })
    .join('; ');
}
