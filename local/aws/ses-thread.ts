import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { parentPort } from 'node:worker_threads';

/** The SES stand-in's own thread (see `startSes`): aws-ses-v2-local, on a free loopback port. */
const { default: server } = createRequire(import.meta.url)('aws-ses-v2-local') as {
  default: (config: { host: string; port: number }) => Promise<Server>;
};
const listening = await server({ host: '127.0.0.1', port: 0 });
parentPort?.postMessage({ endpoint: `http://127.0.0.1:${(listening.address() as AddressInfo).port}` });
