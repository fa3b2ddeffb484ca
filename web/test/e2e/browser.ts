import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SCREENSHOTS = path.join(ROOT, 'test-results', 'screenshots');

const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function newestMtime(entry: string): number {
  const info = statSync(entry);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(entry).map((name) => newestMtime(path.join(entry, name))));
}

function isStale(): boolean {
  const index = path.join(ROOT, 'web', 'dist', 'index.html');
  const sources = Math.max(...['web/src', 'web/index.html', 'web/vite.config.ts'].map((entry) => newestMtime(path.join(ROOT, entry))));
  return !existsSync(index) || statSync(index).mtimeMs < sources;
}

/**
 * Builds web/dist when it is missing or older than the console's sources. Test files run in
 * parallel, so the build is serialised with a lock directory (taken over when older than 2 min).
 */
export async function buildConsoleIfStale(): Promise<void> {
  if (!isStale()) return;
  const lock = path.join(ROOT, 'web', '.build-lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    if (isStale()) execFileSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export async function launchBrowser(): Promise<Browser> {
  // playwright adds its own --headless; a fresh profile directory comes with each launch.
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS.filter((flag) => flag !== '--headless') });
}

/** A 1280×800 page that fails the test on uncaught page errors. */
export async function openPage(browser: Browser, options: { initScript?: string } = {}): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  if (options.initScript) await context.addInitScript(options.initScript);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return { page, errors };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

/** WebSockets that never open, as behind a proxy that refuses them. */
export const REFUSE_WEBSOCKETS = `
  window.WebSocket = class RefusedWebSocket extends EventTarget {
    static CONNECTING = 0; static OPEN = 1; static CLOSING = 2; static CLOSED = 3;
    constructor(url) {
      super();
      this.url = url; this.readyState = 0; this.protocol = '';
      setTimeout(() => {
        this.readyState = 3;
        const error = new Event('error'); this.onerror?.(error); this.dispatchEvent(error);
        const close = new CloseEvent('close', { code: 1006, reason: '', wasClean: false }); this.onclose?.(close); this.dispatchEvent(close);
      }, 20);
    }
    send() {}
    close() {}
  };
`;

/** Keeps every WebSocket the page opens, so a test can cut them as a network drop would. */
export const TRACK_WEBSOCKETS = `
  window.__sockets = [];
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class TrackedWebSocket extends NativeWebSocket {
    constructor(...args) { super(...args); window.__sockets.push(this); }
  };
  window.__dropSockets = () => { for (const socket of window.__sockets) if (socket.readyState <= 1) socket.close(3000, 'test drop'); };
`;
