// A GraphQL upload client in a process of its own, as a real client is: on request (IPC) it sends analyzeImage as a
// multipart request (operations, map, file) built with the standard FormData, and reports how long the call took,
// or how many calls per second a burst at a given concurrency achieved. Started by analyze.bench.ts.
//
// Two transports, the same request bytes:
// - 'undici': the FormData is encoded by the standard `Response` and sent with undici's `request` (keep-alive).
// - 'fetch': Node's global fetch streams the FormData itself. It spends ~1 ms more CPU a call in the client (its
//   web-stream body pipeline), which on this two-core machine is taken from the server: reported, not the verdict.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { request as undiciRequest } from 'undici';
import { cpuMsSince } from '../lib/cpu.ts';

export type Transport = 'undici' | 'fetch';

const ANALYZE = 'mutation($image: File!) { analyzeImage(image: $image) { imageId predictions { label score } model { id } faceMethod timings { totalMs } } }';

export interface Analysis {
  imageId: string;
  predictions: { label: string; score: number }[];
  model: { id: string };
  faceMethod: string;
  timings: { totalMs: number };
}

type Request = { type: 'one'; image: number; transport: Transport } | { type: 'burst'; requests: number; concurrency: number; transport: Transport };
type Reply = { type: 'one'; ms: number; analysis: Analysis } | { type: 'burst'; perSecond: number; cpuMs: number } | { type: 'error'; error: string };

/** The parent's side: one request or one burst at a time. */
export class UploadClient {
  readonly #proc: ChildProcess;
  #pending: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | undefined;

  constructor(url: string, imageFiles: string[]) {
    this.#proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), JSON.stringify({ url, imageFiles })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#proc.on('message', (reply: Reply) => {
      const pending = this.#pending;
      this.#pending = undefined;
      if (reply.type === 'error') pending?.reject(new Error(reply.error));
      else pending?.resolve(reply);
    });
    this.#proc.on('exit', (code) => this.#pending?.reject(new Error(`upload client exited with ${code}`)));
  }

  /** Uploads image number `image` once; the time is measured in the client, around fetch and the JSON body. */
  async analyze(image: number, transport: Transport = 'undici'): Promise<{ ms: number; analysis: Analysis }> {
    return (await this.#send({ type: 'one', image, transport })) as { ms: number; analysis: Analysis };
  }

  /** Calls per second with `concurrency` callers each uploading the next image until `requests` are done, and the CPU time the client spent. */
  async burst(requests: number, concurrency: number, transport: Transport = 'undici'): Promise<{ perSecond: number; cpuMs: number }> {
    return (await this.#send({ type: 'burst', requests, concurrency, transport })) as { perSecond: number; cpuMs: number };
  }

  close(): void {
    this.#proc.kill();
  }

  #send(request: Request): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#proc.send(request);
    });
  }
}

/** The GraphQL multipart request (RFC 7578 form data: operations, map, then the file) as one buffer. */
function multipartBody(operations: string, map: string, file: Buffer): { contentType: string; bytes: Buffer } {
  const boundary = `----anana${randomBytes(12).toString('hex')}`;
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head = `${field('operations', operations)}${field('map', map)}--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
  return { contentType: `multipart/form-data; boundary=${boundary}`, bytes: Buffer.concat([Buffer.from(head), file, Buffer.from(`\r\n--${boundary}--\r\n`)]) };
}

async function child(options: { url: string; imageFiles: string[] }): Promise<void> {
  const images = await Promise.all(options.imageFiles.map((file) => readFile(file)));
  const url = `${options.url}/graphql`;
  const operations = JSON.stringify({ query: ANALYZE, variables: { image: null } });
  const map = JSON.stringify({ 0: ['variables.image'] });
  const analyze = async (image: Buffer, transport: Transport): Promise<Analysis> => {
    let status: number;
    let body: { data?: { analyzeImage: Analysis }; errors?: unknown[] };
    if (transport === 'fetch') {
      const form = new FormData();
      form.set('operations', operations);
      form.set('map', map);
      form.set('0', new Blob([new Uint8Array(image)], { type: 'image/jpeg' }), 'photo.jpg');
      const res = await fetch(url, { method: 'POST', body: form });
      status = res.status;
      body = (await res.json()) as typeof body;
    } else {
      const { contentType, bytes } = multipartBody(operations, map, image);
      const res = await undiciRequest(url, { method: 'POST', body: bytes, headers: { 'content-type': contentType } });
      status = res.statusCode;
      body = (await res.body.json()) as typeof body;
    }
    if (!body.data) throw new Error(`analyzeImage failed (HTTP ${status}): ${JSON.stringify(body.errors)}`);
    return body.data.analyzeImage;
  };
  process.on('message', async (request: Request) => {
    try {
      if (request.type === 'one') {
        const started = performance.now();
        const analysis = await analyze(images[request.image]!, request.transport);
        process.send!({ type: 'one', ms: performance.now() - started, analysis } satisfies Reply);
      } else {
        let next = 0;
        const cpu = process.cpuUsage();
        const started = performance.now();
        await Promise.all(
          Array.from({ length: request.concurrency }, async () => {
            while (next < request.requests) await analyze(images[next++ % images.length]!, request.transport);
          }),
        );
        const perSecond = request.requests / ((performance.now() - started) / 1000);
        process.send!({ type: 'burst', perSecond, cpuMs: cpuMsSince(cpu) } satisfies Reply);
      }
    } catch (error) {
      process.send!({ type: 'error', error: (error as Error).message } satisfies Reply);
    }
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) void child(JSON.parse(process.argv[2]!));
