import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';

/**
 * A small GitHub on 127.0.0.1 speaking the REST and GraphQL endpoints the actions and workflows
 * use: issue comments (list with Link paging, create, update), pull requests by head, `viewer` over
 * GraphQL, a workflow's runs and a run's artifacts (with GitHub's expiry). Tokens map to users; a
 * read-only token gets GitHub's 403 on writes, as fork PRs do, and a token with `permissions` (a
 * workflow job's `GITHUB_TOKEN`) gets 403 wherever its job did not ask for the scope.
 * The Git Data calls the pictures use (blobs, trees, commits, refs) keep a small object store, and
 * `GET /{owner}/{repo}/raw/{sha}/{path}` serves a file of a commit as github.com's raw links do.
 * `misbehave` makes it a hostile API: it never answers, answers the headers but never the body, or
 * answers every request with one status (GitHub's own bodies and headers for 401, 403, 404, 429).
 */

export type Misbehaviour = { kind: 'never-answer' } | { kind: 'no-body' } | { kind: 'status'; status: 401 | 403 | 404 | 429 | 502; rateLimited?: boolean };

export type Permission = 'read' | 'write' | 'none';

export interface FakeUser {
  login: string;
  type: 'User' | 'Bot';
  /** What GraphQL's viewer calls this user (GitHub drops the `[bot]` suffix for app bots). */
  viewerLogin?: string;
  readOnly?: boolean;
  /** A job token's scopes (`pull-requests: write`, `actions: read`, …); absent: every scope. */
  permissions?: Record<string, Permission>;
}

/** A workflow run as `GET /repos/{owner}/{repo}/actions/runs` lists it. */
export interface FakeRun {
  id: number;
  name: string;
  /** `.github/workflows/pr.yml` */
  path: string;
  event: string;
  head_branch: string | null;
  head_sha: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: 'success' | 'failure' | 'cancelled' | 'skipped' | null;
  /** Milliseconds on this server's clock. */
  created: number;
}

export interface FakeArtifact {
  id: number;
  runId: number;
  name: string;
  size: number;
  digest: string;
  /** Milliseconds on this server's clock; the artifact is expired from `expires` on. */
  created: number;
  expires: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export interface FakeComment {
  id: number;
  issue: number;
  body: string;
  user: { login: string; type: string };
  updated: number;
}

export interface FakePull {
  number: number;
  headSha: string;
  headLabel: string;
  state: 'open' | 'closed';
}

export interface LoggedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
}

export class FakeGitHub {
  readonly requests: LoggedRequest[] = [];
  readonly comments: FakeComment[] = [];
  readonly pulls: FakePull[] = [];
  readonly runs: FakeRun[] = [];
  readonly artifacts: FakeArtifact[] = [];
  private readonly users = new Map<string, FakeUser>();
  /** Git objects by sha: blob bytes, trees (flat: every file's full path), commits. */
  readonly blobs = new Map<string, Buffer>();
  readonly trees = new Map<string, { path: string; mode: string; type: 'blob'; sha: string }[]>();
  readonly commits = new Map<string, { tree: string; parents: string[]; message: string }>();
  /** Branch name → commit sha. */
  readonly refs = new Map<string, string>();
  private nextId = 1000;
  /** Days this server's clock runs ahead of the machine's (artifacts expire by it). */
  private daysAhead = 0;
  private server!: Server;
  url = '';
  /** When set, every request gets this treatment instead of an answer. */
  misbehave: Misbehaviour | undefined;

  constructor(
    readonly owner = 'octo',
    readonly repo = 'cifar',
  ) {}

  addToken(token: string, user: FakeUser): void {
    this.users.set(token, user);
  }

  removeToken(token: string): void {
    this.users.delete(token);
  }

  /** This server's clock, in milliseconds. */
  now(): number {
    return Date.now() + this.daysAhead * DAY_MS;
  }

  advanceDays(days: number): void {
    this.daysAhead += days;
  }

  /** A fresh id for a run or an artifact. */
  newId(): number {
    return this.nextId++;
  }

