import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import { WorkflowError } from '../expressions.js';
import { boolInput, type StandIn } from './index.js';

/**
 * actions/setup-node v6, on a machine that cannot download Node: it checks that the requested
 * version is one package.json's `engines` allows and that the node on PATH is one too, then says
 * which node the job really runs. Its npm caching (`cache:`, or automatic when package.json names
 * npm as its package manager) is not reproduced, so asking for it fails loudly.
 */

/** Whether some release of `major` satisfies `engines` (setup-node installs the newest of a major). */
function majorAllowed(major: number, engines: string): boolean {
  if (semver.validRange(engines) === null) throw new WorkflowError(`setup-node stand-in: package.json engines.node "${engines}" is not a semver range`);
  return semver.intersects(`${major}.x`, engines);
}

export const setupNode: StandIn = {
  action: 'actions/setup-node',
  major: 'v6',
  commits: { '249970729cb0ef3589644e2896645e5dc5ba9c38': 'v6.5.0' },
  inputs: { 'node-version': '', cache: '', 'package-manager-cache': 'true', token: "${{ github.server_url == 'https://github.com' && github.token || '' }}" },
  async run(context) {
    const requested = context.inputs['node-version']!;
    const pkg = JSON.parse(await readFile(join(context.workspace, 'package.json'), 'utf8').catch(() => '{}')) as {
      engines?: { node?: string };
      packageManager?: string;
    };
    if (context.inputs.cache) throw new WorkflowError(`setup-node stand-in: cache: ${context.inputs.cache} is not reproduced here`);
    if (boolInput(context, 'package-manager-cache') && pkg.packageManager?.startsWith('npm')) {
      throw new WorkflowError(
        'setup-node stand-in: automatic npm caching (package.json packageManager: npm) is not reproduced here; set package-manager-cache: false',
      );
    }
    const requestedMajor = /^v?(\d+)(?:\.[\dx]+){0,2}$/.exec(requested)?.[1];
    if (!requestedMajor) throw new WorkflowError(`setup-node stand-in: node-version "${requested}" is not a major or a full version`);
    const running = process.version;
    if (pkg.engines?.node) {
      if (!majorAllowed(Number(requestedMajor), pkg.engines.node))
        throw new WorkflowError(`node-version ${requested} is outside package.json's engines.node ${pkg.engines.node}`);
      if (!semver.satisfies(running, pkg.engines.node))
        throw new WorkflowError(`the node on PATH (${running}) is outside package.json's engines.node ${pkg.engines.node}`);
    }
    context.notice(
      `setup-node stand-in: node-version ${requested} was asked for; this runner runs the node on PATH, ${running}${pkg.engines?.node ? ` (package.json engines.node ${pkg.engines.node} allows both)` : ''}`,
    );
    context.setOutput('node-version', running);
    context.setOutput('cache-hit', 'false');
  },
};
