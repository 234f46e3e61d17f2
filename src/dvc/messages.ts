import { UserError } from '../util/errors.js';

/** Pieces of user-facing messages that several parts of the data layer print the same way. */

/**
 * A remote URL or endpoint fit for messages and logs: user info (`https://user:token@host`) and the
 * query (signed URLs) are removed. A local path has neither and comes back as it is; a URL that
 * does not parse is not shown at all, since its user info cannot be told apart.
 */
export function safeUrl(url: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '<invalid URL>';
  }
}

/**
 * The error for a YAML file that does not parse. The parser's message ends with the offending line
 * and a caret under the spot, so the fix points there.
 */
export function invalidYamlError(file: string, detail: string, cause?: unknown): UserError {
  return new UserError(`${file} is not valid YAML: ${detail.trimEnd()}\nFix ${file} at the line shown above and run the command again.`, { cause });
}
