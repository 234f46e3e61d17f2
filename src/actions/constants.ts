/**
 * Every input and output name of every action, once (as actions/cache's constants.ts does): the
 * shells read inputs through these, and the tests check each action.yml declares exactly these.
 */

export const Plan = {
  inputs: {
    fullSeeds: 'full-seeds',
    fullVersions: 'full-versions',
    fullEpochs: 'full-epochs',
    quickSeeds: 'quick-seeds',
    quickVersions: 'quick-versions',
    quickEpochs: 'quick-epochs',
  },
  outputs: { matrix: 'matrix', kind: 'kind', cells: 'cells', versions: 'versions' },
} as const;

export const SetupData = {
  inputs: {
    versions: 'versions',
    source: 'source',
    remote: 'remote',
    saveCache: 'save-cache',
    cachePrefix: 'cache-prefix',
    cifarSource: 'cifar-source',
  },
  outputs: { cacheHit: 'cache-hit', cacheKey: 'cache-key', pulled: 'pulled', source: 'source' },
} as const;

export const RunExperiment = {
  inputs: {
    seed: 'seed',
    versions: 'versions',
    epochs: 'epochs',
    overrides: 'overrides',
    resultsDir: 'results-dir',
    backend: 'backend',
  },
  outputs: { runId: 'run-id', bundle: 'bundle', accuracy: 'accuracy' },
} as const;

export const Report = {
  inputs: {
    bundles: 'bundles',
    baseline: 'baseline',
    baselineRun: 'baseline-run',
    token: 'token',
    comment: 'comment',
    commentFile: 'comment-file',
    failOnRegression: 'fail-on-regression',
    matrix: 'matrix',
    kind: 'kind',
    out: 'out',
    history: 'history',
    pageUrl: 'page-url',
    partitions: 'partitions',
    planFile: 'plan-file',
    publishPictures: 'publish-pictures',
  },
  outputs: { commentUrl: 'comment-url', commentAction: 'comment-action', regressed: 'regressed', bestRun: 'best-run' },
} as const;

export const FindBaseline = {
  inputs: { workflow: 'workflow', branch: 'branch', event: 'event', pattern: 'pattern', token: 'token' },
  outputs: { runId: 'run-id', run: 'run', status: 'status' },
} as const;

export const PostComment = {
  inputs: { bundles: 'bundles', baseline: 'baseline', baselineRun: 'baseline-run', planFile: 'plan-file', token: 'token', publishPictures: 'publish-pictures' },
  outputs: { commentUrl: 'comment-url', commentAction: 'comment-action', pullRequest: 'pull-request' },
} as const;

/** Each action's names, by the folder name under `actions/`. */
export const ACTIONS = {
  plan: Plan,
  'setup-data': SetupData,
  'run-experiment': RunExperiment,
  report: Report,
  'find-baseline': FindBaseline,
  'post-comment': PostComment,
} as const;
