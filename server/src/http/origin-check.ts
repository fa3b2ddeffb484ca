import type { IncomingHttpHeaders } from 'node:http';

/**
 * Whether a request comes from a web page of another site: an `Origin` that is neither this server's (the host the
 * request was sent to, or the one a proxy says it forwarded) nor one of ANANA_CORS_ORIGINS. Browsers send `Origin`
 * with every POST and WebSocket handshake, and a page of any site can submit a form (urlencoded or multipart) or
 * open a WebSocket to a server on the user's machine without asking it first (no CORS preflight): refused, such a
 * request would run mutations with the user's access. A request without `Origin` is not a browser's cross-site one
 * (curl, scripts, the server's own clients).
 */
export function isForeignOrigin(headers: IncomingHttpHeaders, trusted: readonly string[] | undefined): boolean {
  const origin = headers.origin;
  if (origin === undefined) return false;
  if (trusted?.includes(origin)) return false;
  let host: string;
  try {
    host = new URL(origin).host.toLowerCase();
  } catch {
    // "null" (a sandboxed frame, a file: page) and anything else that is not an origin.
    return true;
  }
  const own = [headers.host, ...String(headers['x-forwarded-host'] ?? '').split(',')].map((h) => h?.trim().toLowerCase()).filter(Boolean);
  return !own.includes(host);
}

export const foreignOriginMessage = (origin: string | undefined) =>
  `Cross-site request refused: its Origin (${origin}) is not this server's; a console served elsewhere must be listed in ANANA_CORS_ORIGINS`;
