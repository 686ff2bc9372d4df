import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ListPosition } from '../../use-cases/ports.ts';
import type { Table } from './table.ts';

/*
 * A storefront's lists (GET /orders, GET /mailboxes) are read from the table's storefront indexes
 * (`infra/stateful-stack.ts`): partitions that name the storefront, and the status for a filtered
 * list; sort keys `<ISO time>#<id>`, read in descending order. An item enters them only once it
 * has its partition key, which is how an address reservation stays out.
 */

/** `STOREFRONT#<id>#<kind>`: every order, or every mailbox, of one storefront (or every credit movement of a reseller). */
export const storefrontPartition = (storefrontId: string, kind: 'ORDER' | 'MAILBOX' | 'MOVEMENT' | 'DOMAIN') =>
  `STOREFRONT#${storefrontId}#${kind}`;

/** `STOREFRONT#<id>#<kind>#<status>`: those in one status. */
export const statusPartition = (storefrontId: string, kind: 'ORDER' | 'MAILBOX', status: string) =>
  `${storefrontPartition(storefrontId, kind)}#${status}`;

/** The sort key an item listed at `at` has, `<at>#<id>` (unique, since the id is). */
export const positionKey = ({ at, id }: ListPosition) => `${at}#${id}`;

/** The position a sort key names: an ISO time holds no `#`, so the id is what follows the first one. */
function positionOf(sortKey: string): ListPosition {
  const cut = sortKey.indexOf('#');
  return { at: sortKey.slice(0, cut), id: sortKey.slice(cut + 1) };
}

/** Partitions of one index to list from, newest first. */
export interface ListSource {
  index: 'byStorefront' | 'byStorefrontStatus' | 'byStorefrontExpiry';
  partitionKey: 'gsi2pk' | 'gsi3pk';
  sortKey: 'gsi2sk' | 'gsi3sk';
  /** One partition, or several (one per status) merged into one list. */
  partitions: string[];
  /** Only the items whose sort key is below this one (where the previous page ended, an expiry bound). */
  before?: string;
}

/**
 * The first `limit` items of the partitions merged in descending sort-key order, and where the next
 * page starts. Each partition is one Query reading at most `limit + 1` items (the one past the page
 * tells whether there is a next page), so a page costs the same however large the table grows.
 * Never a Scan, never a filter that reads what it throws away.
 */
export function readNewestFirst(table: Table, source: ListSource, limit: number) {
  return readMerged(table, source, limit, 'newest');
}

/**
 * The same in ascending order (a queue, longest waiting first): `before` then reads as "after", the
 * sort key where the previous page ended.
 */
export function readOldestFirst(table: Table, source: ListSource, limit: number) {
  return readMerged(table, source, limit, 'oldest');
}

async function readMerged(
  { client, tableName }: Table,
  source: ListSource,
  limit: number,
  first: 'newest' | 'oldest',
): Promise<{ items: Record<string, unknown>[]; next?: ListPosition }> {
  const bounded = source.before !== undefined;
  const newest = first === 'newest';
  const pages = await Promise.all(
    source.partitions.map((partition) =>
      client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: source.index,
          KeyConditionExpression: bounded ? `#pk = :pk AND #sk ${newest ? '<' : '>'} :before` : '#pk = :pk',
          ExpressionAttributeNames: { '#pk': source.partitionKey, ...(bounded ? { '#sk': source.sortKey } : {}) },
          ExpressionAttributeValues: { ':pk': partition, ...(bounded ? { ':before': source.before } : {}) },
          ScanIndexForward: !newest,
          Limit: limit + 1,
        }),
      ),
    ),
  );
  const sortKeyOf = (item: Record<string, unknown>) => String(item[source.sortKey]);
  const merged = pages.flatMap((page) => page.Items ?? []);
  if (pages.length > 1) merged.sort((a, b) => (sortKeyOf(a) < sortKeyOf(b) === newest ? 1 : -1));
  const items = merged.slice(0, limit);
  const last = items.at(-1);
  // More than a page read means more to come; any partition cut short read limit + 1 items alone.
  return merged.length > limit && last ? { items, next: positionOf(sortKeyOf(last)) } : { items };
}
