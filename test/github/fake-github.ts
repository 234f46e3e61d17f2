import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small GitHub on 127.0.0.1 speaking the REST and GraphQL endpoints the actions use: issue
 * comments (list with Link paging, create, update), pull requests by head, `viewer` over GraphQL.
 * Tokens map to users; a read-only token gets GitHub's 403 on writes, as fork PRs do.
 * `misbehave` makes it a hostile API: it never answers, answers the headers but never the body, or
 * answers every request with one status (GitHub's own bodies and headers for 401, 403, 404, 429).
 */

export type Misbehaviour =
  | { kind: 'never-answer' }
  | { kind: 'no-body' }
  | { kind: 'status'; status: 401 | 403 | 404 | 429 | 502; rateLimited?: boolean };

export interface FakeUser {
  login: string;
  type: 'User' | 'Bot';
  /** What GraphQL's viewer calls this user (GitHub drops the `[bot]` suffix for app bots). */
  viewerLogin?: string;
  readOnly?: boolean;
}

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
  private readonly users = new Map<string, FakeUser>();
  private nextId = 1000;
  private server!: Server;
  url = '';
  /** When set, every request gets this treatment instead of an answer. */
  misbehave: Misbehaviour | undefined;

  constructor(readonly owner = 'octo', readonly repo = 'cifar') {}

  addToken(token: string, user: FakeUser): void {
    this.users.set(token, user);
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
    const forbidden = () =>
      send(403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest/issues/comments' });

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
      if (user.readOnly) return forbidden();
      const comment = this.addComment(Number(list[1]), String(body.body), { login: user.login, type: user.type });
      return send(201, this.commentJson(comment));
    }
    const one = new RegExp(`^${prefix}/issues/comments/(\\d+)$`).exec(url.pathname);
    if (one && req.method === 'PATCH') {
      if (user.readOnly) return forbidden();
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
    return send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
  }
}
