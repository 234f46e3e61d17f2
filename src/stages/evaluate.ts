import { access } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { evaluate, type EvaluateOptions, type EvaluateResult, type ProbabilitySource } from '../evaluate/evaluate.js';
import { loadModelSource } from '../evaluate/model-source.js';
import { reportPath } from '../evaluate/report-files.js';
import { BACKEND_CHOICES } from '../model/backend-choices.js';
import { formatPercent } from '../report/format.js';
import { writeRunPictures } from '../report/pictures.js';
import { runReportMarkdown } from '../report/run-report.js';
import { readTrainLog, type TrainLogRow } from '../report/train-log.js';
import { writeFileAtomic } from '../util/atomic.js';
import { silent, type StageOutput } from './output.js';

export interface EvaluateRunOptions extends EvaluateOptions {
  /** Training log for the learning curves; default `<out>/train_log.tsv`, skipped when absent. */
  trainLog?: string;
}

/** The log at `path`; a missing default log is fine (a model trained elsewhere), a missing explicit one is not. */
async function optionalTrainLog(path: string, explicit: boolean): Promise<TrainLogRow[] | undefined> {
  if (
    !explicit &&
    !(await access(path).then(
      () => true,
      () => false,
    ))
  )
    return undefined;
  return readTrainLog(path);
}

/**
 * Evaluation of a model source: score (src/evaluate), then the pictures and `report.md` of the run
 * (src/report).
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

/** What the evaluate stage reads and writes; paths relative to the current folder. */
export const EvaluateInput = z.strictObject({
  /** Parameters: group evaluate:. */
  params: z.string(),
  prepared: z.string(),
  /** The trained model from the train stage. */
  model: z.string(),
  /** Report folder. */
  out: z.string(),
  /** Training log for the learning curves (default: <out>/train_log.tsv when present). */
  log: z.string().optional(),
  /** Wall-clock facts, kept out of the DVC outputs (default: <out>/timing.json). */
  timing: z.string().optional(),
  /** tfjs backend (default auto: tfjs-node, then wasm, then cpu). */
  backend: z.enum(BACKEND_CHOICES).optional(),
  quiet: z.boolean().optional(),
});
export type EvaluateInput = z.infer<typeof EvaluateInput>;

/** The evaluate stage: the trained model on its tfjs backend, scored, drawn and reported. */
export async function evaluateStage(input: EvaluateInput, out: StageOutput = {}): Promise<EvaluateResult> {
  const say = out.say ?? silent;
  const source = await loadModelSource(input.model, input.backend ?? 'auto');
  (out.note ?? silent)(`backend: ${source.backend} (${source.backendDetail})`);
  let result;
  try {
    result = await evaluateRun(
      { params: input.params, prepared: input.prepared, out: input.out, trainLog: input.log, timing: input.timing, quiet: input.quiet },
      source,
    );
  } finally {
    source.dispose();
  }
  const m = result.metrics;
  say(
    `${m.test_images} ${result.params.split} images: accuracy ${formatPercent(m.accuracy)}, loss ${m.loss.toFixed(4)}, macro F1 ${m.macro.f1.toFixed(3)} ` +
      `(${m.backend}, ${Math.round(result.timing.images_per_second)} images/s, data ${m.data_version}, seed ${m.seed})`,
  );
  for (const file of result.files) say(`  wrote ${file}`);
  return result;
}
