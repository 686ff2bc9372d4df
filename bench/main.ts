import { statSync } from 'node:fs';
import path from 'node:path';
import type { LocalExecutionRecord } from '../local/aws/stepfunctions/server.ts';
import { startLocalRuntime } from '../local/runtime.ts';
import { bundlesOf, synthesizeAssembly } from '../local/template.ts';
import { ApiClient } from '../test/support/client.ts';
import { freshAddress, orderBody } from '../test/support/fixtures.ts';
import { benchListPage } from './list-page.ts';

/*
 * `npm run bench`: card orders to completion through the local runtime, which runs the bundles
 * `cdk synth` produced (each function in its own worker threads, with its own environment), at 10
 * and 50 orders in flight; then each bundle's import time (the cold-start proxy) and size. The
 * machine is shared and noisy: compare figures of one run with each other, not across runs.
 *
 * Then one page of GET /mailboxes and GET /orders with 1k and 10k mailboxes in the table (`list-page.ts`).
 *
 * Every figure is printed for people and as one line for scripts (`card-orders: ...`, `bundle: ...`,
 * `list-page: ...`).
 */

const LEVELS = (process.env.BENCH_CONCURRENCY ?? '10,50').split(',').map(Number);
const ORDERS_PER_CLIENT = Number(process.env.BENCH_ORDERS_PER_CLIENT ?? 6);
const BUDGET = {
  p99AtFiftyMs: 1000,
  importMs: 150,
  /** The runtime that imported the TypeScript sources in one process did about 23 orders/s at 10 in flight. */
  ordersPerSecondAtTen: 23,
  transitions: 12,
  bundleBytes: 300 * 1024,
};

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

const assemblyDir = synthesizeAssembly();

/**
 * `concurrency` storefront clients, each placing card orders one after another; an order's latency
 * runs from its POST to the end of its workflow (CompleteOrder is the last state), and every order
 * is read back once at the end to check that it is completed. A first round at the same
 * concurrency warms the execution environments, as a steady flow of orders keeps Lambda warm.
 */
async function cardOrders(concurrency: number) {
  // Executions that ended, by name (the order id), until their order's client asks for them.
  const ended = new Map<string, LocalExecutionRecord>();
  const waiting = new Map<string, (execution: LocalExecutionRecord) => void>();
  const runtime = await startLocalRuntime({
    port: 0,
    logLevel: 'ERROR',
    assemblyDir,
    onExecutionSettled: (execution) => {
      const waiter = waiting.get(execution.name);
      if (waiter) waiter(execution);
      else ended.set(execution.name, execution);
    },
  });
  const executionEnd = (name: string) =>
    new Promise<LocalExecutionRecord>((resolve) => {
      const execution = ended.get(name);
      if (execution) resolve(execution);
      else waiting.set(name, resolve);
    });
  try {
    const api = new ApiClient(runtime.url);
    const place = async () => {
      const started = performance.now();
      const created = await api.post('/orders', orderBody({ address: freshAddress() }));
      if (created.status !== 201) throw new Error(`order refused: ${created.status} ${created.text}`);
      const orderId: string = created.json.orderId;
      const execution = await executionEnd(orderId);
      if (execution.status !== 'SUCCEEDED') throw new Error(`order ${orderId} ended ${execution.status}`);
      return { orderId, ms: performance.now() - started, transitions: stateTransitions(execution) };
    };
    const round = async (orders: number) => {
      const results: Awaited<ReturnType<typeof place>>[] = [];
      let next = 0;
      const client = async () => {
        while (next < orders) {
          next++;
          results.push(await place());
        }
      };
      const started = performance.now();
      await Promise.all(Array.from({ length: concurrency }, client));
      return { results, seconds: (performance.now() - started) / 1000 };
    };

    await round(concurrency);
    const { results, seconds } = await round(concurrency * ORDERS_PER_CLIENT);
    for (const { orderId } of results) {
      const { json } = await api.get(`/orders/${orderId}`);
      if (json.status !== 'completed') throw new Error(`order ${orderId} is ${json.status}, not completed`);
    }
    const latencies = results.map((r) => r.ms).sort((a, b) => a - b);
    const imports = concurrency === LEVELS[0] ? await runtime.measureImports() : [];
    return {
      concurrency,
      orders: results.length,
      perSecond: results.length / seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      transitions: Math.max(...results.map((r) => r.transitions)),
      imports,
    };
  } finally {
    await runtime.stop();
  }
}

function stateTransitions(execution: LocalExecutionRecord): number {
  return execution.history.filter((event) => event.type.endsWith('StateEntered')).length;
}

const levels = [];
for (const concurrency of LEVELS) levels.push(await cardOrders(concurrency));

