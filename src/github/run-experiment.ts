import { markdownTable } from 'markdown-table';
import { runCell, type CellOptions, type CellResult } from '../experiments/cell.js';
import { reportPath } from '../evaluate/report-files.js';
import { confusionHeatmapSpec, learningCurvesSpec } from '../report/charts.js';
import { renderVegaLitePng } from '../report/render.js';
import { readRunReport, runReportMarkdown } from '../report/run-report.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';

/**
 * One matrix cell on a runner: prepare, train and evaluate with the cell's seed, versions and
 * epochs (through the experiments runner), then the confusion and learning-curve pictures into the
 * bundle (uploaded with it; comments cannot show local images) and the job-summary markdown.
 */

export interface ExperimentCellOptions {
  root: string;
  seed: number;
  versions: string;
  epochs?: number;
  /** `train.backend`: auto, tensorflow, wasm or cpu. */
  backend?: string;
  /** Further `group.key=value` params overrides. */
  overrides?: string[];
  resultsDir?: string;
  stageRunner?: string;
  log?: (line: string) => void;
  /** Stops the cell's stage processes (a cancelled job). */
  signal?: AbortSignal;
}

export interface ExperimentCellResult extends CellResult {
  summary: string;
  /** Pictures added to the bundle (the artifact), since a comment cannot show local images. */
  pictures: string[];
}

const OVERRIDE = /^[a-z_]+\.[a-z_][a-z0-9_]*=.*$/i;

/** `train.lr=0.01 prepare.val=0.2` (spaces or newlines between) → a list, each checked for shape. */
export function parseOverrides(text: string, source: string): string[] {
  const items = text.split(/\s+/).filter((item) => item !== '');
  for (const item of items) {
    if (!OVERRIDE.test(item)) throw new UserError(`${source}: "${item}" is not a params override; write group.key=value, e.g. train.lr=0.001`);
  }
  return items;
}

function factsTable(result: CellResult): string {
  const m = result.manifest;
  const stages = Object.entries(m.durations)
    .map(([stage, seconds]) => `${stage} ${seconds.toFixed(0)} s`)
    .join(', ');
  const data = Object.entries(m.data)
    .map(([name, hash]) => `${name} \`${hash.slice(0, 8)}\``)
    .join(', ');
  return markdownTable(
    [
      ['commit', 'data (DVC hashes)', 'backend', 'runner', 'durations'],
      [
        m.git.commit ? `\`${m.git.commit.slice(0, 7)}\`${m.git.dirty ? ' (dirty)' : ''}` : 'n/a',
        data,
        m.backend,
        `${m.host.name} (${m.host.cpus} × ${m.host.cpu_model}, Node ${m.host.node})`,
        stages,
      ],
    ],
    { align: ['l', 'l', 'l', 'l', 'l'] },
  );
}

export async function runExperimentCell(options: ExperimentCellOptions): Promise<ExperimentCellResult> {
  const overrides = [...(options.overrides ?? [])];
  if (options.epochs !== undefined) overrides.push(`train.epochs=${options.epochs}`);
  if (options.backend !== undefined) overrides.push(`train.backend=${options.backend}`);
  const cell: CellOptions = {
    root: options.root,
    seed: options.seed,
    versions: options.versions,
    overrides,
    resultsDir: options.resultsDir,
    stageRunner: options.stageRunner,
    log: options.log,
    signal: options.signal,
  };
  const result = await runCell(cell);
  const report = await readRunReport({ reports: result.bundleDir });
  const charts = [[reportPath(result.bundleDir, 'confusionPng'), confusionHeatmapSpec(report.confusion.classes, report.confusion.matrix)] as const];
  const all = report.trainLog?.length ? [...charts, [reportPath(result.bundleDir, 'learningCurvesPng'), learningCurvesSpec(report.trainLog)] as const] : charts;
  const pictures: string[] = [];
  for (const [path, spec] of all) {
    await writeFileAtomic(path, await renderVegaLitePng(spec, { scale: 1.5 }));
    pictures.push(path);
  }
  const summary = `${runReportMarkdown({ ...report, title: `Run ${result.runId}` }, { limit: 200_000 }).trimEnd()}\n\n${factsTable(result)}\n`;
  return { ...result, summary, pictures };
}
