import type { Command } from 'commander';
import { readParamsFile } from '../params.js';
import { backendOption, note, say } from './output.js';


export function registerModelCommands(program: Command): void {
  program
    .command('prepare')
    .description('Split the partitions of data.versions into stratified train/val/test sets of packed uint8 records')
    .option('--params <file>', 'parameters (groups data: and prepare:)', 'params.yaml')
    .option('--partitions <dir>', 'partitions folder (vK/manifest.csv + PNGs)', 'data/partitions')
    .option('--out <dir>', 'output folder for {train,val,test}.{bin,ids} and info.json', 'data/prepared')
    .option('--quiet', 'no progress bar')
    .action(async (opts: { params: string; partitions: string; out: string; quiet?: boolean }) => {
      const { prepareData, prepareParamsFrom } = await import('../data/prepare.js');
      const params = prepareParamsFrom(await readParamsFile(opts.params), opts.params);
      const info = await prepareData({ partitionsDir: opts.partitions, outDir: opts.out, ...params, quiet: opts.quiet });
      say(`${opts.out}: ${info.versions} → train ${info.counts.train}, val ${info.counts.val}, test ${info.counts.test} images (seed ${info.seed})`);
    });

  program
    .command('train')
    .description('Train the CNN of params.yaml (train:) on the prepared splits; tune first when tune.enabled')
    .option('--params <file>', 'parameters (groups train: and tune:)', 'params.yaml')
    .option('--prepared <dir>', 'prepared splits from `cifar10 prepare`', 'data/prepared')
    .option('--model <dir>', 'output folder: model.json + weights.bin (best val epoch) + training.json', 'models/model')
    .option('--log <file>', 'per-epoch log for DVC plots', 'reports/train_log.tsv')
    .option('--tuning <file>', 'all tuning trials (header only when tune.enabled is false)', 'reports/tuning.csv')
    .option('--timing <file>', 'wall-clock facts (seconds, images/s), kept out of the DVC outputs (default: timing.json beside --log)')
    .addOption(backendOption('tfjs backend (default: train.backend of --params, else auto)'))
    .option('--quiet', 'no progress bars')
    .addHelpText('after', '\nBackends: auto tries @tensorflow/tfjs-node-gpu, @tensorflow/tfjs-node, then wasm (with replacement training kernels), then cpu.')
    .action(async (opts: { params: string; prepared: string; model: string; log: string; tuning: string; timing?: string; backend?: string; quiet?: boolean }) => {
      const [{ trainParamsFrom, trainStage }, { selectBackend }, { tuneParamsFrom, tuneStage, tuneTiming, writeTuningCsv }] = await Promise.all([
        import('../model/train.js'),
        import('../model/backend.js'),
        import('../model/tune.js'),
      ]);
      const doc = await readParamsFile(opts.params);
      let params = trainParamsFrom(doc, opts.params);
      const tune = tuneParamsFrom(doc, opts.params);
      const backend = await selectBackend((opts.backend ?? params.backend) as 'auto');
      note(`backend: ${backend.name} (${backend.detail})`);
      let tuning;
      if (tune.enabled) {
        const tuned = await tuneStage({ preparedDir: opts.prepared, params, tune, csvFile: opts.tuning, quiet: opts.quiet, log: note });
        say(`tuning: ${tuned.trials.length} trials in ${(tuned.seconds / 60).toFixed(1)} min; best val_acc ${(tuned.best.valAcc * 100).toFixed(2)}% with ${tuned.bestSummary}; wrote ${opts.tuning}`);
        params = tuned.params;
        tuning = tuneTiming(tuned);
      } else {
        // dvc.yaml declares the file as an out, so it must exist after every run; no trials means no tuning.
        await writeTuningCsv(opts.tuning, [], tune.epochs);
      }
      const { training: info, timing } = await trainStage({
        preparedDir: opts.prepared,
        modelDir: opts.model,
        logFile: opts.log,
        timingFile: opts.timing,
        tuning,
        params,
        backend,
        quiet: opts.quiet,
        log: note,
      });
      say(
        `${opts.model}: ${info.arch}, best epoch ${info.bestEpoch}/${info.epochsRun} val_acc ${(info.bestValAcc * 100).toFixed(2)}%, ` +
          `${(timing.seconds / 60).toFixed(1)} min, ${timing.images_per_second.toFixed(0)} images/s on ${info.backend}${info.stoppedEarly ? ' (stopped early)' : ''}${info.outOfTime ? ' (time budget reached)' : ''}`,
      );
    });
}
