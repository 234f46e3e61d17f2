import { access, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { EVALUATE_PARAMS } from '../evaluate/params.js';
import { REPORT_FILES } from '../evaluate/report-files.js';
import { DEFAULT_PARAMS_FILE, readParamsGroup } from '../params.js';
import { PROJECT_PATHS } from '../paths.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { say } from './output.js';

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
    .command('report')
    .description('Print or write the markdown report of one evaluated run (metrics, shaded confusion matrix, per-class table, verdict)')
    .option('--reports <dir>', 'folder written by `cifar10 evaluate`', PROJECT_PATHS.reports)
    .option('--log <file>', 'training log (default: <reports>/train_log.tsv when present)')
    .option('--timing <file>', 'training and scoring times (default: <reports>/timing.json when present)')
    .option('--md [file]', 'write the markdown to a file instead of printing it (default file: <reports>/report.md)')
    .option('--summary', 'append the markdown to the GitHub Actions job summary ($GITHUB_STEP_SUMMARY)')
    .option('--baseline <metrics.json>', 'metrics of a baseline run (e.g. main) to compare against')
    .option('--title <text>', 'heading of the report')
    .option('--min-accuracy <share>', 'accuracy the verdict asks for (default: evaluate.min_accuracy of --params)', share)
    .option('--params <file>', 'parameters file for evaluate.min_accuracy', DEFAULT_PARAMS_FILE)
    .addHelpText('after', "\nThe markdown stays under GitHub's 65,536-character comment limit, folding long sections into <details>.")
    .action(
      async (opts: {
        reports: string;
        log?: string;
        timing?: string;
        md?: string | true;
        summary?: boolean;
        baseline?: string;
        title?: string;
        minAccuracy?: number;
        params: string;
      }) => {
        const { buildRunReportMarkdown } = await import('../report/run-report.js');
        const mdFile = opts.md === true ? join(opts.reports, REPORT_FILES.reportMd) : opts.md;
        const summaryFile = process.env.GITHUB_STEP_SUMMARY;
        if (opts.summary && !summaryFile) {
          throw new UserError(
            '--summary: $GITHUB_STEP_SUMMARY is not set (it is only set inside a GitHub Actions job); use --md <file> to write the markdown elsewhere',
          );
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
