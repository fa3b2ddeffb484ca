import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../support/test-server.ts';

// A server without a token is open to the user's own tools, but not to pages of other sites in the user's browser:
// those can post a form (urlencoded, multipart, text/plain: no CORS preflight) or open a WebSocket to it.
const TRUSTED = 'https://console.example';
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { ANANA_TRAIN_CMD: JSON.stringify(['true']), ANANA_CORS_ORIGINS: TRUSTED } });
});
afterAll(() => server?.close());

const MUTATION = 'mutation { startJob(input: { trials: 1 }) { id } }';
const jobCount = async () => (await server.gql('{ jobs { totalCount } }')).data.jobs.totalCount as number;

function post(body: BodyInit, headers: Record<string, string>) {
  return fetch(`${server.url}/graphql`, { method: 'POST', body, headers });
}

const bodies: [string, () => { body: BodyInit; headers: Record<string, string> }][] = [
  ['a urlencoded form', () => ({ body: new URLSearchParams({ query: MUTATION }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } })],
  [
    'a multipart form',
    () => {
      const form = new FormData();
      form.set('operations', JSON.stringify({ query: MUTATION }));
      form.set('map', '{}');
      return { body: form, headers: {} };
    },
  ],
  ['JSON', () => ({ body: JSON.stringify({ query: MUTATION }), headers: { 'content-type': 'application/json' } })],
];

describe('cross-site requests', () => {
  it.each(bodies)('refuses %s posted by a page of another site with FORBIDDEN, and runs nothing', async (_name, make) => {
    const before = await jobCount();
    for (const origin of ['http://evil.example', 'null']) {
      const { body, headers } = make();
      const res = await post(body, { ...headers, origin });
      expect(res.status).toBe(403);
      const json = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
      expect(json.errors[0].extensions.code).toBe('FORBIDDEN');
      expect(json.errors[0].message).toContain(origin);
    }
    expect(await jobCount()).toBe(before);
  });

  it.each(bodies)('takes %s from its own origin, a trusted one, or a client that sends none', async (_name, make) => {
    const host = new URL(server.url).host;
    for (const origin of [`http://${host}`, TRUSTED, undefined]) {
      const before = await jobCount();
      const { body, headers } = make();
      const res = await post(body, origin ? { ...headers, origin } : headers);
      expect(res.status, String(origin)).toBe(200);
      expect(await jobCount()).toBe(before + 1);
    }
  });

  it('refuses a WebSocket opened by a page of another site, and accepts its own', async () => {
    const url = `${server.url.replace('http', 'ws')}/graphql`;
    const open = (origin?: string) =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(url, 'graphql-transport-ws', origin ? { origin } : {});
        socket.once('open', () => {
          socket.close();
          resolve(101);
        });
        socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.once('error', reject);
      });
    expect(await open('http://evil.example')).toBe(403);
    expect(await open(`http://${new URL(server.url).host}`)).toBe(101);
    expect(await open()).toBe(101);
  });
});
