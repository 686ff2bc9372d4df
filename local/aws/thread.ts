import { Worker } from 'node:worker_threads';

/** A stand-in listening on 127.0.0.1. */
export type LocalService = { endpoint: string; stop(): Promise<void> };

/**
 * Runs a stand-in in a worker thread of its own: `module` starts its server and posts `{ endpoint }`.
 * Its requests are then served beside, not on, the thread that plays API Gateway and Step Functions,
 * and whatever state its library keeps at module level belongs to this runtime alone.
 */
export async function startInThread(module: URL): Promise<LocalService> {
  // No environment: nothing in it may reach a stand-in (aws-ses-v2-local would relay to SMTP_TRANSPORT).
  const worker = new Worker(module, { env: {} });
  const endpoint = await new Promise<string>((resolve, reject) => {
    worker.once('message', (message: { endpoint: string }) => resolve(message.endpoint));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`${module.pathname} exited (${code}) before it listened`)));
  });
  return {
    endpoint,
    stop: async () => {
      await worker.terminate();
    },
  };
}
