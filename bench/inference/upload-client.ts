// A GraphQL upload client in a process of its own, as a real client is: on request (IPC) it sends analyzeImage as a
// multipart request (operations, map, file) built with FormData, and reports how long the call took, or how many
// calls per second a burst at a given concurrency achieved. Started by analyze.bench.ts.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';

const ANALYZE = 'mutation($image: File!) { analyzeImage(image: $image) { imageId predictions { label score } model { id } faceMethod timings { totalMs } } }';

export interface Analysis {
  imageId: string;
  predictions: { label: string; score: number }[];
  model: { id: string };
  faceMethod: string;
  timings: { totalMs: number };
}

type Request = { type: 'one'; image: number } | { type: 'burst'; requests: number; concurrency: number };
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
  async analyze(image: number): Promise<{ ms: number; analysis: Analysis }> {
    return (await this.#send({ type: 'one', image })) as { ms: number; analysis: Analysis };
  }

  /** Calls per second with `concurrency` callers each uploading the next image until `requests` are done, and the CPU time the client spent. */
  async burst(requests: number, concurrency: number): Promise<{ perSecond: number; cpuMs: number }> {
    return (await this.#send({ type: 'burst', requests, concurrency })) as { perSecond: number; cpuMs: number };
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

async function child(options: { url: string; imageFiles: string[] }): Promise<void> {
  const images = await Promise.all(options.imageFiles.map((file) => readFile(file)));
  const analyze = async (image: Buffer): Promise<Analysis> => {
    const form = new FormData();
    form.set('operations', JSON.stringify({ query: ANALYZE, variables: { image: null } }));
    form.set('map', JSON.stringify({ 0: ['variables.image'] }));
    form.set('0', new Blob([new Uint8Array(image)], { type: 'image/jpeg' }), 'photo.jpg');
    const res = await fetch(`${options.url}/graphql`, { method: 'POST', body: form });
    const body = (await res.json()) as { data?: { analyzeImage: Analysis }; errors?: unknown[] };
    if (!body.data) throw new Error(`analyzeImage failed (HTTP ${res.status}): ${JSON.stringify(body.errors)}`);
    return body.data.analyzeImage;
  };
  process.on('message', async (request: Request) => {
    try {
      if (request.type === 'one') {
        const started = performance.now();
        const analysis = await analyze(images[request.image]!);
        process.send!({ type: 'one', ms: performance.now() - started, analysis } satisfies Reply);
      } else {
        let next = 0;
        const cpu = process.cpuUsage();
        const started = performance.now();
        await Promise.all(
          Array.from({ length: request.concurrency }, async () => {
            while (next < request.requests) await analyze(images[next++ % images.length]!);
          }),
        );
        const perSecond = request.requests / ((performance.now() - started) / 1000);
        const { user, system } = process.cpuUsage(cpu);
        process.send!({ type: 'burst', perSecond, cpuMs: (user + system) / 1000 } satisfies Reply);
      }
    } catch (error) {
      process.send!({ type: 'error', error: (error as Error).message } satisfies Reply);
    }
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) void child(JSON.parse(process.argv[2]!));
