/**
 * A DVC 3.x-compatible data layer: the one entry of src/dvc. It reads and writes what the real
 * DVC reads and writes (`.dvc` files, `.dvc/config`, the cache, remotes, `dvc.yaml`/`dvc.lock`)
 * and knows nothing of the project that uses it: no dataset, no folder layout, no program name.
 * Its errors name their fixes as command hints (src/util/hints.ts) that the program printing
 * them spells; a failure of the remote itself is a `RemoteError`.
 *
 * Inside: `object-store` (objects by hash, `.dir` manifests) and `save` store data; `hash`,
 * `manifest` and `dvcignore` hash it as DVC does; `workspace/` checks out in two steps, a plan
 * that can be printed and its application; `ops/` are DVC's verbs; `remote/` the stores behind
 * one interface; `pipeline/` runs dvc.yaml.
 */

// Repositories and their config.
export {
  addToGitignore,
  DVC_DIR,
  DVC_GITIGNORE,
  DVCIGNORE_TEXT,
  findRepoRoot,
  initRepo,
  type InitResult,
  linkTypeFrom,
  loadRepo,
  openRepo,
  type Repo,
} from './repo.js';
export { CONFIG_FILE, editConfigFile, formatIni, type IniDoc, LOCAL_CONFIG_FILE, parseIni, readConfig, readConfigFile } from './config-file.js';
export {
  addRemote,
  type AddRemoteOptions,
  configUrlFor,
  defaultRemoteName,
  listRemotes,
  modifyRemote,
  remoteSectionName,
  selectRemote,
  setDefaultRemote,
  urlHasPassword,
} from './config.js';
export { LOCK_ENV, lockRepo, withRepoLock, withRepoLockAt } from './repo-lock.js';
export { formatLockFile, type LockHolder, parseLockFile } from './repo-lock-file.js';
export { locked } from './ops/locked.js';
export { DEFAULT_JOBS, parseJobs } from './jobs.js';
export { invalidYamlError, safeUrl } from './messages.js';
export { findLinkOut, safeName, safeRelativePath, unsafePathReason, UnsafePathError } from './paths.js';

// Hashes, manifests, .dvcignore.
export { DIR_SUFFIX, dirHashInfo, hashDirFiles, type HashedFile, type HashInfo, hashPath, isDirHash, md5Bytes, md5File } from './hash.js';
export { compareCodePoints, type ManifestEntry, manifestBytes, pythonJsonString, sortManifest } from './manifest.js';
export { DVCIGNORE_FILE, IgnoreRules } from './dvcignore.js';

// The object store and checkout.
export {
  contentMd5,
  CorruptObjectError,
  hasObject,
  hasTree,
  MissingObjectError,
  objectKey,
  objectPath,
  readDirManifest,
  UnsafeManifestError,
  verifyObject,
} from './object-store.js';
export { hashTree, saveToCache, storeVerifiedTree, type TreeFile, TreeMismatchError } from './save.js';
export { type CheckoutPlan, describeCheckoutPlan, type DirPlan, type FilePlan, planCheckout } from './workspace/plan.js';
export { applyCheckoutPlan } from './workspace/apply.js';
export { checkoutFromCache, UncachedChangesError } from './workspace/checkout.js';
export type { CacheRepo, CheckoutResult, LinkType } from './workspace/types.js';

// .dvc files and DVC's verbs.
export {
  type DvcFile,
  dvcFileFor,
  dvcFileWithHash,
  type DvcOut,
  findDvcFiles,
  formatDvcFile,
  parseDvcFile,
  readDvcFile,
  repoRelative,
  writeDvcFile,
} from './dvcfile.js';
export { add, type AddedOutput, type AddOptions, gitAddHint } from './ops/add.js';
export { checkout, checkoutOutputs, type CheckoutOptions, type OutputCheckout } from './ops/checkout.js';
export { fetch, fetchOutputs, type FetchResult, type TransferOptions } from './ops/fetch.js';
export { pull, pullOutputs, type PullOptions, type PullResult } from './ops/pull.js';
export { push, type PushedOutput, pushOutputs, type PushOutputsResult, type PushResult } from './ops/push.js';
export { cloudStatus, type CloudState, type CloudStatus, type OutputStatus, status, type WorkspaceState } from './ops/status.js';
export { type CollectOptions, collectOutputs, NO_PROGRESS, type ProgressFactory, type TrackedOutput, withHash } from './ops/outputs.js';

// Remotes.
export { openRemote } from './remote/index.js';
export { RemoteError, type RemoteProblem } from './remote/errors.js';
export type { RemoteConfig, RemoteStore } from './remote/types.js';

// Pipelines (dvc.yaml, dvc.lock, repro).
export { DEFAULT_PARAMS_FILE, findStage, parsePipeline, type Pipeline, PIPELINE_FILE, readPipeline, type Stage } from './pipeline/dvcyaml.js';
export { gitFilesOf } from './pipeline/git-files.js';
export { type PipelineOutput, pipelineOutputs } from './pipeline/outputs.js';
export { formatLock, type Lock, LOCK_FILE, parseLock, readLock } from './pipeline/lock.js';
export { applyOverrides, type ParamOverride, parseOverride, valueAt } from './pipeline/params.js';
export { pipelineStatus, reproduce, type ReproOptions, type StageOutcome } from './pipeline/repro.js';
export { StageFailedError } from './pipeline/run-stage.js';
export type { StageStatus } from './pipeline/status.js';

// The project's one git runner, and DVC experiments in git (refs/exps), both ways.
export { git, GitError } from './git.js';
export { type DvcExperiment, experimentFiles, listExperiments, readFileAt, recordExperiment, type RecordOptions } from './experiments.js';
