import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The esbuild settings every function is bundled with (PecFunction deploys with them). */
export const BUNDLING = {
  minify: true,
  sourceMap: true,
  target: 'node24',
  format: OutputFormat.ESM,
  // The Lambda Node.js runtime ships AWS SDK v3; bundling it again would only add size and cold-start time.
  externalModules: ['@aws-sdk/*'],
  // Some dependencies still call require(); give ESM bundles one.
  banner: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);",
};

/**
 * Bundles one handler of `functions/handlers/` as PecFunction deploys it, in memory, source map
 * left out: what the benchmark measures and the infra tests load.
 */
export async function bundleHandler(handler: string): Promise<Uint8Array> {
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
  const [output] = result.outputFiles;
  if (!output) throw new Error(`esbuild produced nothing for ${handler}`);
  return output.contents;
}
