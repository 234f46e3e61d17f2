import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { namePattern } from '../../../src/github/baseline.js';
import type { FakeArtifact } from '../../github/fake-github.js';
import { WorkflowError } from '../expressions.js';
import { copyTree } from '../repository.js';
import { boolInput, type StandIn, type StandInContext } from './index.js';

/**
 * actions/download-artifact v8: by `name` (missing: "Artifact 'x' not found"), else every
 * artifact of the run or those matching `pattern`. Without `github-token` only the current run is
 * read (`run-id` is then ignored, as in the action); with it, the run `run-id` of `repository`,
 * listed through the REST API with that token, so a token that may not read Actions fails. A named
 * artifact, `merge-multiple`, or exactly one match unpacks straight into `path`; several go to
 * `path/<name>/` (README, "v5 - What's new": "this change also applies to patterns that only match
 * a single artifact"). An expired artifact cannot be downloaded (the API's 410).
 */

interface ListedArtifact {
  id: number;
  name: string;
  expired: boolean;
  created_at: string;
}

async function listWithToken(context: StandInContext, runId: string): Promise<ListedArtifact[]> {
  const { inputs } = context;
  const url = `${context.apiUrl}/repos/${inputs.repository}/actions/runs/${runId}/artifacts?per_page=100`;
  const response = await fetch(url, { headers: { authorization: `Bearer ${inputs['github-token']}`, accept: 'application/vnd.github+json' } });
  const body = (await response.json()) as { artifacts?: ListedArtifact[]; message?: string };
  if (!response.ok)
    throw new WorkflowError(`Unable to download artifact(s): listing the artifacts of run ${runId} failed: HTTP ${response.status}: ${body.message ?? ''}`);
  return body.artifacts ?? [];
}

export const downloadArtifact: StandIn = {
  action: 'actions/download-artifact',
  major: 'v8',
  commits: { '3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c': 'v8.0.1' },
  inputs: {
    name: '',
    path: '',
    pattern: '',
    'merge-multiple': 'false',
    'github-token': '',
    repository: '${{ github.repository }}',
    'run-id': '${{ github.run_id }}',
  },
  async run(context) {
    const { inputs, repository } = context;
    const dest = resolve(context.workspace, inputs.path || '.');
    let artifacts: FakeArtifact[];
    if (inputs['github-token']) {
      if (inputs.repository !== repository.fullName) throw new WorkflowError(`download-artifact stand-in: only ${repository.fullName} exists here`);
      const listed = await listWithToken(context, inputs['run-id']!);
      // `latest: true`: one artifact per name, the newest.
      const latest = [...new Map([...listed].sort((a, b) => a.created_at.localeCompare(b.created_at)).map((a) => [a.name, a])).values()];
      artifacts = latest.map((a) => {
        if (a.expired) throw new WorkflowError(`Unable to download artifact(s): artifact '${a.name}' (ID ${a.id}) has expired (HTTP 410)`);
        return repository.github.artifacts.find((stored) => stored.id === a.id)!;
      });
    } else {
      artifacts = repository.artifactsOf(context.runId);
    }
    const single = Boolean(inputs.name);
    if (single) {
      const found = artifacts.find((a) => a.name === inputs.name);
      if (!found) throw new WorkflowError(`Unable to download artifact(s): Artifact '${inputs.name}' not found`);
      artifacts = [found];
    } else if (inputs.pattern) {
      // minimatch in the action; the patterns here use only * and ? (anything else is refused).
      const matches = namePattern(inputs.pattern);
      artifacts = artifacts.filter((a) => matches(a.name));
    }
    const direct = single || boolInput(context, 'merge-multiple') || artifacts.length === 1;
    await mkdir(dest, { recursive: true });
    for (const artifact of artifacts) {
      await copyTree(repository.artifactDir(artifact), direct ? dest : join(dest, artifact.name));
      context.log(`- ${artifact.name} (ID: ${artifact.id}, Size: ${artifact.size}) → ${direct ? dest : join(dest, artifact.name)}`);
    }
    context.log(`Total of ${artifacts.length} artifact(s) downloaded`);
    context.setOutput('download-path', dest);
  },
};
