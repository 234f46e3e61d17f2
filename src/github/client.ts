import { getOctokit } from '@actions/github';
import { API_TIMEOUT_ENV, DEFAULT_API_TIMEOUT_S, explainGitHubError, GitHubTimeoutError, requestLabel } from './api-errors.js';
import { UserError } from '../util/errors.js';

/** The Octokit `@actions/github` builds: REST methods, `paginate` and `graphql`. */
export type GitHubClient = ReturnType<typeof getOctokit>;

export interface ClientOptions {
  /**
   * REST root, e.g. `https://api.github.com` or a GHES `https://host/api/v3`. Defaults to the
   * runner's `GITHUB_API_URL` (what `@actions/github` reads), so tests and GHES point it elsewhere.
   */
  baseUrl?: string;
  /** Seconds one request may take, its answer included (default: `CIFAR10_GITHUB_TIMEOUT`, else 60). */
  timeoutSeconds?: number;
}

function timeoutSecondsFromEnv(value = process.env[API_TIMEOUT_ENV]): number {
  if (value === undefined || value === '') return DEFAULT_API_TIMEOUT_S;
  const seconds = Number(value);
  if (!(seconds > 0)) throw new UserError(`${API_TIMEOUT_ENV} is "${value}"; set it to a number of seconds above 0, or unset it for ${DEFAULT_API_TIMEOUT_S}`);
  return seconds;
}

/**
 * A client for `token`. Octokit sends the token only in the Authorization header; nothing here
 * logs requests, and callers must never print a request object (its headers hold the token).
 */
export function gitHubClient(token: string, options: ClientOptions = {}): GitHubClient {
  const baseUrl = options.baseUrl ?? process.env.GITHUB_API_URL ?? 'https://api.github.com';
  const seconds = options.timeoutSeconds ?? timeoutSecondsFromEnv();
  // Octokit logs deprecation notes and request errors to the console; callers report failures
  // themselves (scrubbed of the token), so its own log stays silent.
  const client = getOctokit(token, { baseUrl, log: { debug() {}, info() {}, warn() {}, error() {} } });
  // Octokit waits as long as the socket does (undici gives up after 300 s and Octokit calls that
  // "HTTP 500"), so every request, GraphQL included, gets its own deadline, named as a timeout.
  client.hook.wrap('request', async (request, endpoint) => {
    const deadline = AbortSignal.timeout(seconds * 1000);
    const given = endpoint.request?.signal as AbortSignal | undefined;
    endpoint.request = { ...endpoint.request, signal: given ? AbortSignal.any([given, deadline]) : deadline };
    const timedOut = () => {
      const { method, url } = client.request.endpoint.parse(endpoint);
      return new GitHubTimeoutError(requestLabel(method, url), seconds);
    };
    let response;
    try {
      response = await request(endpoint);
    } catch (error) {
      if (deadline.aborted && !given?.aborted) throw timedOut();
      throw error;
    }
    // A body that stalls is cut by the same signal, and Octokit then returns an empty body as data.
    if (deadline.aborted && !given?.aborted) throw timedOut();
    return response;
  });
  return client;
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
  const explained = explainGitHubError(error);
  const status = explained ? undefined : httpStatusOf(error);
  const raw = explained ? explained.message : error instanceof Error ? error.message : String(error);
  const text = token ? raw.split(token).join('***') : raw;
  return status === undefined ? text : `HTTP ${status}: ${text}`;
}
