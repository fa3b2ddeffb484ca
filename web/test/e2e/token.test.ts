import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../server/test/support/test-server.ts';
import { buildConsoleIfStale, HAS_CHROMIUM, launchBrowser, openPage, screenshot } from './browser.ts';

const TOKEN = 'e2e-secret-token';

describe.skipIf(!HAS_CHROMIUM)('web console against a server with ANANA_API_TOKEN', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    await buildConsoleIfStale();
    [server, browser] = await Promise.all([startTestServer({ env: { ANANA_SERVE_WEB: 'true', ANANA_API_TOKEN: TOKEN } }), launchBrowser()]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('asks for the token, keeps it in localStorage and uses it over HTTP and the WebSocket', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(`${server.url}/jobs`);
    await page.locator('.connection[data-state="unauthorized"]').getByText('Token needed').waitFor();

    await page.getByRole('button', { name: 'Start job' }).click();
    const alert = page.getByRole('alert');
    await alert.getByText('UNAUTHENTICATED').waitFor();
    await alert.getByRole('button', { name: 'Set API token' }).click();

    const dialog = page.getByRole('dialog', { name: 'API token' });
    await dialog.getByLabel('Token').fill(TOKEN);
    await screenshot(page, 'token-dialog');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.locator('.connection[data-state="live"]').waitFor();
    expect(await page.evaluate(() => localStorage.getItem('anana.apiToken'))).toBe(TOKEN);

    await page.getByRole('button', { name: 'Start job' }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    await page.locator('.log-row').first().waitFor({ timeout: 20_000 });

    await page.reload();
    await page.locator('.connection[data-state="live"]').waitFor();
    await page.getByRole('button', { name: 'API token: set' }).waitFor();
    expect(errors).toEqual([]);
  });
});
