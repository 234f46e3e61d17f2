import { UserError } from '../util/errors.js';

/**
 * What a failed GitHub API call means for the person reading the job log. Octokit throws an
 * `HttpError` whose message is the server's ("Bad credentials") and whose stack says nothing
 * useful; the status says what to fix. Only the method, host and path are shown: Octokit keeps the
 * request headers (with the token) on the error, and those are never read here.
 */

/** A GitHub API request that got no complete answer in time (see `gitHubClient`). */
export class GitHubTimeoutError extends UserError {
  constructor(request: string, seconds: number) {
    super(
      `timeout: the GitHub API did not answer ${request} within ${seconds} s; GitHub may be slow or unreachable from this runner: re-run the job later (the limit per request is the ${API_TIMEOUT_ENV} variable, in seconds)`,
    );
    this.name = 'GitHubTimeoutError';
  }
}

/** Seconds one GitHub API request may take (the answer included) before it is given up. */
export const API_TIMEOUT_ENV = 'CIFAR10_GITHUB_TIMEOUT';
export const DEFAULT_API_TIMEOUT_S = 60;

interface HttpErrorShape {
  status: number;
  request?: { method?: string; url?: string };
  response?: { headers?: Record<string, string | undefined> };
}

const isHttpError = (error: unknown): error is HttpErrorShape =>
  typeof error === 'object' && error !== null && typeof (error as { status?: unknown }).status === 'number';

/** `POST api.github.com/graphql`: the request without its query string (which could carry secrets). */
export function requestLabel(method: string | undefined, url: string | undefined): string {
  let where = url ?? 'an unknown URL';
  try {
    const parsed = new URL(where);
    where = `${parsed.host}${parsed.pathname}`;
  } catch {
    // Not absolute: shown as it is, without a query string.
    where = where.split('?')[0]!;
  }
  return `${method ?? 'a request to'} ${where}`;
}

/**
 * A `UserError` saying what an error of the GitHub API means and how to fix it, or undefined when
 * `error` did not come from the API (it is then the caller's to report).
 */
export function explainGitHubError(error: unknown): UserError | undefined {
  if (error instanceof UserError) return undefined;
  if (!isHttpError(error) || !error.request) return undefined;
  const request = requestLabel(error.request.method, error.request.url);
  const server = error instanceof Error && error.message ? ` (${error.message})` : '';
  const headers = error.response?.headers ?? {};
  if (!error.response) {
    return new UserError(`could not reach the GitHub API: ${request} failed${server}; check GITHUB_API_URL and the runner's network, then re-run the job`, {
      cause: error,
    });
  }
  switch (error.status) {
    case 401:
      return new UserError(
        `GitHub refused the token: HTTP 401${server} for ${request}. The token is wrong or expired; pass \${{ github.token }} or a secret holding a valid token`,
        { cause: error },
      );
    case 403:
    case 429:
      if (headers['x-ratelimit-remaining'] === '0' || /rate limit/i.test(server)) {
        const reset = Number(headers['x-ratelimit-reset']);
        const when = Number.isFinite(reset) && reset > 0 ? ` until ${new Date(reset * 1000).toISOString()}` : '';
        return new UserError(`GitHub's API rate limit for this token is used up${when} (HTTP ${error.status} for ${request}); re-run the job later`, {
          cause: error,
        });
      }
      return new UserError(
        `GitHub forbade ${request}: HTTP ${error.status}${server}. The token is read-only (pull requests from forks get one) or lacks a permission; give the workflow \`permissions: pull-requests: write\`, or post from the workflow_run workflow`,
        { cause: error },
      );
    case 404:
      return new UserError(
        `GitHub answered 404 Not Found for ${request}: the repository or pull request does not exist, or the token cannot see it; check GITHUB_REPOSITORY and the token's access`,
        { cause: error },
      );
    default:
      return new UserError(
        `GitHub answered HTTP ${error.status}${server} for ${request}${error.status >= 500 ? '; GitHub is having trouble: re-run the job later' : ''}`,
        { cause: error },
      );
  }
}
