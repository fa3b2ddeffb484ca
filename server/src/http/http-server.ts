import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Services } from '../services.ts';
import { checkHealth } from '../health/check-health.ts';
import { foreignOriginMessage, isForeignOrigin } from './origin-check.ts';
import { serveStatic } from './static-files.ts';
import type { YogaServer } from './yoga.ts';

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

/**
 * Refuses bodies over the limit before yoga reads them: multipart uploads get the upload limit,
 * everything else the JSON body limit. A chunked body without a length is refused outright,
 * since its size cannot be bounded up front.
 */
function rejectOversizedBody(req: IncomingMessage, res: ServerResponse, services: Services): boolean {
  if (req.method !== 'POST') return false;
  const isMultipart = (req.headers['content-type'] ?? '').startsWith('multipart/form-data');
  const limit = isMultipart ? services.config.maxUploadBytes + 64 * 1024 : services.config.maxBodyBytes;
  const length = req.headers['content-length'];
  if (length === undefined) {
    if (req.headers['transfer-encoding']) {
      sendJson(res, 411, { errors: [{ message: 'A Content-Length header is required', extensions: { code: 'INVALID_INPUT' } }] });
      return true;
    }
    return false;
  }
  if (Number(length) > limit) {
    res.setHeader('connection', 'close');
    sendJson(res, 413, {
      errors: [{ message: `Request body of ${length} bytes exceeds the limit of ${limit} bytes`, extensions: { code: 'PAYLOAD_TOO_LARGE', limit } }],
    });
    req.resume();
    return true;
  }
  return false;
}

/** `yoga` is absent in worker mode, which serves only the health routes. */
export function createHttpServer(services: Services, yoga: YogaServer | undefined, webRoot: string | undefined) {
  return createServer(async (req, res) => {
    try {
      const pathname = (req.url ?? '/').split('?')[0];
      if (pathname === '/healthz') return sendJson(res, 200, { ok: true, instanceId: services.instanceId });
      if (pathname === '/readyz') {
        const health = await checkHealth(services);
        return sendJson(res, health.ok ? 200 : 503, health);
      }
      if (yoga && (pathname === yoga.graphqlEndpoint || pathname.startsWith(`${yoga.graphqlEndpoint}/`))) {
        if (req.method === 'POST' && isForeignOrigin(req.headers, services.config.corsOrigins)) {
          req.resume();
          return sendJson(res, 403, { errors: [{ message: foreignOriginMessage(req.headers.origin), extensions: { code: 'FORBIDDEN' } }] });
        }
        if (rejectOversizedBody(req, res, services)) return;
        return await yoga(req, res);
      }
      if (webRoot && (req.method === 'GET' || req.method === 'HEAD')) return await serveStatic(webRoot, req, res);
      sendJson(res, 404, { error: 'not found' });
    } catch (error) {
      console.error('[http] request failed:', error);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    }
  });
}
