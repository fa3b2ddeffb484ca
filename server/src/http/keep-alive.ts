import type { WebSocket, WebSocketServer } from 'ws';

/** Consecutive on-time rounds without a pong (or any message) after which a socket is taken for dead. */
const MISSED_ROUNDS = 2;

/**
 * Pings every socket and terminates the ones that stopped answering. Unlike graphql-ws's own keep-alive, which
 * terminates a socket whose pong has not been read one interval after the ping, it gives no verdict on a round
 * that ran late: after the event loop stalled (a burst of subscription work), pongs that did arrive are still
 * unread, and healthy clients must not be dropped for the server's own slowness.
 * @returns a function that stops it.
 */
export function keepSocketsAlive(wss: WebSocketServer, intervalMs: number): () => void {
  const missed = new WeakMap<WebSocket, number>();
  const answered = (socket: WebSocket) => () => missed.set(socket, 0);
  wss.on('connection', (socket) => {
    missed.set(socket, 0);
    socket.on('pong', answered(socket));
    socket.on('message', answered(socket));
  });
  let due = Date.now() + intervalMs;
  const timer = setInterval(() => {
    const onTime = Date.now() - due < intervalMs / 2;
    due = Date.now() + intervalMs;
    for (const socket of wss.clients) {
      if (onTime) {
        const rounds = (missed.get(socket) ?? 0) + 1;
        if (rounds > MISSED_ROUNDS) {
          socket.terminate();
          continue;
        }
        missed.set(socket, rounds);
      }
      socket.ping();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
