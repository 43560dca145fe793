import type { Redis } from 'ioredis';

/**
 * An ioredis client for the gateway's shared stores, loaded on first use, failing fast: a command gets
 * no reply within 1 s → the store throws `store_unavailable` (docs/budgets.md); while disconnected
 * commands fail at once rather than queue; the client keeps reconnecting in the background. Redis being
 * down at start is not fatal (what a request then gets is the policy's to say).
 */
export async function connectRedis(url: string): Promise<Redis> {
  const { Redis: Client } = await import('ioredis');
  const client = new Client(url, {
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (times: number) => Math.min(2_000, 50 * 2 ** Math.min(times, 6)),
  });
  client.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 2_000);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return client;
}
