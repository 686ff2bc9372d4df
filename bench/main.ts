import { GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { startLocalRuntime } from '../local/runtime.ts';
import { ApiClient } from '../test/support/client.ts';
import { freshAddress, orderBody } from '../test/support/fixtures.ts';
import { bundleSizes } from './bundles.ts';

/*
 * `npm run bench`: figures for the card-order path through the local runtime (the real handlers and
 * state machine on local stand-ins), and the deployed size of every function. The machine is shared
 * and noisy: compare figures of one run with each other, not across runs.
 */

const ORDERS = Number(process.env.BENCH_ORDERS ?? 60);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const TRANSITION_BUDGET = 12;
const BUNDLE_BUDGET_BYTES = 300 * 1024;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

async function cardOrders() {
  const runtime = await startLocalRuntime({ port: 0, logLevel: 'ERROR' });
  try {
    const api = new ApiClient(runtime.url);
    // Warm up: load every handler module once, as a warm Lambda would have.
    const warm = await api.post('/orders', orderBody());
    await api.waitForOrder(warm.json.orderId, (o) => o.status === 'completed', 2000);

    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < ORDERS) {
        next++;
        const t0 = performance.now();
        const created = await api.post('/orders', orderBody({ address: freshAddress() }));
        if (created.status !== 201) throw new Error(`order refused: ${created.status} ${created.text}`);
        await api.waitForOrder(created.json.orderId, (o) => o.status === 'completed', 4000);
        latencies.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsed = (performance.now() - started) / 1000;
    await runtime.idle();

    const sfn = new SFNClient({
      endpoint: runtime.stepFunctions.endpoint,
      region: 'eu-south-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const { executions = [] } = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: runtime.stateMachineArn, maxResults: 1000 }),
    );
    const transitions: number[] = [];
    for (const execution of executions) {
      const { events = [] } = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn: execution.executionArn, maxResults: 1000 }),
      );
      transitions.push(events.filter((e) => e.type?.endsWith('StateEntered')).length);
    }
    latencies.sort((a, b) => a - b);
    return { elapsed, latencies, transitions };
  } finally {
    await runtime.stop();
  }
}

const { elapsed, latencies, transitions } = await cardOrders();
const maxTransitions = Math.max(...transitions);
console.log(`\nCard orders through the local runtime (${ORDERS} orders, ${CONCURRENCY} at a time)`);
console.log(`  throughput to completion : ${(ORDERS / elapsed).toFixed(1)} orders/s`);
console.log(`  order → completed p50    : ${percentile(latencies, 50).toFixed(0)} ms`);
console.log(`  order → completed p99    : ${percentile(latencies, 99).toFixed(0)} ms`);
console.log(
  `  state transitions/order  : ${maxTransitions} (max over ${transitions.length} executions; budget ${TRANSITION_BUDGET}) ${maxTransitions <= TRANSITION_BUDGET ? 'OK' : 'OVER BUDGET'}`,
);

const sizes = await bundleSizes();
console.log('\nMinified bundle per function (ESM, AWS SDK provided by the Lambda runtime)');
for (const { handler, bytes } of sizes) {
  const verdict = bytes <= BUNDLE_BUDGET_BYTES ? 'OK' : 'OVER BUDGET';
  console.log(`  ${handler.padEnd(26)} ${(bytes / 1024).toFixed(1).padStart(7)} kB  ${verdict}`);
}
const over = sizes.filter((s) => s.bytes > BUNDLE_BUDGET_BYTES).length + (maxTransitions > TRANSITION_BUDGET ? 1 : 0);
process.exitCode = over > 0 ? 1 : 0;
