import type { Command } from 'commander';
import { REPORT_FILES } from '../evaluate/report-files.js';
import { TRAINING_FILE } from '../model/training-record.js';
import { TUNING_FILE } from '../model/tune.js';
import { DEFAULT_PARAMS_FILE } from '../params.js';
import { PROJECT_PATHS } from '../paths.js';
import type { EvaluateInput } from '../stages/evaluate.js';
import type { PrepareInput } from '../stages/prepare.js';
import type { TrainInput } from '../stages/train.js';
import { backendOption, note, say } from './output.js';

/** The pipeline's stages as commands: each parses its flags and calls its stage function (src/stages). */

const reportsFile = (name: string) => `${PROJECT_PATHS.reports}/${name}`;
const output = { say, note };

export function registerStageCommands(program: Command): void {
  program
    .command('prepare')
    .description('Split the partitions of data.versions into stratified train/val/test sets of packed uint8 records')
    .option('--params <file>', 'parameters (groups data: and prepare:)', DEFAULT_PARAMS_FILE)
    .option('--partitions <dir>', 'partitions folder (vK/manifest.csv + PNGs)', PROJECT_PATHS.partitions)
    .option('--out <dir>', 'output folder for {train,val,test}.{bin,ids} and info.json', PROJECT_PATHS.prepared)
    .option('--quiet', 'no progress bar')
    .action(async (opts: PrepareInput) => {
      const { prepareStage } = await import('../stages/prepare.js');
      await prepareStage(opts, output);
    });

  program
    .command('train')
    .description('Train the CNN of params.yaml (train:) on the prepared splits; tune first when tune.enabled')
    .option('--params <file>', 'parameters (groups train: and tune:)', DEFAULT_PARAMS_FILE)
    .option('--prepared <dir>', 'prepared splits from `cifar10 prepare`', PROJECT_PATHS.prepared)
    .option('--model <dir>', `output folder: model.json + weights.bin (best val epoch) + ${TRAINING_FILE}`, PROJECT_PATHS.model)
    .option('--log <file>', 'per-epoch log for DVC plots', reportsFile(REPORT_FILES.trainLog))
    .option('--tuning <file>', 'all tuning trials (header only when tune.enabled is false)', reportsFile(TUNING_FILE))
    .option('--timing <file>', 'wall-clock facts (seconds, images/s), kept out of the DVC outputs (default: timing.json beside --log)')
    .addOption(backendOption('tfjs backend (default: train.backend of --params, else auto)'))
    .option('--quiet', 'no progress bars')
    .addHelpText('after', '\nBackends: auto tries @tensorflow/tfjs-node-gpu, @tensorflow/tfjs-node, then wasm (with replacement training kernels), then cpu.')
    .action(async (opts: TrainInput) => {
      const { trainStage } = await import('../stages/train.js');
      await trainStage(opts, output);
    });

  program
    .command('evaluate')
    .description('Score the trained model on the prepared test split; write metrics, confusion matrix, per-image predictions, pictures and report.md')
    .option('--params <file>', 'parameters (group evaluate:)', DEFAULT_PARAMS_FILE)
    .option('--prepared <dir>', 'prepared splits from `cifar10 prepare`', PROJECT_PATHS.prepared)
    .option('--model <dir>', 'trained model from `cifar10 train`', PROJECT_PATHS.model)
    .option('--out <dir>', 'report folder', PROJECT_PATHS.reports)
    .option('--log <file>', `training log for the learning curves (default: <out>/${REPORT_FILES.trainLog} when present)`)
    .option('--timing <file>', 'wall-clock facts (seconds, images/s), kept out of the DVC outputs (default: <out>/timing.json)')
    .addOption(backendOption('tfjs backend (auto: tfjs-node, then wasm, then cpu)').default('auto'))
    .option('--quiet', 'no progress bar')
    .addHelpText(
      'after',
      `\nWrites into --out: ${[REPORT_FILES.metrics, REPORT_FILES.confusionJson, REPORT_FILES.confusionCsv, REPORT_FILES.predictions, REPORT_FILES.reportMd].join(', ')}\n` +
        `and the pictures ${[REPORT_FILES.confusionPng, REPORT_FILES.confusionNormalisedPng, REPORT_FILES.learningCurvesPng, REPORT_FILES.misclassifiedPng].join(', ')}.`,
    )
    .action(async (opts: EvaluateInput) => {
      const { evaluateStage } = await import('../stages/evaluate.js');
      await evaluateStage(opts, output);
    });
}
