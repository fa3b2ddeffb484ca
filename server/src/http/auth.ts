import { timingSafeEqual } from 'node:crypto';

/** Reads a bearer token from an Authorization header, or from graphql-ws connection params. */
export function bearerToken(source: string | Record<string, unknown> | undefined): string | undefined {
  if (!source) return undefined;
  const header =
    typeof source === 'string'
      ? source
      : ((source.Authorization ?? source.authorization ?? (source.token ? `Bearer ${String(source.token)}` : undefined)) as string | undefined);
  const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  return match?.[1];
}

/** Constant-time comparison so the token cannot be guessed byte by byte from timings. */
export function isAuthorized(expected: string | undefined, given: string | undefined): boolean {
  if (!expected) return true;
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
