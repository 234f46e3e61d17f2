import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { RUN_ID_PATTERN, VERSION_SPEC_PATTERN } from '../experiments/bundle.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { PLAN_KINDS } from './plan.js';
import { issuesText, MAX_MATRIX_JOBS } from './schemas.js';

/**
 * The plan a pull request's run reported with (kind and matrix), handed to the workflow_run job
 * that comments for forks. The fork wrote it, so it is held to the shapes the plan action makes.
 */
const PlanFileSchema = z.strictObject({
  kind: z.enum(PLAN_KINDS).optional(),
  matrix: z.strictObject({
    include: z
      .array(
        z.strictObject({
          cell: z.string().regex(RUN_ID_PATTERN),
          seed: z.number().int().nonnegative(),
          versions: z.string().regex(VERSION_SPEC_PATTERN),
          epochs: z.number().int().positive().max(10_000),
        }),
      )
      .max(MAX_MATRIX_JOBS),
  }),
});
export type PlanFile = z.output<typeof PlanFileSchema>;

export async function writePlanFile(path: string, plan: PlanFile): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(plan)}\n`);
}

/** The plan file, checked; a missing one is undefined (the run failed before its report), a bad one a UserError that does not quote it. */
export async function readPlanFile(path: string): Promise<PlanFile | undefined> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  if (text.length > 256 * 1024) throw new UserError(`${path} is larger than a plan can be; refusing it`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UserError(`${path} is not JSON; refusing it (the report action writes it with plan-file)`);
  }
  const parsed = PlanFileSchema.safeParse(json);
  if (!parsed.success) throw new UserError(`${path} is not a plan the report action writes (${issuesText(parsed.error, 'the plan')}); refusing it`);
  return parsed.data;
}
