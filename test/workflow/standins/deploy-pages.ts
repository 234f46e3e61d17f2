import { readdir } from 'node:fs/promises';
import { WorkflowError } from '../expressions.js';
import { type StandIn } from './index.js';

/**
 * actions/deploy-pages v5: deploys this run's `artifact_name` artifact (made by
 * upload-pages-artifact: one artifact.tar) to GitHub Pages. Its README's requirements are checked
 * as the Pages API would: the token needs `pages: write` and `id-token: write` (the OIDC token
 * proves where the deployment comes from), and the job should target the `github-pages`
 * environment. Here "deployed" means recorded on the repository, with `page_url` set.
 */
export const deployPages: StandIn = {
  action: 'actions/deploy-pages',
  major: 'v5',
  commits: { cd2ce8fcbc39b97be8ca5fce6e763baed58fa128: 'v5.0.0' },
  inputs: { token: '${{ github.token }}', timeout: '600000', error_count: '10', reporting_interval: '5000', artifact_name: 'github-pages', preview: 'false' },
  async run(context) {
    const { inputs, repository } = context;
    if (context.permissions['id-token'] !== 'write') throw new WorkflowError('Ensure GITHUB_TOKEN has permission "id-token: write".');
    if (context.permissions.pages !== 'write')
      throw new WorkflowError('Failed to create deployment (status: 403) with build version: ensure GITHUB_TOKEN has permission "pages: write".');
    if (context.environment !== 'github-pages')
      context.warning(
        `deploy-pages: the job targets ${context.environment ? `environment ${context.environment}` : 'no environment'}; GitHub recommends github-pages, whose protection rules keep deployments to the default branch`,
      );
    const artifact = repository.artifactsOf(context.runId).find((a) => a.name === inputs.artifact_name);
    if (!artifact)
      throw new WorkflowError(
        `No artifacts named "${inputs.artifact_name}" were found for this workflow run. Ensure artifacts are uploaded with actions/upload-pages-artifact.`,
      );
    const files = await readdir(repository.artifactDir(artifact));
    if (files.length !== 1 || files[0] !== 'artifact.tar')
      throw new WorkflowError(
        `Artifact "${inputs.artifact_name}" must hold exactly one artifact.tar (as actions/upload-pages-artifact makes it); it holds ${files.join(', ')}`,
      );
    const [owner, name] = repository.fullName.split('/');
    const url = `https://${owner}.github.io/${name}/`;
    context.log(`Created deployment for ${context.sha}, artifact ${artifact.id}; reported success at ${url}`);
    context.setOutput('page_url', url);
  },
};
