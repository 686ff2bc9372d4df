import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LocalFunction } from '../../local/template.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Inside the repository, so that a bundle's external `@aws-sdk/*` imports resolve from node_modules. */
const cacheDir = path.join(root, 'node_modules/.cache/pec-test');

/** What importing a bundle did: its exports that are plain data, or the error that stopped it loading. */
export type BundleLoad = { loaded: true; data: Record<string, unknown> } | { loaded: false; error: string };

/**
 * The worker (CommonJS, as `eval` workers are): imports the bundle once per environment, each time
 * as a new module (`?n`) with `process.env` replaced by that environment, and posts back the outcomes.
 * The external modules (the AWS SDK) load once and stay cached; the bundle itself runs afresh.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const outcomes = [];
  for (const [n, env] of workerData.envs.entries()) {
    for (const name of Object.keys(process.env)) delete process.env[name];
    Object.assign(process.env, env);
    try {
      const module = await import(workerData.url + '?' + n);
      const data = Object.fromEntries(Object.entries(module).filter(([, value]) => typeof value !== 'function'));
      outcomes.push({ loaded: true, data });
    } catch (error) {
      outcomes.push({ loaded: false, error: String((error && error.message) || error) });
    }
  }
  parentPort.postMessage(outcomes);
})();`;

/**
 * Imports an ESM bundle in a worker thread once per environment, `process.env` being exactly that
 * environment each time, as a cold start of a function with it would, and answers what happened
 * each time (in order). The worker is ended after.
 */
export async function importInWorker(code: Uint8Array, envs: Record<string, string>[]): Promise<BundleLoad[]> {
  mkdirSync(cacheDir, { recursive: true });
  const file = path.join(cacheDir, `${randomUUID()}.mjs`);
  writeFileSync(file, code);
  const worker = new Worker(WORKER, { eval: true, env: {}, workerData: { url: pathToFileURL(file).href, envs } });
  try {
    return await new Promise<BundleLoad[]>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (exitCode) => reject(new Error(`The worker exited (${exitCode}) before answering`)));
    });
  } finally {
    await worker.terminate();
    rmSync(file, { force: true });
  }
}

/** Variables the Lambda service itself sets in every execution environment (a subset: what our code may touch). */
const LAMBDA_RUNTIME_ENV = { AWS_REGION: 'eu-south-1', AWS_DEFAULT_REGION: 'eu-south-1' };

/** Stand-ins for references whose value has a shape the code checks (a URL built from the API's id). */
const REFERENCE_STAND_INS: Record<string, string> = {
  PASSWORD_SETUP_URL: 'https://resolved-at-deploy.execute-api.eu-south-1.amazonaws.com/v1/password-setup',
};

/**
 * A function's environment as deployed: the Lambda service's own variables, the template's literal
 * variables, and a stand-in value for each reference to another resource (a table name, an ARN),
 * which CloudFormation resolves at deploy time. Nothing from this process.
 */
export function deployedEnvironment(fn: LocalFunction): Record<string, string> {
  const references = Object.fromEntries(
    fn.references.map((name) => [name, REFERENCE_STAND_INS[name] ?? `resolved-at-deploy-${name}`]),
  );
  return { ...LAMBDA_RUNTIME_ENV, ...fn.environment, ...references };
}
