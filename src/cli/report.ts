import { access, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { EVALUATE_PARAMS } from '../evaluate/params.js';
import { REPORT_FILES } from '../evaluate/report-files.js';
import { readParamsGroup } from '../params.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { formatPercent } from '../report/format.js';
import { backendOption, note, say } from './output.js';


function share(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a share between 0 and 1, e.g. 0.6');
  return n;
}

/** The accuracy bar: the flag, else params.yaml's evaluate.min_accuracy when the file is there. */
async function minAccuracy(flag: number | undefined, paramsFile: string): Promise<number> {
  if (flag !== undefined) return flag;
  const present = await access(paramsFile).then(
    () => true,
    () => false,
  );
  return present ? (await readParamsGroup('evaluate', EVALUATE_PARAMS, paramsFile)).min_accuracy : 0;
}

export function registerReportCommands(program: Command): void {
  program
    .command('evaluate')
    .description('Score the trained model on the prepared test split; write metrics, confusion matrix, per-image predictions, pictures and report.md')
    .option('--params <file>', 'parameters (group evaluate:)', 'params.yaml')
    .option('--prepared <dir>', 'prepared splits from `cifar10 prepare`', 'data/prepared')
    .option('--model <dir>', 'trained model from `cifar10 train`', 'models/model')
    .option('--out <dir>', 'report folder', 'reports')
    .option('--log <file>', 'training log for the learning curves (default: <out>/train_log.tsv when present)')
    .option('--timing <file>', 'wall-clock facts (seconds, images/s), kept out of the DVC outputs (default: <out>/timing.json)')
    .addOption(backendOption('tfjs backend (auto: tfjs-node, then wasm, then cpu)').default('auto'))
    .option('--quiet', 'no progress bar')
    .addHelpText(
      'after',
      `\nWrites into --out: ${[REPORT_FILES.metrics, REPORT_FILES.confusionJson, REPORT_FILES.confusionCsv, REPORT_FILES.predictions, REPORT_FILES.reportMd].join(', ')}\n` +
        `and the pictures ${[REPORT_FILES.confusionPng, REPORT_FILES.confusionNormalisedPng, REPORT_FILES.learningCurvesPng, REPORT_FILES.misclassifiedPng].join(', ')}.`,
    )
    .action(async (opts: { params: string; prepared: string; model: string; out: string; log?: string; timing?: string; backend: string; quiet?: boolean }) => {
      const [{ loadModelSource }, { evaluateRun }] = await Promise.all([import('../evaluate/model-source.js'), import('../report/evaluate-run.js')]);
      const source = await loadModelSource(opts.model, opts.backend);
      note(`backend: ${source.backend} (${source.backendDetail})`);
      let result;
      try {
        result = await evaluateRun({ params: opts.params, prepared: opts.prepared, out: opts.out, trainLog: opts.log, timing: opts.timing, quiet: opts.quiet }, source);
      } finally {
        source.dispose();
      }
      const m = result.metrics;
      say(
        `${m.test_images} ${result.params.split} images: accuracy ${formatPercent(m.accuracy)}, loss ${m.loss.toFixed(4)}, macro F1 ${m.macro.f1.toFixed(3)} ` +
          `(${m.backend}, ${Math.round(result.timing.images_per_second)} images/s, data ${m.data_version}, seed ${m.seed})`,
      );
      for (const file of result.files) say(`  wrote ${file}`);
    });

  program
    .command('report')
    .description('Print or write the markdown report of one evaluated run (metrics, shaded confusion matrix, per-class table, verdict)')
    .option('--reports <dir>', 'folder written by `cifar10 evaluate`', 'reports')
    .option('--log <file>', 'training log (default: <reports>/train_log.tsv when present)')
    .option('--timing <file>', 'training and scoring times (default: <reports>/timing.json when present)')
    .option('--md [file]', 'write the markdown to a file instead of printing it (default file: <reports>/report.md)')
    .option('--summary', 'append the markdown to the GitHub Actions job summary ($GITHUB_STEP_SUMMARY)')
    .option('--baseline <metrics.json>', 'metrics of a baseline run (e.g. main) to compare against')
    .option('--title <text>', 'heading of the report')
    .option('--min-accuracy <share>', 'accuracy the verdict asks for (default: evaluate.min_accuracy of --params)', share)
    .option('--params <file>', 'parameters file for evaluate.min_accuracy', 'params.yaml')
    .addHelpText('after', '\nThe markdown stays under GitHub\'s 65,536-character comment limit, folding long sections into <details>.')
    .action(
      async (opts: { reports: string; log?: string; timing?: string; md?: string | true; summary?: boolean; baseline?: string; title?: string; minAccuracy?: number; params: string }) => {
        const { buildRunReportMarkdown } = await import('../report/run-report.js');
        const mdFile = opts.md === true ? join(opts.reports, REPORT_FILES.reportMd) : opts.md;
        const summaryFile = process.env.GITHUB_STEP_SUMMARY;
        if (opts.summary && !summaryFile) {
          throw new UserError('--summary: $GITHUB_STEP_SUMMARY is not set (it is only set inside a GitHub Actions job); use --md <file> to write the markdown elsewhere');
        }
        const markdown = await buildRunReportMarkdown({
          reports: opts.reports,
          trainLog: opts.log,
          timing: opts.timing,
          markdownPath: mdFile,
          baseline: opts.baseline,
          title: opts.title,
          minAccuracy: await minAccuracy(opts.minAccuracy, opts.params),
        });
        if (mdFile) {
          await writeFileAtomic(mdFile, markdown);
          say(`wrote ${mdFile} (${markdown.length} characters)`);
        }
        if (opts.summary) {
          await appendFile(summaryFile!, markdown);
          say(`appended the report to the job summary (${markdown.length} characters)`);
        }
        if (!mdFile && !opts.summary) process.stdout.write(markdown);
      },
    );
}
