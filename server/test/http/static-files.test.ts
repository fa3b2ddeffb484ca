import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../../src/http/static-files.ts';

let root: string;
let server: Server;
let port: number;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'anana-static-'));
  await mkdir(path.join(root, 'assets'));
  await writeFile(path.join(root, 'index.html'), '<!doctype html><title>console</title>');
  await writeFile(path.join(root, 'assets', 'app-1234.js'), 'console.log(1)');
  server = createServer((req, res) => void serveStatic(root, req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(root, { recursive: true, force: true });
});

/** A raw GET, so that the path goes out exactly as written (fetch would normalise `..` and bad escapes). */
function get(rawPath: string): Promise<{ status: number; type: string | undefined; cache: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: rawPath, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], cache: res.headers['cache-control'], body }));
    });
    req.on('error', reject).end();
  });
}

describe('the console files', () => {
  it('serve files, and the page for client-side routes', async () => {
    expect(await get('/assets/app-1234.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8', cache: 'public, max-age=31536000, immutable', body: 'console.log(1)' });
    for (const route of ['/', '/jobs/3f1c5a9e-0000-4000-8000-000000000000', '/leaderboard']) {
      expect(await get(route), route).toMatchObject({ status: 200, cache: 'no-cache', body: '<!doctype html><title>console</title>' });
    }
  });

  it('answer a missing file with 404, not the page, and a bad path with 400', async () => {
    for (const missing of ['/assets/app-old.js', '/favicon.ico', '/assets/logo']) expect((await get(missing)).status, missing).toBe(404);
    expect((await get('/%E0%A4%A')).status).toBe(400);
    // Dot segments are resolved inside the console's folder: never a file outside it.
    for (const traversal of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2f..%2fetc%2fpasswd']) {
      const res = await get(traversal);
      expect(res.body, traversal).not.toContain('root:');
      expect([200, 400, 404], traversal).toContain(res.status);
    }
  });
});
