import { afterAll, beforeAll, inject } from 'vitest';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../../local/runtime.ts';
import { ApiClient } from './client.ts';

/**
 * Starts the local runtime for the test file (on a free port) and stops it afterwards; the returned
 * object holds the runtime and a storefront client once `beforeAll` has run.
 */
export function withLocalRuntime(options: LocalRuntimeOptions = {}) {
  const local = {} as { runtime: LocalRuntime; api: ApiClient };
  beforeAll(async () => {
    local.runtime = await startLocalRuntime({ port: 0, assemblyDir: inject('assemblyDir'), ...options });
    local.api = new ApiClient(local.runtime.url);
  });
  afterAll(() => local.runtime?.stop());
  return local;
}
