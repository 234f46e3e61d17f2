import * as core from '@actions/core';
import { isUserError, messageOf } from '../util/errors.js';

/**
 * Runs an action's body the way every shell here does: a `UserError` fails the step with its
 * message alone (what, where, fix), anything else with its stack for the bug report. The runner
 * already masks tokens that come from `github.token` or `secrets.*`; `core.setSecret` is not
 * called because it prints the value (as `::add-mask::`) into the log stream itself. Error texts
 * are scrubbed of the secrets here as well.
 */
export async function runAction(body: () => Promise<void>, secrets: () => string[] = () => []): Promise<void> {
  try {
    await body();
  } catch (error) {
    const scrub = (text: string) => secrets().reduce((t, secret) => (secret ? t.split(secret).join('***') : t), text);
    const text = isUserError(error) ? messageOf(error) : error instanceof Error && error.stack ? error.stack : messageOf(error);
    core.setFailed(scrub(text));
  }
}