  addComment(issue: number, body: string, user: { login: string; type: string }): FakeComment {
    const comment = { id: this.nextId++, issue, body, user, updated: 0 };
    this.comments.push(comment);
    return comment;
  }

  commentsOn(issue: number): FakeComment[] {
    return this.comments.filter((c) => c.issue === issue);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: String(error) }));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private commentJson(c: FakeComment) {
    return {
      id: c.id,
      body: c.body,
      user: c.user,
      html_url: `https://github.com/${this.owner}/${this.repo}/pull/${c.issue}#issuecomment-${c.id}`,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ method: req.method ?? '', path: url.pathname + url.search, authorization: req.headers.authorization });
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    if (this.misbehave?.kind === 'never-answer') return;
    // The web host's raw files: public, no token (this fake plays a public repository).
    const raw = new RegExp(`^/${this.owner}/${this.repo}/raw/([0-9a-f]{40})/(.+)$`).exec(url.pathname);
    if (raw && req.method === 'GET') {
      const file = this.fileAt(raw[1]!, decodeURIComponent(raw[2]!));
      if (!file) return send(404, { message: 'Not Found' });
      const type = file.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) ? 'image/png' : 'application/octet-stream';
      res.writeHead(200, { 'content-type': type, 'content-length': String(file.length), 'access-control-allow-origin': '*' });
      res.end(file);
      return;
    }
    if (this.misbehave?.kind === 'no-body') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': '1000' });
      res.write('{"data": ');
      return;
    }
    if (this.misbehave?.kind === 'status') {
      const { status, rateLimited } = this.misbehave;
      const messages: Record<number, string> = {
        401: 'Bad credentials',
        403: rateLimited ? 'API rate limit exceeded for installation ID 1.' : 'Resource not accessible by integration',
        404: 'Not Found',
        429: 'API rate limit exceeded',
        502: 'Server Error',
      };
      const limit: Record<string, string> = rateLimited ? { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1893456000' } : {};
      return send(status, { message: messages[status], documentation_url: 'https://docs.github.com/rest' }, limit);
    }
    const token = /^(?:token|bearer) (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const user = token === undefined ? undefined : this.users.get(token);
    if (!user) return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    const forbidden = () => send(403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest/issues/comments' });
    const allowed = (scopes: string[], level: 'read' | 'write') => {
      if (level === 'write' && user.readOnly) return false;
      if (!user.permissions) return true;
      return scopes.some((scope) => {
        const granted = user.permissions![scope] ?? 'none';
        return level === 'read' ? granted !== 'none' : granted === 'write';
      });
    };
    // GitHub takes either scope for a pull request's comments.
    const commentScopes = ['pull-requests', 'issues'];

    if (req.method === 'POST' && url.pathname === '/graphql') {
      if (!/viewer\s*\{\s*login/.test(String(body.query))) return send(200, { errors: [{ message: 'unsupported query' }] });
      return send(200, { data: { viewer: { login: user.viewerLogin ?? user.login } } });
    }
    const prefix = `/repos/${this.owner}/${this.repo}`;
    const list = new RegExp(`^${prefix}/issues/(\\d+)/comments$`).exec(url.pathname);
    if (list && req.method === 'GET') {
      const all = this.commentsOn(Number(list[1]));
      const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
      const page = Number(url.searchParams.get('page') ?? 1);
      const last = Math.max(1, Math.ceil(all.length / perPage));
      const links: string[] = [];
      const link = (p: number, rel: string) => `<${this.url}${url.pathname}?per_page=${perPage}&page=${p}>; rel="${rel}"`;
      if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
      if (page > 1) links.push(link(1, 'first'), link(page - 1, 'prev'));
      const slice = all.slice((page - 1) * perPage, page * perPage).map((c) => this.commentJson(c));
      return send(200, slice, links.length ? { link: links.join(', ') } : {});
    }
    if (list && req.method === 'POST') {
      if (!allowed(commentScopes, 'write')) return forbidden();
      const comment = this.addComment(Number(list[1]), String(body.body), { login: user.login, type: user.type });
      return send(201, this.commentJson(comment));
    }
    const one = new RegExp(`^${prefix}/issues/comments/(\\d+)$`).exec(url.pathname);
    if (one && req.method === 'PATCH') {
      if (!allowed(commentScopes, 'write')) return forbidden();
      const comment = this.comments.find((c) => c.id === Number(one[1]));
      if (!comment) return send(404, { message: 'Not Found' });
      if (comment.user.login !== user.login) return forbidden();
      comment.body = String(body.body);
      comment.updated++;
      return send(200, this.commentJson(comment));
    }
    if (url.pathname === `${prefix}/pulls` && req.method === 'GET') {
      const head = url.searchParams.get('head');
      const state = url.searchParams.get('state') ?? 'open';
      const found = this.pulls
        .filter((p) => (head ? p.headLabel === head : true) && (state === 'all' || p.state === state))
        .map((p) => ({ number: p.number, state: p.state, head: { sha: p.headSha, label: p.headLabel } }));
      return send(200, found);
    }
    const git = new RegExp(`^${prefix}/git/(blobs|trees|commits|refs|ref)(?:/(.+))?$`).exec(url.pathname);
    if (git) return this.gitData(req.method ?? 'GET', git[1]!, git[2], body, send, allowed);
    const workflowRuns = new RegExp(`^${prefix}/actions/workflows/([^/]+)/runs$`).exec(url.pathname);
    const runArtifacts = new RegExp(`^${prefix}/actions/runs/(\\d+)/artifacts$`).exec(url.pathname);
    if ((workflowRuns || runArtifacts) && req.method === 'GET') {
      if (!allowed(['actions'], 'read')) return forbidden();
      const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
      const page = Number(url.searchParams.get('page') ?? 1);
      const slice = <T>(items: T[]) => items.slice((page - 1) * perPage, page * perPage);
      if (workflowRuns) {
        const q = (name: string) => url.searchParams.get(name);
        const status = q('status');
        const runs = this.runs
          .filter((r) => r.path === `.github/workflows/${decodeURIComponent(workflowRuns[1]!)}`)
          .filter((r) => (q('branch') ? r.head_branch === q('branch') : true) && (q('event') ? r.event === q('event') : true))
          .filter((r) => !status || r.status === status || r.conclusion === status)
          .sort((a, b) => b.created - a.created || b.id - a.id);
        return send(200, { total_count: runs.length, workflow_runs: slice(runs).map((r) => this.runJson(r)) });
      }
      const runId = Number(runArtifacts![1]);
      if (!this.runs.some((r) => r.id === runId))
        return send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/actions/artifacts' });
      const name = url.searchParams.get('name');
      const artifacts = this.artifacts.filter((a) => a.runId === runId && (!name || a.name === name));
      return send(200, { total_count: artifacts.length, artifacts: slice(artifacts).map((a) => this.artifactJson(a)) });
    }
    return send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
  }

  /** A file of a commit, or undefined. */
  fileAt(commitSha: string, path: string): Buffer | undefined {
    const commit = this.commits.get(commitSha);
    const entry = commit && this.trees.get(commit.tree)?.find((e) => e.path === path);
    return entry && this.blobs.get(entry.sha);
  }

  private gitData(
    method: string,
    kind: string,
    rest: string | undefined,
    body: Record<string, unknown>,
    send: (status: number, body: unknown) => void,
    allowed: (scopes: string[], level: 'read' | 'write') => boolean,
  ): void {
    const write = method !== 'GET';
    if (!allowed(['contents'], write ? 'write' : 'read'))
      return send(403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest/git' });
    const sha = (type: string, content: string | Buffer) => createHash('sha1').update(`${type}\0`).update(content).digest('hex');
    const notFound = () => send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/git' });
    if (kind === 'blobs' && method === 'POST') {
      const bytes = Buffer.from(String(body.content), body.encoding === 'base64' ? 'base64' : 'utf8');
      const id = sha('blob', bytes);
      this.blobs.set(id, bytes);
      return send(201, { sha: id, url: `${this.url}/blobs/${id}` });
    }
    if (kind === 'blobs' && method === 'GET') {
      const bytes = this.blobs.get(rest ?? '');
      return bytes ? send(200, { sha: rest, content: bytes.toString('base64'), encoding: 'base64', size: bytes.length }) : notFound();
    }
    if (kind === 'trees' && method === 'POST') {
      const entries = (body.tree as { path: string; mode: string; type: 'blob'; sha: string }[]).map(({ path, mode, type, sha: s }) => ({
        path,
        mode,
        type,
        sha: s,
      }));
      if (typeof body.base_tree === 'string') entries.unshift(...(this.trees.get(body.base_tree) ?? []).filter((e) => !entries.some((n) => n.path === e.path)));
      if (entries.some((e) => !this.blobs.has(e.sha) || e.path.split('/').some((p) => p === '' || p === '.' || p === '..')))
        return send(422, { message: 'GitRPC::BadObjectState' });
      const id = sha('tree', JSON.stringify(entries.sort((a, b) => a.path.localeCompare(b.path))));
      this.trees.set(id, entries);
      return send(201, { sha: id, tree: entries, truncated: false });
    }
    if (kind === 'trees' && method === 'GET') {
      const entries = this.trees.get(rest ?? '');
      return entries ? send(200, { sha: rest, tree: entries, truncated: false }) : notFound();
    }
    if (kind === 'commits' && method === 'POST') {
      const tree = String(body.tree);
      if (!this.trees.has(tree)) return send(422, { message: 'Tree SHA does not exist' });
      const commit = { tree, parents: (body.parents as string[]) ?? [], message: String(body.message) };
      const id = sha('commit', JSON.stringify({ ...commit, at: this.nextId++ }));
      this.commits.set(id, commit);
      return send(201, { sha: id, tree: { sha: tree }, parents: commit.parents.map((p) => ({ sha: p })), message: commit.message });
    }
    if (kind === 'commits' && method === 'GET') {
      const commit = this.commits.get(rest ?? '');
      return commit
        ? send(200, { sha: rest, tree: { sha: commit.tree }, parents: commit.parents.map((p) => ({ sha: p })), message: commit.message })
        : notFound();
    }
    const branch = rest === undefined ? undefined : decodeURIComponent(rest).replace(/^heads\//, '');
    if (kind === 'ref' && method === 'GET') {
      const target = branch && this.refs.get(branch);
      return target ? send(200, { ref: `refs/heads/${branch}`, object: { sha: target, type: 'commit' } }) : notFound();
    }
    if (kind === 'refs' && method === 'POST') {
      const name = String(body.ref).replace(/^refs\/heads\//, '');
      if (this.refs.has(name)) return send(422, { message: 'Reference already exists' });
      if (!this.commits.has(String(body.sha))) return send(422, { message: 'Object does not exist' });
      this.refs.set(name, String(body.sha));
      return send(201, { ref: `refs/heads/${name}`, object: { sha: body.sha, type: 'commit' } });
    }
    if (kind === 'refs' && method === 'PATCH' && branch) {
      if (!this.refs.has(branch)) return send(422, { message: 'Reference does not exist' });
      if (!this.commits.has(String(body.sha))) return send(422, { message: 'Object does not exist' });
      const fastForward = this.commits.get(String(body.sha))!.parents.includes(this.refs.get(branch)!);
      if (!fastForward && body.force !== true) return send(422, { message: 'Update is not a fast forward' });
      this.refs.set(branch, String(body.sha));
      return send(200, { ref: `refs/heads/${branch}`, object: { sha: body.sha, type: 'commit' } });
    }
    return notFound();
  }

  private runJson(r: FakeRun) {
    const { created, ...rest } = r;
    return { ...rest, created_at: new Date(created).toISOString(), html_url: `https://github.com/${this.owner}/${this.repo}/actions/runs/${r.id}` };
  }

  private artifactJson(a: FakeArtifact) {
    const run = this.runs.find((r) => r.id === a.runId);
    return {
      id: a.id,
      name: a.name,
      size_in_bytes: a.size,
      digest: a.digest,
      expired: this.now() >= a.expires,
      created_at: new Date(a.created).toISOString(),
      expires_at: new Date(a.expires).toISOString(),
      workflow_run: { id: a.runId, head_branch: run?.head_branch ?? null, head_sha: run?.head_sha ?? '' },
    };
  }
}
