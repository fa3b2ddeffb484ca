import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE, createScratchDatabase, startTestServer, type GraphQLResponse, type TestServer } from '../support/test-server.ts';

// The HTTP server's body limits are the only ones: JSON bodies within ANANA_MAX_BODY_BYTES, multipart uploads
// within ANANA_MAX_UPLOAD_BYTES (plus multipart overhead), and a POST must say how long its body is.
const UPLOAD_LIMIT = 30_000_000;
const BODY_LIMIT = 64 * 1024;
const VALIDATE = 'mutation($image: File!) { validateImage(image: $image) { ok checks { name ok message } } }';

let server: TestServer;
let database: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
beforeAll(async () => {
  if (TEST_DATABASE === 'postgres') database = await createScratchDatabase();
  server = await startTestServer({ ...(database && { databaseUrl: database.url }), env: { ANANA_MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT), ANANA_MAX_BODY_BYTES: String(BODY_LIMIT) } });
});
afterAll(async () => {
  await server?.close();
  await database?.drop();
});

/** One raw HTTP request, so that the headers (or their absence) are exactly what the test says. */
function rawPost(headers: Record<string, string>, write: (req: http.ClientRequest) => void): Promise<{ status: number; body: GraphQLResponse }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.url}/graphql`, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as GraphQLResponse }));
    });
    req.on('error', reject);
    write(req);
  });
}

const stillServing = async () => expect((await server.gql('{ __typename }')).data).toEqual({ __typename: 'Query' });

describe('request body limits', () => {
  it('accepts an upload an operator allowed even when it is over 25 MB (no second, fixed limit in front of the resolver)', async () => {
    const form = new FormData();
    form.set('operations', JSON.stringify({ query: VALIDATE, variables: { image: null } }));
    form.set('map', JSON.stringify({ 0: ['variables.image'] }));
    form.set('0', new Blob([new Uint8Array(26_000_000).fill(0x41)]), 'big.bin');
    const res = await fetch(`${server.url}/graphql`, { method: 'POST', body: form });
    const body = (await res.json()) as GraphQLResponse<{ validateImage: { ok: boolean; checks: { name: string; ok: boolean; message: string }[] } }>;
    expect(res.status).toBe(200);
    expect(body.errors).toBeUndefined();
    // It reached validation, which names what is wrong with the bytes themselves.
    expect(body.data!.validateImage.ok).toBe(false);
    expect(body.data!.validateImage.checks).toContainEqual(expect.objectContaining({ name: 'format', ok: false, message: expect.stringMatching(/not an image/) }));
  });

  it('refuses a JSON body over ANANA_MAX_BODY_BYTES with 413 PAYLOAD_TOO_LARGE and keeps serving', async () => {
    const query = `{ __typename ${' '.repeat(BODY_LIMIT)} }`;
    const payload = JSON.stringify({ query });
    const { status, body } = await rawPost({ 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }, (req) => req.end(payload));
    expect(status).toBe(413);
    expect(body.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
    await stillServing();
  });

  it('refuses a chunked POST without a Content-Length with 411, since its size cannot be bounded up front', async () => {
    const { status, body } = await rawPost({ 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, (req) => {
      req.write('{"query":');
      req.end('"{ __typename }"}');
    });
    expect(status).toBe(411);
    expect(body.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
    await stillServing();
  });

  it.each([
    ['an array', [1, 2]],
    ['a string of paths', { 0: 'variables.image' }],
    ['a path that is not a string', { 0: [7] }],
  ])('refuses a multipart map that is %s with 400 INVALID_INPUT and keeps serving', async (_name, map) => {
    const form = new FormData();
    form.set('operations', JSON.stringify({ query: VALIDATE, variables: { image: null } }));
    form.set('map', JSON.stringify(map));
    form.set('0', new Blob([new Uint8Array(100)]), 'x.png');
    const res = await fetch(`${server.url}/graphql`, { method: 'POST', body: form });
    const body = (await res.json()) as GraphQLResponse;
    expect(res.status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
    expect(body.errors?.[0]?.message).toMatch(/^The multipart request is malformed: "map" must be a JSON object of arrays of paths/);
    await stillServing();
  });

  it('serves a JSON body within the limit', async () => {
    const payload = JSON.stringify({ query: '{ __typename }' });
    const { status, body } = await rawPost({ 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }, (req) => req.end(payload));
    expect(status).toBe(200);
    expect(body.data).toEqual({ __typename: 'Query' });
  });
});
