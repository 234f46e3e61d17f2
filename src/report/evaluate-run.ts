import { access } from 'node:fs/promises';
import { basename } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { evaluate, type EvaluateOptions, type EvaluateResult, type ProbabilitySource } from '../evaluate/evaluate.js';
import { reportPath } from '../evaluate/report-files.js';
import { writeRunPictures } from './pictures.js';
import { runReportMarkdown } from './run-report.js';
import { readTrainLog, type TrainLogRow } from './train-log.js';

export interface EvaluateRunOptions extends EvaluateOptions {
  /** Training log for the learning curves; default `<out>/train_log.tsv`, skipped when absent. */
  trainLog?: string;
}

/** The log at `path`; a missing default log is fine (a model trained elsewhere), a missing explicit one is not. */
async function optionalTrainLog(path: string, explicit: boolean): Promise<TrainLogRow[] | undefined> {
  if (!explicit && !(await access(path).then(() => true, () => false))) return undefined;
  return readTrainLog(path);
}

/**
 * The whole `cifar10 evaluate` stage: score (src/evaluate), then the pictures and `report.md` of
 * the run. It lives in the report layer because it draws; the evaluate layer never imports report.
 */
export async function evaluateRun(options: EvaluateRunOptions, source: ProbabilitySource): Promise<EvaluateResult> {
  const trainLog = await optionalTrainLog(options.trainLog ?? reportPath(options.out, 'trainLog'), options.trainLog !== undefined);
  const result = await evaluate(options, source);
  const { params, metrics, confusion } = result;
  const pictures = params.pictures
    ? await writeRunPictures({ dir: options.out, confusion, trainLog, predictions: result.rows, split: result.split, misclassified: params.misclassified })
    : [];
  result.files.push(...pictures);
  // report.md sits beside the pictures, so bare file names link them. It is made without the
  // timing file: dvc.lock hashes it, so it holds only what the code, data and params determine
  // (`cifar10 report` adds the timings).
  const markdown = runReportMarkdown({ metrics, confusion, trainLog, minAccuracy: params.min_accuracy, pictures: pictures.map((path) => basename(path)) });
  await writeFileAtomic(reportPath(options.out, 'reportMd'), markdown);
  result.files.push(reportPath(options.out, 'reportMd'));
  return result;
}
