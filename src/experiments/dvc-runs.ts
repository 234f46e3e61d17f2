import { parse } from 'yaml';
import { listExperiments, readFileAt, valueAt } from '../dvc/index.js';
import { testSetOf, type TestSet } from '../data/test-set.js';
import { type MetricsFile, parseMetricsJson, parsePredictionsCsv, REPORT_FILES } from '../evaluate/report-files.js';
import { DEFAULT_PARAMS_FILE } from '../params.js';
import { PROJECT_PATHS } from '../paths.js';
import type { RunManifest } from './bundle.js';

/** A run `exp show` lists beside the result bundles: an experiment made by `dvc exp run`. */
export interface DvcExperimentRun {
  runId: string;
  manifest: Pick<RunManifest, 'seed' | 'versions'>;
  metrics: MetricsFile;
  /** The images its predictions.csv scored (a cache: false output, so in the experiment's commit). */
  testSet: TestSet;
}

/**
 * The DVC experiments of the repository at `root` (`dvc exp run`, git refs under refs/exps) that
 * have a result: train.seed and data.versions in their params.yaml and the metrics and predictions
 * files in their commit. Those named like a bundle in `bundleIds` are that bundle's record (a cell records itself)
 * and are left out; the others are listed as `<name> (dvc exp)`. `skipped` gets one line per
 * experiment without a readable result.
 */
export async function dvcExperimentRuns(root: string, bundleIds: ReadonlySet<string>, skipped: (line: string) => void = () => {}): Promise<DvcExperimentRun[]> {
  const runs: DvcExperimentRun[] = [];
  for (const exp of await listExperiments(root)) {
    if (bundleIds.has(exp.name)) continue;
    const metricsPath = `${PROJECT_PATHS.reports}/${REPORT_FILES.metrics}`;
    const predictionsPath = `${PROJECT_PATHS.reports}/${REPORT_FILES.predictions}`;
    const [paramsText, metricsText, predictionsText] = await Promise.all(
      [DEFAULT_PARAMS_FILE, metricsPath, predictionsPath].map((path) => readFileAt(root, exp.commit, path)),
    );
    try {
      const missing = [
        paramsText === undefined && DEFAULT_PARAMS_FILE,
        metricsText === undefined && metricsPath,
        predictionsText === undefined && predictionsPath,
      ];
      if (paramsText === undefined || metricsText === undefined || predictionsText === undefined)
        throw new Error(`no ${missing.filter(Boolean).join(', ')} in its commit`);
      const params = parse(paramsText) as unknown;
      const seed = valueAt(params, 'train.seed');
      const versions = valueAt(params, 'data.versions');
      if (typeof seed !== 'number' || typeof versions !== 'string') throw new Error('its params.yaml has no train.seed and data.versions');
      runs.push({
        runId: `${exp.name} (dvc exp)`,
        manifest: { seed, versions },
        metrics: parseMetricsJson(metricsText, `${metricsPath} of experiment ${exp.name}`),
        testSet: testSetOf(parsePredictionsCsv(predictionsText, `${predictionsPath} of experiment ${exp.name}`).map((p) => p.id)),
      });
    } catch (error) {
      skipped(`DVC experiment ${exp.name} (${exp.commit.slice(0, 7)}) is not listed: ${(error as Error).message}`);
    }
  }
  return runs;
}
