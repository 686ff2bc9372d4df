import { createHash } from 'node:crypto';
import * as z from 'zod';
import { ValidationError } from '../domain/errors.ts';
import { isMailboxOf, toPublicMailbox } from '../domain/mailbox.ts';
import { isOrderOf, toPublicOrder } from '../domain/order.ts';
import type { ListMailboxesQuery, ListOrdersQuery, MailboxList, OrderList } from '../domain/schemas.ts';
import type { ListPage, ListPosition, MailboxRepository, OrderRepository } from './ports.ts';

/*
 * GET /orders and GET /mailboxes: a storefront's own, a page at a time, newest first.
 *
 * The cursor is opaque to storefronts: base64url JSON with a tag of the storefront it was issued to,
 * the filters it was issued for, and where its page ended. Which storefront's list is read, and with
 * which filters, always comes from the request, never from the cursor: a cursor only says where to
 * go on. One issued to another storefront or for other filters, or one this API never wrote, is a
 * 400 naming `cursor`.
 */

/** `listOrders`: a storefront's orders, newest first; `status` filters. */
export async function listOrders(
  orders: Pick<OrderRepository, 'listByStorefront'>,
  storefrontId: string,
  query: ListOrdersQuery,
): Promise<OrderList> {
  const filters = { ...(query.status ? { status: query.status } : {}) };
  return listPage(
    storefrontId,
    filters,
    query,
    (after) => orders.listByStorefront(storefrontId, { ...filters, limit: query.limit, ...(after ? { after } : {}) }),
    // The index holds only this storefront's orders: checked again, as every route showing one does.
    (order) => (isOrderOf(order, storefrontId) ? toPublicOrder(order) : undefined),
  );
}

/**
 * A storefront's mailboxes, newest first by when each was ordered; `status` filters, `expiresBefore`
 * keeps those expiring before it, latest expiry first. A reservation is not a mailbox: the index
 * leaves it out (so pages stay full), and the public view would too.
 */
export async function listMailboxes(
  mailboxes: Pick<MailboxRepository, 'listByStorefront'>,
  storefrontId: string,
  query: ListMailboxesQuery,
): Promise<MailboxList> {
  const filters = {
    ...(query.status ? { status: query.status } : {}),
    ...(query.expiresBefore ? { expiresBefore: query.expiresBefore } : {}),
  };
  return listPage(
    storefrontId,
    filters,
    query,
    (after) =>
      mailboxes.listByStorefront(storefrontId, { ...filters, limit: query.limit, ...(after ? { after } : {}) }),
    (mailbox) => (isMailboxOf(mailbox, storefrontId) ? toPublicMailbox(mailbox) : undefined),
  );
}

/** One page: where the cursor says it starts, the items as the storefront sees them, the cursor of the next. */
async function listPage<Item, View>(
  storefrontId: string,
  filters: Record<string, string>,
  query: { cursor?: string | undefined },
  list: (after: ListPosition | undefined) => Promise<ListPage<Item>>,
  view: (item: Item) => View | undefined,
): Promise<{ items: View[]; nextCursor: string | null }> {
  const page = await list(readCursor(query.cursor, storefrontId, filters));
  return {
    items: page.items.flatMap((item) => {
      const shown = view(item);
      return shown === undefined ? [] : [shown];
    }),
    nextCursor: page.next ? writeCursor(storefrontId, filters, page.next) : null,
  };
}

const CursorSchema = z.object({
  v: z.literal(1),
  /** A tag of the storefront it was issued to (not its id: a cursor may end up in logs). */
  s: z.string(),
  /** The filters of the list it belongs to. */
  f: z.record(z.string(), z.string()),
  at: z.iso.datetime(),
  id: z.string().min(1).max(320),
});

const storefrontTag = (storefrontId: string) =>
  createHash('sha256').update(`list-cursor\n${storefrontId}`).digest('base64url').slice(0, 16);

const sameFilters = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([key, value]) => b[key] === value);

/** The cursor of the page after `next`, in the list of this storefront with these filters. */
export function writeCursor(storefrontId: string, filters: Record<string, string>, next: ListPosition): string {
  const cursor: z.infer<typeof CursorSchema> = { v: 1, s: storefrontTag(storefrontId), f: filters, ...next };
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/**
 * Where the page a cursor asks for starts; undefined without a cursor (the first page).
 *
 * @throws {ValidationError} naming `cursor` when it is not one this API wrote, or was written for
 *   another storefront or other filters.
 */
export function readCursor(
  cursor: string | undefined,
  storefrontId: string,
  filters: Record<string, string>,
): ListPosition | undefined {
  if (cursor === undefined) return undefined;
  const refused = (message: string) => new ValidationError([{ path: 'cursor', message }]);
  const text = Buffer.from(cursor, 'base64url');
  let decoded: unknown;
  try {
    // Node decodes base64 leniently: only a cursor written exactly as this API writes them is one.
    if (text.toString('base64url') !== cursor) throw new Error('not base64url');
    decoded = JSON.parse(text.toString('utf8'));
  } catch {
    throw refused('This is not a cursor this API gave: pass nextCursor exactly as it came, or leave it out.');
  }
  const parsed = CursorSchema.safeParse(decoded);
  if (!parsed.success) {
    throw refused('This is not a cursor this API gave: pass nextCursor exactly as it came, or leave it out.');
  }
  if (parsed.data.s !== storefrontTag(storefrontId)) {
    throw refused('This cursor was given to another storefront: list from the first page, without it.');
  }
  if (!sameFilters(parsed.data.f, filters)) {
    throw refused(
      'This cursor belongs to a list with other filters (status, expiresBefore): keep them the same, or leave the cursor out.',
    );
  }
  return { at: parsed.data.at, id: parsed.data.id };
}
