import { register } from 'node:module';

/**
 * GitHub's own workflow and action.yml parser, loaded once for the offline checks and the workflow
 * executor. On Node 20 its JSON schema imports need the loader hook in json-hook.ts, registered
 * before the parser is imported.
 */
register(new URL('../actions/json-hook.js', import.meta.url));

export const workflowParser = await import('@actions/workflow-parser');
export const actionParser = await import('@actions/workflow-parser/actions/action-parser');
export const actionTemplate = await import('@actions/workflow-parser/actions/action-template');
export const ifCondition = await import('@actions/workflow-parser/model/converter/if-condition');
export const tokens = await import('@actions/workflow-parser/templates/tokens/index');
export const tokenTypes = await import('@actions/workflow-parser/templates/tokens/types');
