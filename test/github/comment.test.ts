import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gitHubClient, safeErrorMessage } from '../../src/github/client.js';
import { commentMarker, isAuthoredBy, upsertMarkedComment } from '../../src/github/comment.js';
import { FakeGitHub } from './fake-github.js';

const marker = commentMarker();
const BOT_TOKEN = 'ghs_botTokenValue123';
const PAT = 'ghp_personalTokenValue456';
const READ_ONLY = 'ghs_readOnlyTokenValue789';

describe('upsertMarkedComment against a local GitHub', () => {
  const github = new FakeGitHub();
  before(async () => {
    await github.start();
    github.addToken(BOT_TOKEN, { login: 'github-actions[bot]', viewerLogin: 'github-actions', type: 'Bot' });
    github.addToken(PAT, { login: 'alice', type: 'User' });
    github.addToken(READ_ONLY, { login: 'github-actions[bot]', viewerLogin: 'github-actions', type: 'Bot', readOnly: true });
  });
  after(() => github.stop());

  const issue = (number: number) => ({ owner: 'octo', repo: 'cifar', number });

  it('creates the comment once, then updates the same comment in place', async () => {
    const client = gitHubClient(BOT_TOKEN, { baseUrl: github.url });
    const first = await upsertMarkedComment(client, issue(1), marker, `${marker}\nfirst`);
    const second = await upsertMarkedComment(client, issue(1), marker, `${marker}\nsecond`);
    assert.equal(first.action, 'created');
    assert.equal(second.action, 'updated');
    assert.equal(github.commentsOn(1).length, 1);
    assert.equal(github.commentsOn(1)[0]!.body, `${marker}\nsecond`);
    assert.equal(github.commentsOn(1)[0]!.user.login, 'github-actions[bot]');
  });

  it('sends no update when the body is unchanged', async () => {
    const client = gitHubClient(BOT_TOKEN, { baseUrl: github.url });
    await upsertMarkedComment(client, issue(2), marker, `${marker}\nsame`);
    const writes = () => github.requests.filter((r) => (r.method === 'PATCH' || r.method === 'POST') && r.path !== '/graphql').length;
    const writesBefore = writes();
    const outcome = await upsertMarkedComment(client, issue(2), marker, `${marker}\nsame`);
    assert.equal(outcome.action, 'unchanged');
    assert.equal(writes(), writesBefore);
    assert.equal(github.commentsOn(2)[0]!.updated, 0);
  });

  it('pages through more than 100 comments to find its own on a later page', async () => {
    for (let i = 0; i < 230; i++) github.addComment(3, `chatter ${i}`, { login: 'bob', type: 'User' });
    const ours = github.addComment(3, `${marker}\nold`, { login: 'github-actions[bot]', type: 'Bot' });
    const client = gitHubClient(BOT_TOKEN, { baseUrl: github.url });
    const outcome = await upsertMarkedComment(client, issue(3), marker, `${marker}\nnew`);
    assert.equal(outcome.action, 'updated');
    assert.equal(ours.body, `${marker}\nnew`);
    assert.equal(github.commentsOn(3).length, 231);
    assert.ok(github.requests.some((r) => r.path.includes('/issues/3/comments') && r.path.includes('page=3')));
  });

  it("leaves someone else's comment with the marker alone and writes its own", async () => {
    const theirs = github.addComment(4, `${marker}\nquoted by a human`, { login: 'mallory', type: 'User' });
    const client = gitHubClient(BOT_TOKEN, { baseUrl: github.url });
    const outcome = await upsertMarkedComment(client, issue(4), marker, `${marker}\nreport`);
    assert.equal(outcome.action, 'created');
    assert.equal(theirs.body, `${marker}\nquoted by a human`);
    assert.equal(theirs.updated, 0);
    assert.equal(github.commentsOn(4).length, 2);
  });

  it('finds comments by a personal token through its own login', async () => {
    github.addComment(5, `${marker}\nbot`, { login: 'github-actions[bot]', type: 'Bot' });
    const client = gitHubClient(PAT, { baseUrl: github.url });
    const first = await upsertMarkedComment(client, issue(5), marker, `${marker}\nalice 1`);
    const second = await upsertMarkedComment(client, issue(5), marker, `${marker}\nalice 2`);
    assert.equal(first.action, 'created');
    assert.equal(second.action, 'updated');
    assert.deepEqual(
      github.commentsOn(5).map((c) => [c.user.login, c.body]),
      [
        ['github-actions[bot]', `${marker}\nbot`],
        ['alice', `${marker}\nalice 2`],
      ],
    );
  });

  it('returns forbidden on a read-only token instead of throwing, and the message holds no token', async () => {
    const client = gitHubClient(READ_ONLY, { baseUrl: github.url });
    const outcome = await upsertMarkedComment(client, issue(6), marker, `${marker}\nfork`);
    assert.equal(outcome.action, 'forbidden');
    assert.ok(outcome.action === 'forbidden' && /not accessible/.test(outcome.message));
    assert.ok(!JSON.stringify(outcome).includes(READ_ONLY));
    assert.equal(github.commentsOn(6).length, 0);
  });

  it('refuses a body without its marker, which a later run could not find', async () => {
    const client = gitHubClient(BOT_TOKEN, { baseUrl: github.url });
    await assert.rejects(upsertMarkedComment(client, issue(7), marker, 'no marker'), /marker/);
  });

  it('safeErrorMessage scrubs the token from any error text', () => {
    assert.equal(safeErrorMessage(new Error(`bad ${BOT_TOKEN} here`), BOT_TOKEN), 'bad *** here');
  });
});

describe('isAuthoredBy', () => {
  it('matches the app bot under both its GraphQL and REST spellings, and nobody else', () => {
    assert.ok(isAuthoredBy({ login: 'github-actions[bot]', type: 'Bot' }, 'github-actions'));
    assert.ok(isAuthoredBy({ login: 'github-actions[bot]', type: 'Bot' }, 'github-actions[bot]'));
    assert.ok(!isAuthoredBy({ login: 'github-actions[bot]', type: 'User' }, 'github-actions'));
    assert.ok(!isAuthoredBy({ login: 'github-actions-fan', type: 'User' }, 'github-actions'));
    assert.ok(!isAuthoredBy(null, 'github-actions'));
  });
});
