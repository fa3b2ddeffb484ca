// The bare broadcast the benchmarks compare against: a child's stdout, split into lines per chunk and numbered,
// sent by a plain `ws` server as graphql-ws `next` messages shaped like a `jobLogs` LogBatch
// (`lines { seq stream level text time }`) to the clients of a SubscriberProcess in bare mode. No parsing,
// no storage, no GraphQL: what delivering every line in that shape costs on this machine.
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { cpuMsSince } from './cpu.ts';
import { cpuTimeline, SubscriberProcess, wallNow, type SubscriberOptions, type SubscriberReport } from './common.ts';

export interface BareBroadcastResult {
  report: SubscriberReport;
  /** Wall clock (ms) at the child's spawn. */
  t0: number;
  /** CPU time of this (the broadcasting) process from the spawn to the subscriber's report. */
  serverCpuMs: number;
  /** CPU % of the broadcasting process and of the subscriber process, if `cpuEveryMs` was given. */
  cpuTimeline?: Record<string, number>[];
}

export async function bareBroadcast(childArgs: string[], subscriber: Omit<SubscriberOptions, 'mode' | 'url'>, cpuEveryMs?: number): Promise<BareBroadcastResult> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  const clients = new SubscriberProcess({ ...subscriber, mode: 'bare', url });
  try {
    await clients.ready();
    clients.go();
    const cpu = cpuEveryMs ? cpuTimeline({ server: process.pid, subscribers: clients.proc.pid as number }, cpuEveryMs) : undefined;
    const cpuAtStart = process.cpuUsage();
    const t0 = wallNow();
    const proc = spawn(process.execPath, childArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
    let rest = '';
    let seq = 0;
    const broadcast = (lines: { seq: number; stream: string; level: string; text: string; time: string }[], done: boolean) => {
      const message = JSON.stringify({ id: 'bench', type: 'next', payload: { data: { jobLogs: { jobId: 'bench', lastSeq: seq, done, lines } } } });
      for (const client of wss.clients) client.send(message);
    };
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() as string;
      const time = new Date().toISOString();
      broadcast(
        parts.map((text) => ({ seq: ++seq, stream: 'STDOUT', level: 'INFO', text, time })),
        false,
      );
    });
    proc.stdout.on('end', () => broadcast([], true));
    const report = await clients.report();
    const serverCpuMs = cpuMsSince(cpuAtStart);
    proc.kill('SIGKILL');
    return { report, t0, serverCpuMs, cpuTimeline: cpu?.stop() };
  } finally {
    clients.kill();
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
}
