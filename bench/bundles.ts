import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleHandler } from '../infra/bundling.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The size of every handler's bundle, built as PecFunction deploys it (source map excluded). */
export async function bundleSizes(): Promise<{ handler: string; bytes: number }[]> {
  const handlers = readdirSync(path.join(root, 'functions/handlers'))
    .filter((file) => file.endsWith('.ts'))
    .map((file) => file.replace(/\.ts$/, ''))
    .sort();
  const sizes = [];
  for (const handler of handlers) sizes.push({ handler, bytes: (await bundleHandler(handler)).length });
  return sizes;
}
