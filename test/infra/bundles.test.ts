import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect, it, vi } from 'vitest';
import { bundleHandler } from '../../infra/bundling.ts';

/*
 * A function bundled exactly as PecFunction deploys it (minified ESM with its require() banner, the
 * AWS SDK external) still loads and answers: the bundling settings themselves are under test.
 */

const dir = mkdtempSync(path.join(tmpdir(), 'pec-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('the get-catalog bundle loads as ESM and answers 200 with the catalog', async () => {
  const file = path.join(dir, 'index.mjs');
  writeFileSync(file, await bundleHandler('get-catalog'));
  vi.stubEnv('PEC_MX_HOSTS', 'mx1.pec.example.com,mx2.pec.example.com');
  const { handler } = (await import(pathToFileURL(file).href)) as {
    handler: (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
  };
  const response = await handler(
    { headers: {}, requestContext: { identity: {} }, body: null },
    { functionName: 'get-catalog', awsRequestId: 'test', getRemainingTimeInMillis: () => 3000 },
  );
  expect(response.statusCode).toBe(200);
  expect(JSON.parse(response.body).domains).toHaveLength(8);
  expect(JSON.parse(response.body).domainPec).toEqual({ mxHosts: ['mx1.pec.example.com', 'mx2.pec.example.com'] });
});
