import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { dynamoMailboxRepository, mailboxItem } from '../functions/adapters/dynamodb/mailbox-repository.ts';
import {
  dynamoOrderRepository,
  orderKey,
  storefrontIndexKeys,
} from '../functions/adapters/dynamodb/order-repository.ts';
import type { Mailbox } from '../functions/domain/mailbox.ts';
import type { Order } from '../functions/domain/order.ts';
import { listMailboxes, listOrders } from '../functions/use-cases/lists.ts';
import { localApiKeyId } from '../local/http-gateway.ts';
import { startLocalRuntime } from '../local/runtime.ts';
import { LOCAL_REGION } from '../local/template.ts';
import { ApiClient } from '../test/support/client.ts';
import { storedOrder } from '../test/support/fixtures.ts';
import { loadTable } from './load-table.ts';

/*
 * One page of GET /mailboxes (and GET /orders) with 1k, then 10k, mailboxes (and as many orders) in
 * the local table, loaded directly with BatchWrite and spread over STOREFRONTS storefronts, the
 * listing one holding its share. Per size: the page time over HTTP (the bundled function in its
 * worker, median of PAGES requests walking the list), and the items the page's Query read
 * (ScannedCount, with the consumed capacity when the stand-in reports it), from the same use case
 * and repository on the same table. A page costs the same whatever the table holds: the read count
 * must stay at limit + 1.
 */

const STOREFRONTS = 10;
const PAGES = 25;
const LIMIT = 20;
const LISTING_KEY = 'sk_local_dev';

export interface ListPageFigures {
  list: 'mailboxes' | 'orders';
  filter: string;
  table: number;
  /** Items on the page (a filtered list of a small table may hold fewer than a page). */
  items: number;
  /** Items the page's queries read (ScannedCount). */
  read: number;
  /** Read capacity units the queries consumed, when the local stand-in reports them. */
  rcu: number | undefined;
  /** Median page time over HTTP, ms. */
  ms: number;
}

const DAY = 24 * 3600 * 1000;
const started = Date.now();

/** The n-th item of the table: its storefront, times spread over the last three years, a status mix. */
function nth(n: number, listing: string) {
  const storefrontId = n % STOREFRONTS === 0 ? listing : `local-bench-storefront-${n % STOREFRONTS}`;
  const orderedAt = new Date(started - ((n * 7919) % (3 * 365)) * DAY - n * 1000).toISOString();
  return { storefrontId, orderedAt };
}

function mailboxAt(n: number, listing: string): Mailbox {
  const { storefrontId, orderedAt } = nth(n, listing);
  // Within each storefront: 5% reservations (in no list), 5% deleted, 15% suspended, the rest active.
  const kind = Math.floor(n / STOREFRONTS) % 20;
  const status = kind === 0 ? 'reserved' : kind === 1 ? 'deleted' : kind < 5 ? 'suspended' : 'active';
  const reserved = status === 'reserved';
  return {
    address: `bench.${n}@pec.it`,
    status,
    storefrontId,
    orderId: `BENCH${String(n).padStart(7, '0')}`,
    orderedAt,
    ...(reserved ? { holdUntil: new Date(started + DAY).toISOString() } : {}),
    type: 'standard',
    domainPec: false,
    holderEmail: `holder.${n}@example.com`,
    ...(reserved
      ? {}
      : {
          activatedAt: orderedAt,
          expiresAt: new Date(Date.parse(orderedAt) + (1 + (n % 3)) * 365 * DAY).toISOString(),
        }),
    autoRenew: false,
    passwordSet: true,
  };
}

