// A separate process that runs `pull` in the repository given as argv[2], for the tests of
// concurrent pulls and of a read-only workspace. Prints the error message and exits 1 on failure.
import { pull } from '../../src/dvc/ops/pull.js';
import { openRepo } from '../../src/dvc/repo.js';
import { messageOf } from '../../src/util/errors.js';

try {
  const repo = await openRepo(process.argv[2]);
  const result = await pull(repo, { jobs: 8, cwd: repo.root });
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  process.stderr.write(`${messageOf(error)}\n`);
  process.exitCode = 1;
}
