import * as core from '@actions/core';
import { parseVersionSpec } from '../data/versions.js';
import { readEventPayload } from '../github/event.js';
import { parseSeedList, parseVersionList } from '../experiments/matrix.js';
import { parseEpochs, planMatrix, type MatrixShape } from '../github/plan.js';
import { UserError } from '../util/errors.js';
import { Plan } from './constants.js';
import { getText, inputSource } from './inputs.js';
import { runAction } from './shell.js';

const shapeFrom = (seeds: string, versions: string, epochs: string): MatrixShape => ({
  seeds: parseSeedList(getText(seeds, { required: true }), inputSource(seeds)),
  versions: parseVersionList(getText(versions, { required: true }), inputSource(versions)),
  epochs: parseEpochs(getText(epochs, { required: true }), inputSource(epochs)),
});

await runAction(async () => {
  const names = Plan.inputs;
  const defaults = {
    full: shapeFrom(names.fullSeeds, names.fullVersions, names.fullEpochs),
    quick: shapeFrom(names.quickSeeds, names.quickVersions, names.quickEpochs),
  };
  const eventName = process.env.GITHUB_EVENT_NAME;
  if (!eventName) throw new UserError('GITHUB_EVENT_NAME is not set; the plan action runs inside a GitHub Actions job');
  const plan = planMatrix(eventName, await readEventPayload(process.env.GITHUB_EVENT_PATH), defaults);
  const partitions = [...new Set(plan.cells.flatMap((cell) => parseVersionSpec(cell.versions)))].sort();
  core.info(`${eventName} → ${plan.kind} matrix of ${plan.cells.length} runs: ${plan.cells.map((c) => c.cell).join(', ')}`);
  core.setOutput(Plan.outputs.matrix, JSON.stringify(plan.matrix));
  core.setOutput(Plan.outputs.kind, plan.kind);
  core.setOutput(Plan.outputs.cells, String(plan.cells.length));
  core.setOutput(Plan.outputs.versions, partitions.join(','));
});
