import * as core from '@actions/core';
import { CIFAR10_SHELL } from '../cifar10-shell.js';
import { explainGitHubError } from '../github/api-errors.js';
import { errorText, stackText } from '../util/error-text.js';
import { useShell } from '../util/hints.js';

/** Debug logging of the runner: "Enable debug logging" on a re-run sets RUNNER_DEBUG, the ACTIONS_STEP_DEBUG secret or variable does too. */
export const stepDebug = (env: NodeJS.ProcessEnv = process.env): boolean => env.RUNNER_DEBUG === '1' || env.ACTIONS_STEP_DEBUG === 'true';

/**
 * Runs an action's body the way every shell here does: a `UserError` fails the step with its
 * message alone (what, where, fix), an HTTP error of the GitHub API with what its status means, and
 * anything else with one line and a hint; stacks are logged only with step debug logging on. The
 * runner already masks tokens that come from `github.token` or `secrets.*`; `core.setSecret` is
 * not called because it prints the value (as `::add-mask::`) into the log stream itself. Error
 * texts are scrubbed of the secrets here as well.
 */
export async function runAction(body: (secret: (value: string) => string) => Promise<void>): Promise<void> {
  useShell(CIFAR10_SHELL);
  // The body hands each secret through `secret` as it reads it (e.g. the token input), so a failure after that point is scrubbed of it.
  const secrets: string[] = [];
  try {
    await body((value) => {
      secrets.push(value);
      return value;
    });
  } catch (error) {
    const scrub = (text: string) => secrets.reduce((t, secret) => (secret ? t.split(secret).join('***') : t), text);
    const shown = explainGitHubError(error) ?? error;
    core.setFailed(scrub(errorText(shown, { verbose: false, moreHint: 're-run the job with debug logging enabled' })));
    if (stepDebug()) core.debug(scrub(stackText(error)));
  }
}
