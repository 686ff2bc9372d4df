import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type BuildOptions, build } from 'esbuild';

/** The repository's root: functions/, package-lock.json. */
export const REPOSITORY_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

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

let sourcesFingerprint: string | undefined;

/**
 * The asset hash of one function's bundle, computed from what goes into it: every file under
 * `functions/`, the locked dependencies and the bundling settings. A custom asset hash lets CDK
 * reuse a bundle already in the cloud assembly (`cdk.out/asset.<hash>`) instead of bundling again
 * on every synthesis, so the local runtime and the tests run `cdk synth`'s own bundles at little cost.
 */
export function bundleAssetHash(handler: string): string {
  if (!sourcesFingerprint) {
    const hash = createHash('sha256');
    const files = (readdirSync(path.join(REPOSITORY_ROOT, 'functions'), { recursive: true }) as string[])
      .map((file) => path.join('functions', file))
      .filter((file) => !file.includes('node_modules'))
      .sort();
    for (const file of [...files, 'package-lock.json']) {
      const full = path.join(REPOSITORY_ROOT, file);
      let content: Buffer;
      try {
        content = readFileSync(full);
      } catch {
        continue; // a directory
      }
      hash.update(file).update('\0').update(content).update('\0');
    }
    sourcesFingerprint = hash.update(JSON.stringify(BUNDLING)).digest('hex');
  }
  return createHash('sha256').update(sourcesFingerprint).update(handler).digest('hex');
}

/** The file a function's `handler` names: `functions/handlers/<handler>.ts`. */
export const handlerEntry = (handler: string) => path.join(REPOSITORY_ROOT, 'functions/handlers', `${handler}.ts`);

/**
 * Bundles one handler of `functions/handlers/` as PecFunction deploys it, in memory, source map
 * left out: what the benchmark measures and the infra tests load.
 */
export function bundleHandler(handler: string): Promise<Uint8Array> {
  return bundle({ entryPoints: [handlerEntry(handler)] }, handler);
}

/**
 * Bundles a TypeScript module given as text (relative imports resolve from the repository root) with
 * the same settings: lets a test bundle a handler together with what it inspects, e.g.
 * `export { handler } from './functions/handlers/close-order.ts'; export * as errors from ...`.
 */
export function bundleSource(source: string): Promise<Uint8Array> {
  return bundle(
    { stdin: { contents: source, resolveDir: REPOSITORY_ROOT, loader: 'ts', sourcefile: 'entry.ts' } },
    'a source',
  );
}

async function bundle(entry: Pick<BuildOptions, 'entryPoints' | 'stdin'>, what: string): Promise<Uint8Array> {
  const result = await build({
    ...entry,
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
  if (!output) throw new Error(`esbuild produced nothing for ${what}`);
  return output.contents;
}
