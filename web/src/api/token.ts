import { createStore } from '../lib/store.ts';

const STORAGE_KEY = 'anana.apiToken';

function readStoredToken(): string {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) ?? '';
  } catch {
    return '';
  }
}

/** The API token (ANANA_API_TOKEN of the server), kept in this browser's localStorage only. */
export const tokenStore = createStore<string>(readStoredToken());

export function saveToken(token: string): void {
  const trimmed = token.trim();
  try {
    if (trimmed) localStorage.setItem(STORAGE_KEY, trimmed);
    else localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Private mode or disabled storage: the token still lives for this page.
  }
  tokenStore.set(trimmed);
}

/** The value of the Authorization header, or undefined without a token. */
export function authorization(): string | undefined {
  const token = tokenStore.get();
  return token ? `Bearer ${token}` : undefined;
}
