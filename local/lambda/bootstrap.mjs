// One Lambda execution environment, played by a worker thread: loads the function's bundle from
// its cloud-assembly asset directory once (the cold start), then runs one invocation at a time.
// The worker was created with the function's own environment variables and nothing else.
import { existsSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const { codeDir, handler, compileCacheDir } = workerData;
// Every environment compiles the same bundle and SDK modules: V8's code cache on disk spares the
// later cold starts that work (a speed-up of the stand-in only; what runs is unchanged).
if (compileCacheDir) enableCompileCache(compileCacheDir);

/** As the Node.js runtime reports a thrown value: its name as errorType, its message, its stack. */
function toLambdaError(thrown) {
  if (thrown instanceof Error) {
    return {
      errorType: typeof thrown.name === 'string' && thrown.name ? thrown.name : 'Error',
      errorMessage: String(thrown.message),
      trace: String(thrown.stack ?? '').split('\n'),
    };
  }
  return { errorType: 'Error', errorMessage: JSON.stringify(thrown) ?? String(thrown), trace: [] };
}

function moduleFile(name) {
  for (const extension of ['.mjs', '.js', '.cjs']) {
    const file = path.join(codeDir, `${name}${extension}`);
    if (existsSync(file)) return file;
  }
  const error = new Error(`Cannot find module '${name}' in ${codeDir}`);
  error.name = 'Runtime.ImportModuleError';
  throw error;
}

if (/--enable-source-maps/.test(process.env.NODE_OPTIONS ?? '')) process.setSourceMapsEnabled(true);

let run;
const importStarted = performance.now();
try {
  const dot = handler.lastIndexOf('.');
  const exported = (await import(pathToFileURL(moduleFile(handler.slice(0, dot))).href))[handler.slice(dot + 1)];
  if (typeof exported !== 'function') {
    const error = new Error(`${handler} is undefined or not exported`);
    error.name = 'Runtime.HandlerNotFound';
    throw error;
  }
  run = exported;
  parentPort.postMessage({ type: 'ready', importMs: performance.now() - importStarted });
} catch (error) {
  parentPort.postMessage({ type: 'init-error', error: toLambdaError(error) });
}

parentPort.on('message', async ({ id, event, context }) => {
  const deadline = context.deadlineMs;
  const lambdaContext = {
    ...context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const result = await run(JSON.parse(event), lambdaContext);
    parentPort.postMessage({ type: 'result', id, payload: JSON.stringify(result ?? null) });
  } catch (error) {
    parentPort.postMessage({ type: 'error', id, error: toLambdaError(error) });
  }
});
