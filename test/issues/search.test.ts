import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

const titles = ['Save 50% now', 'Save 50X now', 'snake_case name', 'snakeXcase name', 'back\\slash', 'backXslash'];

describe.each(testProviders)('text search is literal on %s', (provider) => {
  let app: TestApp;
  let admin: string;

  beforeAll(async () => {
    app = await startTestApp(provider);
    admin = await app.login(adminUserName, adminPassword);
    for (const title of titles) {
      await app.graphql('mutation ($t: String!) { createIssue(input: { title: $t }) { id } }', { t: title }, admin);
    }
  });
  afterAll(() => app?.close());

  const relay = async (search: string) => {
    const { body } = await app.graphql<{ issues: { totalCount: number; edges: { node: { title: string } }[] } }>(
      'query ($s: String!) { issues(first: 50, filter: { search: $s }) { totalCount edges { node { title } } } }',
      { s: search },
      admin,
    );
    expect(body.errors).toBeUndefined();
    return { count: body.data?.issues.totalCount, titles: body.data?.issues.edges.map((e) => e.node.title).sort() };
  };
  const regscale = async (contains: string) => {
    const { body } = await app.graphql<{ issues: { totalCount: number; items: { title: string }[] } }>(
      'query ($c: String!) { issues(skip: 0, take: 50, where: { title: { contains: $c } }) { totalCount items { title } } }',
      { c: contains },
      admin,
    );
    expect(body.errors).toBeUndefined();
    return { count: body.data?.issues.totalCount, titles: body.data?.issues.items.map((i) => i.title).sort() };
  };

  it.each([
    ['50%', ['Save 50% now']],
    ['50% NOW', ['Save 50% now']],
    ['%', ['Save 50% now']],
    ['snake_case', ['snake_case name']],
    ['_', ['snake_case name']],
    ['back\\slash', ['back\\slash']],
    ['50X', ['Save 50X now']],
  ])('“%s” finds only what holds it', async (search, expected) => {
    expect(await relay(search)).toEqual({ count: expected.length, titles: expected });
    expect(await regscale(search)).toEqual({ count: expected.length, titles: expected });
  });
});
