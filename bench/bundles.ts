import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BUNDLING } from '../infra/constructs/pec-function.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Bundles every handler with the settings `PecFunction` deploys it with (minified ESM, the AWS SDK
 * left to the Lambda runtime) and answers the size of each bundle, source map excluded.
 */
export async function bundleSizes(): Promise<{ handler: string; bytes: number }[]> {
  const handlers = readdirSync(path.join(root, 'functions/handlers'))
    .filter((file) => file.endsWith('.ts'))
    .map((file) => file.replace(/\.ts$/, ''))
    .sort();
  const sizes = [];
  for (const handler of handlers) {
    const result = await build({
      entryPoints: [path.join(root, 'functions/handlers', `${handler}.ts`)],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: BUNDLING.target,
      minify: BUNDLING.minify,
      external: BUNDLING.externalModules,
      banner: { js: BUNDLING.banner },
      logLevel: 'silent',
    });
    sizes.push({ handler, bytes: result.outputFiles.reduce((sum, file) => sum + file.contents.length, 0) });
  }
  return sizes;
}
