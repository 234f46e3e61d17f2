import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { WorkflowError } from '../expressions.js';
import { run } from '../repository.js';
import { boolInput, type StandIn } from './index.js';

/**
 * actions/checkout v6: a clone of the repository at the run's commit (or `ref`) into
 * `$GITHUB_WORKSPACE/<path>`. With `persist-credentials` (the default) the token is left in the
 * clone's git config as an `http.<server>.extraheader`, as the action does until its post step
 * removes it; with `false` nothing is written.
 */
export const checkout: StandIn = {
  action: 'actions/checkout',
  major: 'v6',
  commits: { d23441a48e516b6c34aea4fa41551a30e30af803: 'v6.1.0' },
  inputs: { repository: '${{ github.repository }}', ref: '', token: '${{ github.token }}', path: '', 'persist-credentials': 'true' },
  async run(context) {
    const { inputs, repository } = context;
    if (inputs.repository !== repository.fullName) throw new WorkflowError(`checkout: only ${repository.fullName} exists here, not ${inputs.repository}`);
    const dest = resolve(context.workspace, inputs.path!);
    if (!dest.startsWith(context.workspace)) throw new WorkflowError(`checkout: path "${inputs.path}" is outside the workspace`);
    await mkdir(dest, { recursive: true });
    for (const entry of await readdir(dest)) await rm(join(dest, entry), { recursive: true, force: true });
    const commit = inputs.ref || context.sha;
    await run('git', ['clone', '--quiet', '--no-checkout', repository.origin, dest]);
    await run('git', ['-C', dest, 'checkout', '--quiet', '--detach', commit]);
    const server = 'https://github.com';
    await run('git', ['-C', dest, 'remote', 'set-url', 'origin', `${server}/${repository.fullName}`]);
    if (boolInput(context, 'persist-credentials')) {
      const basic = Buffer.from(`x-access-token:${inputs.token}`).toString('base64');
      await run('git', ['-C', dest, 'config', '--local', `http.${server}/.extraheader`, `AUTHORIZATION: basic ${basic}`]);
      context.addPost(
        'remove the persisted credentials',
        () => run('git', ['-C', dest, 'config', '--local', '--unset-all', `http.${server}/.extraheader`]).then(() => undefined),
        'always',
      );
    }
    const { stdout } = await run('git', ['-C', dest, 'rev-parse', 'HEAD']);
    context.log(`checked out ${repository.fullName} at ${stdout.trim()} into ${dest}`);
    context.setOutput('ref', inputs.ref || context.ref);
    context.setOutput('commit', stdout.trim());
  },
};
