import { add, openRepo, type ProgressFactory, push } from '../dvc/index.js';

/** `exp push`: tracks the results folder with DVC (`<results>.dvc`) and pushes it to a remote. */
export async function pushResults(options: { resultsDir: string; remote?: string; progress?: ProgressFactory }) {
  const repo = await openRepo();
  const [added] = await add(repo, [options.resultsDir], { progress: options.progress });
  const pushed = await push(repo, { targets: [added!.dvcFile], remote: options.remote, progress: options.progress });
  return { added: added!, pushed };
}
