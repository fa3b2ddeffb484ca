import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, type TestServer } from '../../../server/test/support/test-server.ts';
import { buildConsoleIfStale, HAS_CHROMIUM, launchBrowser, openPage, REFUSE_WEBSOCKETS, screenshot, TRACK_WEBSOCKETS } from './browser.ts';

if (!HAS_CHROMIUM) console.warn('Skipping the console end-to-end suite: /usr/bin/chromium is missing (apt-get install chromium).');

const JOB_ID = /\/jobs\/([0-9a-f-]{36})$/;

async function startJobFromForm(page: Page, server: TestServer, trials: number): Promise<string> {
  await page.goto(`${server.url}/jobs`);
  await page.getByLabel('Trials', { exact: true }).fill(String(trials));
  await page.getByLabel(/Quick trials/).check();
  await page.getByRole('button', { name: 'Start job' }).click();
  await page.waitForURL(JOB_ID);
  return JOB_ID.exec(page.url())![1];
}

async function jobStatus(server: TestServer, id: string): Promise<{ status: string; lastSeq: number }> {
  const { data } = await server.gql<{ job: { status: string; lastSeq: number } }>('query ($id: ID!) { job(id: $id) { status lastSeq } }', { id });
  return data!.job;
}

describe.skipIf(!HAS_CHROMIUM)('web console in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let finishedJobId: string;

  beforeAll(async () => {
    await buildConsoleIfStale();
    [server, browser] = await Promise.all([startTestServer({ env: { ANANA_SERVE_WEB: 'true' } }), launchBrowser()]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('starts a quick job and shows its live log lines and loss chart', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(server.url);
    await page.waitForURL(/\/jobs$/);
    await expect(page.getByRole('heading', { name: 'Start a tuning job' }).isVisible()).resolves.toBe(true);
    await screenshot(page, 'jobs-empty');

    finishedJobId = await startJobFromForm(page, server, 3);
    await page.locator('.log-row').first().waitFor();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-Loss"]')?.getAttribute('data-points')) > 0);
    await page.getByText('Live', { exact: true }).waitFor();
    await waitFor(async () => (await jobStatus(server, finishedJobId)).status === 'SUCCEEDED', 30_000, 'the job to succeed');
    await page.locator('.badge', { hasText: 'succeeded' }).first().waitFor();
    const { lastSeq } = await jobStatus(server, finishedJobId);
    // Every persisted line once: history and live batches joined without gap or duplicate.
    await page.getByText(`${lastSeq} lines`).waitFor();
    expect(await page.locator('canvas').count()).toBeGreaterThan(0);
    await screenshot(page, 'job-detail');

    await page.getByRole('link', { name: 'Jobs', exact: true }).first().click();
    await page.locator(`tr[data-job="${finishedJobId}"]`).getByText('3 / 3').waitFor();
    await screenshot(page, 'jobs');
    expect(errors).toEqual([]);
  });

  it('filters the log console by level and text', async () => {
    const { page } = await openPage(browser);
    await page.goto(`${server.url}/jobs/${finishedJobId}`);
    await page.locator('.log-row').first().waitFor();
    await page.getByRole('button', { name: /^INFO/ }).click();
    await page.getByRole('button', { name: /^DEBUG/ }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('.log-row .log-level')].every((cell) => cell.textContent === 'WARNING' || cell.textContent === 'ERROR'));
    await page.getByRole('button', { name: /^INFO/ }).click();
    await page.getByPlaceholder('Search lines…').fill('trial 1 started');
    await page.locator('.log-row mark').first().waitFor();
    expect(await page.locator('.log-row').count()).toBe(1);
  });

  it('stops a running job after confirmation', async () => {
    const { page } = await openPage(browser);
    const id = await startJobFromForm(page, server, 200);
    await page.locator('.badge', { hasText: 'running' }).first().waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Stop job' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.getByRole('button', { name: 'Cancel' }).evaluate((button) => button === document.activeElement)).resolves.toBe(true);
    await screenshot(page, 'job-stop-confirmation');
    await dialog.getByRole('button', { name: 'Stop job' }).click();
    await page.locator('.badge', { hasText: 'stopped' }).first().waitFor({ timeout: 20_000 });
    expect((await jobStatus(server, id)).status).toBe('STOPPED');
  });

  it('resumes the log stream after the WebSocket drops, without gap or duplicate', async () => {
    const { page } = await openPage(browser, { initScript: TRACK_WEBSOCKETS });
    const logSubscriptions: { afterSeq: number }[] = [];
    page.on('websocket', (socket) =>
      socket.on('framesent', ({ payload }) => {
        const message = JSON.parse(String(payload)) as { type: string; payload?: { query: string; variables: { afterSeq: number } } };
        if (message.type === 'subscribe' && message.payload?.query.includes('JobLogStream')) logSubscriptions.push(message.payload.variables);
      }),
    );
    const id = await startJobFromForm(page, server, 3);
    await page.locator('.log-row').nth(5).waitFor();
    await page.evaluate(() => (window as unknown as { __dropSockets(): void }).__dropSockets());
    await page.locator('.connection[data-state="reconnecting"]').waitFor();
    await page.locator('.connection[data-state="live"]').waitFor();
    await waitFor(async () => (await jobStatus(server, id)).status === 'SUCCEEDED', 40_000, 'the job to succeed');
    const { lastSeq } = await jobStatus(server, id);
    await page.getByText(`${lastSeq} lines`).waitFor({ timeout: 15_000 });
    // The re-subscription asked for the lines after the last one received, not for the history again.
    expect(logSubscriptions.length).toBeGreaterThanOrEqual(2);
    expect(logSubscriptions.at(-1)!.afterSeq).toBeGreaterThanOrEqual(6);
    const seqs = await page.evaluate(() => [...document.querySelectorAll('.log-row')].map((row) => Number(row.getAttribute('data-seq'))));
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
  });

  it('falls back to SSE when a WebSocket cannot be opened', async () => {
    const { page, errors } = await openPage(browser, { initScript: REFUSE_WEBSOCKETS });
    const id = await startJobFromForm(page, server, 2);
    await page.locator('.connection[data-mode="sse"]').waitFor();
    await page.getByText('SSE (WebSocket unavailable)').waitFor();
    await page.locator('.log-row').first().waitFor();
    await waitFor(async () => (await jobStatus(server, id)).status === 'SUCCEEDED', 30_000, 'the job to succeed');
    const { lastSeq } = await jobStatus(server, id);
    await page.getByText(`${lastSeq} lines`).waitFor({ timeout: 15_000 });
    await screenshot(page, 'job-detail-sse');
    expect(errors).toEqual([]);
  });

  it('promotes a trial, shows a second promotion as a conflict, and analyzes an image with the new model', async () => {
    const { page } = await openPage(browser);
    await page.goto(`${server.url}/leaderboard?job=${finishedJobId}`);
    await page.locator('tr[data-trial]').nth(2).waitFor();
    await page.getByRole('button', { name: /^Score/ }).click();
    await screenshot(page, 'leaderboard');

    await page.getByRole('button', { name: /^Promote trial/ }).first().click();
    await page.getByRole('dialog').getByRole('button', { name: 'Promote' }).click();
    await page.getByText('Promotion started.').waitFor();
    await page.getByRole('button', { name: /^Promote trial/ }).nth(1).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Promote' }).click();
    await page.getByText('Another promotion is in progress').waitFor();
    await screenshot(page, 'leaderboard-conflict');

    await page.getByRole('link', { name: 'Models & runs' }).click();
    await page.locator('.production dl').waitFor({ timeout: 40_000 });
    await screenshot(page, 'models');

    const image = await sharp({ create: { width: 160, height: 120, channels: 3, background: { r: 200, g: 120, b: 60 } } }).png().toBuffer();
    await page.getByRole('link', { name: 'Analyze' }).click();
    await page.getByTestId('image-input').setInputFiles({ name: 'sample.png', mimeType: 'image/png', buffer: image });
    const analysis = page.getByTestId('analysis');
    await analysis.waitFor({ timeout: 20_000 });
    expect(await analysis.locator('.predictions li').count()).toBeGreaterThan(1);
    expect(await analysis.locator('.crop img').count()).toBe(1);
    await analysis.getByText(/total [\d.]+ ms/).waitFor();
    await screenshot(page, 'analyze');

    await page.getByRole('button', { name: 'Re-analyze' }).click();
    await analysis.waitFor();

    await page.getByRole('link', { name: 'Diagnostics' }).click();
    await page.locator('.model-card').first().waitFor();
    await screenshot(page, 'diagnostics');
    await page.getByRole('link', { name: 'Hub sync' }).click();
    await page.getByRole('heading', { name: 'Status' }).waitFor();
    await screenshot(page, 'sync');
  });

  it('opens GraphiQL at /graphql with nothing fetched from outside (an offline machine)', async () => {
    const { page, errors } = await openPage(browser);
    const outside: string[] = [];
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.protocol === 'blob:' || url.protocol === 'data:' || url.host === new URL(server.url).host) return route.continue();
      outside.push(url.href);
      return route.abort();
    });
    await page.goto(`${server.url}/graphql`);
    await page.locator('.graphiql-container').first().waitFor({ timeout: 30_000 });
    expect(await page.title()).toBe('Anana Control Plane');
    await screenshot(page, 'graphiql');
    expect(outside).toEqual([]);
    expect(errors).toEqual([]);
  });
});
