import * as core from '@actions/core';
import { testSetPartitions } from '../../data/recipe.js';
import { parseVersionSpec } from '../../data/versions.js';
import { PROJECT_PATHS } from '../../paths.js';
import { readEventPayload } from '../../github/event.js';
import { detectableNote, planMatrix } from '../../github/plan.js';
import { UserError } from '../../util/errors.js';
import { Plan } from '../constants.js';
import { readInputs } from '../input-fields.js';
import { PlanInputs } from '../input-schemas.js';
import { runAction } from '../shell.js';

/** The plan action: the experiment matrix for this event (quick on pull requests, full on schedule and dispatch), as outputs. */
export function run(): Promise<void> {
  return runAction(async () => {
    const inputs = readInputs(PlanInputs);
    const defaults = {
      full: { seeds: inputs.fullSeeds, versions: inputs.fullVersions, epochs: inputs.fullEpochs },
      quick: { seeds: inputs.quickSeeds, versions: inputs.quickVersions, epochs: inputs.quickEpochs },
    };
    const eventName = process.env.GITHUB_EVENT_NAME;
    if (!eventName) throw new UserError('GITHUB_EVENT_NAME is not set; the plan action runs inside a GitHub Actions job');
    const plan = planMatrix(eventName, await readEventPayload(process.env.GITHUB_EVENT_PATH), defaults);
    // Every cell is scored on the test splits of all partitions, so every job needs all of them.
    const testSet = await testSetPartitions(PROJECT_PATHS.partitions);
    const partitions = [...new Set([...plan.cells.flatMap((cell) => parseVersionSpec(cell.versions)), ...testSet])].sort(
      (a, b) => Number(a.slice(1)) - Number(b.slice(1)),
    );
    core.info(`${eventName} → ${plan.kind} matrix of ${plan.cells.length} runs: ${plan.cells.map((c) => c.cell).join(', ')}`);
    core.info(detectableNote(new Set(plan.cells.map((cell) => cell.seed)).size));
    core.setOutput(Plan.outputs.matrix, JSON.stringify(plan.matrix));
    core.setOutput(Plan.outputs.kind, plan.kind);
    core.setOutput(Plan.outputs.cells, String(plan.cells.length));
    core.setOutput(Plan.outputs.versions, partitions.join(','));
  });
}
