// A separate process that runs one data verb in the repository given as argv[3], for the tests of
// concurrent pulls and adds and of a read-only workspace: `ops-worker.js pull <repo>` or
// `ops-worker.js add <repo> <path>`. Prints the result as JSON, or the error message with exit 1.
import { add, openRepo, pull } from '../../src/dvc/index.js';
import { messageOf } from '../../src/util/errors.js';

const [verb, root, ...paths] = process.argv.slice(2);
try {
  const repo = await openRepo(root);
  const result = verb === 'add' ? await add(repo, paths, { cwd: repo.root }) : await pull(repo, { jobs: 8, cwd: repo.root });
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  process.stderr.write(`${messageOf(error)}\n`);
  process.exitCode = 1;
}
