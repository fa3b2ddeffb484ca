import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

describe('GraphQL over HTTP compliance (graphql-http serverAudits)', () => {
  for (const audit of serverAudits({ url: () => `${server.url}/graphql`, fetchFn: fetch })) {
    it(audit.name, async () => {
      const result = await audit.fn();
      if (audit.name.startsWith('MUST')) expect(result, JSON.stringify(result)).toMatchObject({ status: 'ok' });
      else expect(['ok', 'warn', 'error']).toContain(result.status);
    });
  }
});
