import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';

// graphql-armor's limits (depth, cost, aliases, tokens) must let every page size the resolvers allow through, and
// refuse what they refuse with a stable code, while the server goes on serving.
const JOB_FIELDS =
  'args attempt command config cpuPercent createdAt cwd durationSeconds error executor exitCode finishedAt flavor gitCommit host id kind lastSeq logPath maxRetries outputDir peakCpuPercent peakRssBytes pid quick rssBytes signal startedAt status stopRequested trials trialsDone updatedAt';

let server: TestServer;
let jobId: string;
beforeAll(async () => {
  // A low depth limit, so that the schema's own nesting reaches past it.
  server = await startTestServer({ env: { ANANA_MAX_QUERY_DEPTH: '3' } });
  jobId = (await server.app.services.db.prisma.job.create({ data: { kind: 'TUNE', command: ['true'] }, select: { id: true } })).id;
});
afterAll(() => server?.close());

describe('query limits', () => {
  it('let the largest pages through with every field, written in the query', async () => {
    const logs = await server.gql(`{ logs(jobId: "${jobId}", first: 10000) { hasMore lastSeq lines { seq stream level text time } } }`);
    expect(logs.errors).toBeUndefined();
    expect(logs.data.logs).toEqual({ hasMore: false, lastSeq: null, lines: [] });
    const jobs = await server.gql(`{ jobs(first: 500) { totalCount nodes { ${JOB_FIELDS} } } }`);
    expect(jobs.errors).toBeUndefined();
    expect(jobs.data.jobs.totalCount).toBe(1);
  });

  it.each([
    ['too deep', '{ leaderboard { nodes { job { id } } } }', /depth/i],
    ['too costly', `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: logs(jobId: "00000000-0000-0000-0000-000000000000", first: 10000) { lines { seq stream level text time } }`).join(' ')} }`, /Cost limit/],
    ['too many aliases', `{ ${Array.from({ length: 31 }, (_, i) => `h${i}: health { ok }`).join(' ')} }`, /aliases/i],
    ['too many tokens', `{ ${Array.from({ length: 6_000 }, () => '__typename').join(' ')} }`, /token/i],
  ])('refuse a query %s with QUERY_TOO_COMPLEX, and the server keeps serving', async (_name, query, message) => {
    const res = await server.gql(query);
    expect(res.data ?? undefined).toBeUndefined();
    expect(res.errors?.[0].message).toMatch(message);
    expect(res.errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect((await server.gql('{ health { ok } }')).data.health.ok).toBe(true);
  });
});