function orderAt(n: number, listing: string): Order {
  const { storefrontId, orderedAt } = nth(n, listing);
  return storedOrder({
    orderId: `BENCH${String(n).padStart(7, '0')}`,
    storefrontId,
    status: Math.floor(n / STOREFRONTS) % 20 === 0 ? 'pending_payment' : 'completed',
    mailbox: { address: `bench.${n}@pec.it`, type: 'standard', domainPec: false },
    createdAt: orderedAt,
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

export async function benchListPage(assemblyDir: string, sizes: number[]): Promise<ListPageFigures[]> {
  const runtime = await startLocalRuntime({ port: 0, logLevel: 'ERROR', assemblyDir });
  const client = new DynamoDBClient({
    endpoint: runtime.dynamoDb.endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  // Every Query asks for its consumed capacity; what each read is kept.
  const reads: { scanned: number; rcu: number | undefined }[] = [];
  documents.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'QueryCommand') return next(args);
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const output = result.output as QueryCommandOutput;
      reads.push({ scanned: output.ScannedCount ?? 0, rcu: output.ConsumedCapacity?.CapacityUnits });
      return result;
    },
    { step: 'initialize', name: 'countReads' },
  );
  const table = { client: documents, tableName: runtime.dynamoDb.tableName };
  const listing = localApiKeyId(LISTING_KEY);
  const api = new ApiClient(runtime.url, LISTING_KEY);
  const figures: ListPageFigures[] = [];
  try {
    let loaded = 0;
    for (const size of sizes) {
      const fresh = Array.from({ length: size - loaded }, (_, i) => loaded + i);
      await loadTable(
        documents,
        table.tableName,
        [
          ...fresh.map((n) => mailboxItem(mailboxAt(n, listing))),
          ...fresh.map((n) => {
            const order = orderAt(n, listing);
            return { ...orderKey(order.orderId), ...storefrontIndexKeys(order), ...order };
          }),
        ],
        8,
      );
      loaded = size;

      const expiresBefore = new Date(started + 365 * DAY).toISOString();
      const mailboxes = dynamoMailboxRepository(table);
      const orders = dynamoOrderRepository(table);
      const variants = [
        {
          list: 'mailboxes',
          filter: 'none',
          path: '/mailboxes',
          page: () => listMailboxes(mailboxes, listing, { limit: LIMIT }),
        },
        {
          list: 'mailboxes',
          filter: 'status=suspended',
          path: '/mailboxes?status=suspended',
          page: () => listMailboxes(mailboxes, listing, { limit: LIMIT, status: 'suspended' }),
        },
        {
          list: 'mailboxes',
          filter: 'expiresBefore (every status merged)',
          path: `/mailboxes?expiresBefore=${expiresBefore}`,
          page: () => listMailboxes(mailboxes, listing, { limit: LIMIT, expiresBefore }),
        },
        { list: 'orders', filter: 'none', path: '/orders', page: () => listOrders(orders, listing, { limit: LIMIT }) },
      ] as const;
      for (const variant of variants) {
        // Items read by one page: the same use case and repository the handler runs, on the same table.
        reads.length = 0;
        const page = await variant.page();
        if (variant.filter === 'none' && page.items.length !== LIMIT) {
          throw new Error(`${variant.path}: a page of ${page.items.length}, not ${LIMIT}`);
        }
        const read = reads.reduce((sum, each) => sum + each.scanned, 0);
        const rcus = reads.map((each) => each.rcu);
        const rcu = rcus.every((each) => each !== undefined)
          ? rcus.reduce((a, b) => (a ?? 0) + (b ?? 0), 0)
          : undefined;

        // Page time over HTTP: the list walked page after page (from the start again at its end).
        const times: number[] = [];
        let cursor: string | null = null;
        await api.get(variant.path); // the function's environment warm
        for (let i = 0; i < PAGES; i++) {
          const separator = variant.path.includes('?') ? '&' : '?';
          const at = performance.now();
          const response = await api.get(
            `${variant.path}${separator}limit=${LIMIT}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          );
          times.push(performance.now() - at);
          if (response.status !== 200) throw new Error(`${variant.path}: ${response.status} ${response.text}`);
          cursor = response.json.nextCursor;
        }
        figures.push({
          list: variant.list,
          filter: variant.filter,
          table: size,
          items: page.items.length,
          read,
          rcu,
          ms: median(times),
        });
      }
    }
  } finally {
    client.destroy();
    await runtime.stop();
  }
  return figures;
}