let over = 0;
const verdict = (ok: boolean) => {
  if (!ok) over++;
  return ok ? 'OK' : 'OVER BUDGET';
};

console.log('\nCard orders to completion, through the synthesized bundles (POST /orders → workflow ended)');
for (const level of levels) {
  const checks = [
    level.concurrency === 50 ? `p99 budget ${BUDGET.p99AtFiftyMs} ms ${verdict(level.p99 <= BUDGET.p99AtFiftyMs)}` : '',
    level.concurrency === 10
      ? `throughput floor ${BUDGET.ordersPerSecondAtTen}/s ${verdict(level.perSecond >= BUDGET.ordersPerSecondAtTen)}`
      : '',
  ].filter(Boolean);
  console.log(
    `  ${String(level.concurrency).padStart(3)} in flight, ${level.orders} orders: ${level.perSecond.toFixed(1)} orders/s, ` +
      `p50 ${level.p50.toFixed(0)} ms, p99 ${level.p99.toFixed(0)} ms, ${level.transitions} state transitions/order ` +
      `${checks.length ? `(${checks.join('; ')})` : ''}`,
  );
}
for (const level of levels) {
  console.log(
    `card-orders: concurrency=${level.concurrency} orders=${level.orders} per_s=${level.perSecond.toFixed(1)} ` +
      `p50_ms=${level.p50.toFixed(0)} p99_ms=${level.p99.toFixed(0)} transitions=${level.transitions}`,
  );
}
const maxTransitions = Math.max(...levels.map((l) => l.transitions));
console.log(
  `  state transitions per card order: ${maxTransitions} (budget ${BUDGET.transitions}) ${verdict(maxTransitions <= BUDGET.transitions)}`,
);

const bundles = bundlesOf(assemblyDir);
const imports = levels[0]?.imports ?? [];
console.log('\nEach function: its bundle imported in a fresh environment (the cold-start proxy), and its size');
for (const { function: fn, importMs } of imports) {
  const bytes = statSync(path.join(bundles.get(fn.logicalId) as string, 'index.mjs')).size;
  const ok = importMs <= BUDGET.importMs && bytes <= BUDGET.bundleBytes;
  console.log(
    `  ${fn.handler.padEnd(26)} import ${importMs.toFixed(0).padStart(4)} ms  ${(bytes / 1024).toFixed(1).padStart(7)} kB  ${verdict(ok)}`,
  );
}
for (const { function: fn, importMs } of imports) {
  const bytes = statSync(path.join(bundles.get(fn.logicalId) as string, 'index.mjs')).size;
  console.log(`bundle: function=${fn.handler} import_ms=${importMs.toFixed(0)} kb=${(bytes / 1024).toFixed(1)}`);
}
const listSizes = (process.env.BENCH_LIST_SIZES ?? '1000,10000').split(',').map(Number);
const pages = await benchListPage(assemblyDir, listSizes);
console.log(
  "\nOne page (limit 20) of a storefront's list, the listing storefront holding 1 in 10 of the table's items:" +
    ' page time over HTTP (median), items its queries read',
);
for (const page of pages) {
  // One Query per partition, each reading at most a page and one item: 1 partition, or 4 merged (one per status).
  const partitions = page.filter.startsWith('expiresBefore') ? 4 : 1;
  const ok = page.read <= partitions * 21;
  console.log(
    `  GET /${page.list.padEnd(9)} filter ${page.filter.padEnd(36)} table ${String(page.table).padStart(6)}: ` +
      `${page.ms.toFixed(1).padStart(6)} ms, ${String(page.items).padStart(2)} listed, read ${String(page.read).padStart(3)} items` +
      `${page.rcu === undefined ? '' : ` (${page.rcu} RCU)`} ${verdict(ok)}`,
  );
}
for (const list of ['mailboxes', 'orders'] as const) {
  const unfiltered = pages.filter((page) => page.list === list && page.filter === 'none');
  const [smallest, largest] = [unfiltered[0], unfiltered.at(-1)];
  if (smallest && largest && smallest !== largest) {
    console.log(
      `  GET /${list}: ${largest.table / smallest.table}x the table, ${(largest.read / smallest.read).toFixed(1)}x the items read ` +
        `${verdict(largest.read === smallest.read)}, ${(largest.ms / smallest.ms).toFixed(1)}x the page time`,
    );
  }
}
for (const page of pages.filter((each) => each.filter === 'none')) {
  console.log(
    `${page.list === 'mailboxes' ? 'list-page' : 'list-page-orders'}: table=${page.table} read=${page.read} ms=${page.ms.toFixed(0)}`,
  );
}
process.exitCode = over > 0 ? 1 : 0;
