import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { keepSocketsAlive } from '../../src/http/keep-alive.ts';

const INTERVAL = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function serverAndClient(clientOptions: ConstructorParameters<typeof WebSocket>[2] = {}) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => wss.once('listening', resolve));
  const stop = keepSocketsAlive(wss, INTERVAL);
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, clientOptions);
  await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
  let closed = false;
  client.once('close', () => (closed = true));
  cleanup = async () => {
    stop();
    client.terminate();
    await new Promise((resolve) => wss.close(resolve));
  };
  return { client, isClosed: () => closed };
}

describe('keepSocketsAlive', () => {
  it('terminates a client that stopped answering pings', async () => {
    const { isClosed } = await serverAndClient({ autoPong: false });
    await sleep(INTERVAL * 6);
    expect(isClosed()).toBe(true);
  });

  it('keeps a client that answers', async () => {
    const { isClosed } = await serverAndClient();
    await sleep(INTERVAL * 6);
    expect(isClosed()).toBe(false);
  });

  it('keeps a client whose pongs wait unread while the event loop is stalled', async () => {
    const { client, isClosed } = await serverAndClient();
    let stalls = 0;
    // Right after a ping is answered, before the server has read the pong: a burst of synchronous work longer
    // than the interval, as a fan-out of a large batch to many subscribers is.
    client.on('ping', () => {
      if (stalls++ >= 4) return;
      const until = Date.now() + INTERVAL * 3;
      while (Date.now() < until) {
        // busy
      }
    });
    await sleep(INTERVAL * 12);
    expect(stalls).toBeGreaterThanOrEqual(4);
    expect(isClosed()).toBe(false);
  });
});
