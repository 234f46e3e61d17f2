import { access } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { readConfusionJson, readMetricsJson, REPORT_FILES, type ConfusionFile, type MetricsFile } from '../evaluate/report-files.js';
import { readTiming, TIMING_FILE, type Timing } from '../util/timing.js';
import { UserError } from '../util/errors.js';
import { fitMarkdownBudget, type BudgetOptions, type MarkdownSection } from './budget.js';
import { CONFUSION_LEGEND, confusionTable, metricsTable, perClassTable, runFactsTable, trainingTable, verdictLine } from './markdown.js';
import { readTrainLog, type TrainLogRow } from './train-log.js';

/** Everything the markdown report of one run is made of. */
export interface RunReport {
  metrics: MetricsFile;
  confusion: ConfusionFile;
  trainLog?: TrainLogRow[];
  /** The run's wall-clock facts (timing.json); absent: the tables leave time and speed out. */
  timing?: Timing;
  /** Metrics to compare against (e.g. the main branch); adds a Δ column. */
  baseline?: MetricsFile;
  title?: string;
  minAccuracy?: number;
  /**
   * Links to the run's PNGs, relative to the markdown file (e.g. `confusion.png`); absent: no
   * pictures (a PR comment or job summary cannot show local files).
   */
  pictures?: readonly string[];
}

const PICTURE_TITLES: Record<string, string> = {
  [REPORT_FILES.confusionPng]: 'Confusion matrix',
  [REPORT_FILES.confusionNormalisedPng]: 'Confusion matrix, row-normalised',
  [REPORT_FILES.learningCurvesPng]: 'Learning curves',
  [REPORT_FILES.misclassifiedPng]: 'Most confidently misclassified test images',
};

function pictureTitle(link: string): string {
  const name = link.slice(link.lastIndexOf('/') + 1);
  return PICTURE_TITLES[name] ?? name.replace(/\.png$/, '').replace(/[_-]/g, ' ');
}

/** The report as ordered sections, for callers that add their own (the PR comment) before fitting a budget. */
export function runReportSections(report: RunReport): MarkdownSection[] {
  const { metrics, confusion } = report;
  const sections: MarkdownSection[] = [
    {
      body: `## ${report.title ?? 'CIFAR-10 evaluation'}\n\n${verdictLine(metrics, { minAccuracy: report.minAccuracy, confusion, baseline: report.baseline })}`,
      fold: 'never',
    },
    { title: 'Metrics', body: `${metricsTable(metrics, report.baseline)}\n\n${runFactsTable(metrics, report.timing?.evaluate)}`, fold: 'never' },
    { title: 'Confusion matrix', body: `${confusionTable(confusion)}\n\n${CONFUSION_LEGEND}` },
    { title: 'Per class', body: perClassTable(metrics, confusion) },
  ];
  if (report.trainLog) sections.push({ title: 'Training', body: trainingTable(report.trainLog, report.timing?.train) });
  if (report.pictures && report.pictures.length > 0) {
    sections.push({ title: 'Pictures', body: report.pictures.map((link) => `![${pictureTitle(link)}](${link})`).join('\n\n') });
  }
  return sections;
}

/** The report as one markdown document within the budget (default: a GitHub comment). */
export function runReportMarkdown(report: RunReport, budget: BudgetOptions = {}): string {
  return `${fitMarkdownBudget(runReportSections(report), budget).markdown}\n`;
}

export interface RunReportFiles {
  /** The folder `cifar10 evaluate` wrote (metrics.json, confusion.json). */
  reports: string;
  /** The training log; default `<reports>/train_log.tsv`, skipped when it does not exist. */
  trainLog?: string;
  /** The timing file; default `<reports>/timing.json`, skipped when it does not exist. */
  timing?: string;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Reads a run's report files; a missing metrics or confusion file is a UserError, a missing log or
 * timing file is skipped unless it was named.
 */
export async function readRunReport(files: RunReportFiles): Promise<Pick<RunReport, 'metrics' | 'confusion' | 'trainLog' | 'timing'>> {
  const logPath = files.trainLog ?? join(files.reports, REPORT_FILES.trainLog);
  const withLog = files.trainLog !== undefined || (await exists(logPath));
  const timingPath = files.timing ?? join(files.reports, TIMING_FILE);
  const [metrics, confusion, trainLog, timing] = await Promise.all([
    readMetricsJson(join(files.reports, REPORT_FILES.metrics)),
    readConfusionJson(join(files.reports, REPORT_FILES.confusionJson)),
    withLog ? readTrainLog(logPath) : undefined,
    readTiming(timingPath),
  ]);
  if (files.timing !== undefined && !timing)
    throw new UserError(`no timing file ${files.timing}; \`cifar10 train\` and \`evaluate\` write it, or leave out --timing`);
  return { metrics, confusion, trainLog, timing };
}

export interface ReportCommandOptions extends RunReportFiles {
  /** Where the markdown will be written; picture links are made relative to it. Absent: no pictures. */
  markdownPath?: string;
  baseline?: string;
  title?: string;
  minAccuracy?: number;
  budget?: BudgetOptions;
}

/** The markdown of one run from its report files: what `cifar10 report` prints or writes. */
export async function buildRunReportMarkdown(options: ReportCommandOptions): Promise<string> {
  const run = await readRunReport(options);
  const baseline = options.baseline ? await readMetricsJson(options.baseline) : undefined;
  let pictures: string[] | undefined;
  if (options.markdownPath !== undefined) {
    const from = dirname(options.markdownPath);
    const candidates: string[] = [
      REPORT_FILES.confusionPng,
      REPORT_FILES.confusionNormalisedPng,
      REPORT_FILES.learningCurvesPng,
      REPORT_FILES.misclassifiedPng,
    ];
    const present = await Promise.all(candidates.map(async (name) => ((await exists(join(options.reports, name))) ? name : undefined)));
    pictures = present.filter((name): name is string => name !== undefined).map((name) => relative(from, join(options.reports, name)).split(sep).join('/'));
  }
  return runReportMarkdown({ ...run, baseline, title: options.title, minAccuracy: options.minAccuracy, pictures }, options.budget);
}
