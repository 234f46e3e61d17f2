import { getOctokit } from '@actions/github';

/** The Octokit `@actions/github` builds: REST methods, `paginate` and `graphql`. */
export type GitHubClient = ReturnType<typeof getOctokit>;

export interface ClientOptions {
  /**
   * REST root, e.g. `https://api.github.com` or a GHES `https://host/api/v3`. Defaults to the
   * runner's `GITHUB_API_URL` (what `@actions/github` reads), so tests and GHES point it elsewhere.
   */
  baseUrl?: string;
}

/**
 * A client for `token`. Octokit sends the token only in the Authorization header; nothing here
 * logs requests, and callers must never print a request object (its headers hold the token).
 */
export function gitHubClient(token: string, options: ClientOptions = {}): GitHubClient {
  const baseUrl = options.baseUrl ?? process.env.GITHUB_API_URL ?? 'https://api.github.com';
  // Octokit logs deprecation notes and request errors to the console; callers report failures
  // themselves (scrubbed of the token), so its own log stays silent.
  return getOctokit(token, { baseUrl, log: { debug() {}, info() {}, warn() {}, error() {} } });
}

/** The HTTP status of an Octokit `RequestError` (or anything shaped like it), if any. */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'status' in error && typeof (error as { status: unknown }).status === 'number') {
    return (error as { status: number }).status;
  }
  return undefined;
}

/**
 * A message for logs that never carries the token: Octokit's errors keep the request (with its
 * Authorization header) on a property, so only the status and the server's message are used.
 */
export function safeErrorMessage(error: unknown, token?: string): string {
  const status = httpStatusOf(error);
  const raw = error instanceof Error ? error.message : String(error);
  const text = token ? raw.split(token).join('***') : raw;
  return status === undefined ? text : `HTTP ${status}: ${text}`;
}
