import { describe, expect, it } from 'vitest';
import { ErrorName } from '../../../functions/domain/errors.ts';
import type { Mailbox } from '../../../functions/domain/mailbox.ts';
import { RenewalRequestSchema } from '../../../functions/domain/schemas.ts';
import { checkAvailability, getMailbox, getOrder } from '../../../functions/use-cases/queries.ts';
import { placeRenewal, setAutoRenew } from '../../../functions/use-cases/renewals.ts';
import {
  InMemoryMailboxRepository,
  InMemoryMailPlatform,
  InMemoryOrderRepository,
  RecordingAuditLog,
  RecordingNotifier,
  RecordingWorkflow,
} from '../../support/fakes.ts';
import { savedCard, storedMailbox, storedOrder } from '../../support/fixtures.ts';

/* Renewals by hand, automatic renewal and the read-only queries, against the in-memory ports (the sweep: renewal-sweep.test.ts). */

const now = new Date('2025-03-15T09:30:00.000Z');
const DAY = 24 * 3600 * 1000;
const daysFromNow = (days: number) => new Date(now.getTime() + days * DAY).toISOString();

let counter = 0;
/** An active Standard mailbox of storefront-1, a year old, expiring in 200 days unless `overrides` say otherwise. */
const mailbox = (overrides: Partial<Mailbox> = {}): Mailbox =>
  storedMailbox('storefront-1', new Date('2024-03-15T09:30:00.000Z'), {
    expiresAt: daysFromNow(200),
    passwordSet: true,
    ...overrides,
  });

function world(...mailboxes: Mailbox[]) {
  return {
    orders: new InMemoryOrderRepository(),
    mailboxes: new InMemoryMailboxRepository().seed(...mailboxes),
    workflow: new RecordingWorkflow(),
    platform: new InMemoryMailPlatform(),
    notifier: new RecordingNotifier(),
    audit: new RecordingAuditLog(),
    paymentWaitSeconds: 5 * 24 * 3600,
  };
}

const request = RenewalRequestSchema.parse({ years: 2, payment: { method: 'bank_transfer' } });
const context = (idempotencyKey?: string) => ({
  now,
  storefrontId: 'storefront-1',
  randomBytes: new Uint8Array([1, 2, 3, 4, 5, 6, 7, counter++]),
  ...(idempotencyKey ? { idempotencyKey } : {}),
});

describe('placeRenewal', () => {
  it('stores a renewal order for the mailbox and starts its workflow', async () => {
    const box = mailbox();
    const deps = world(box);

    const { order, replayed } = await placeRenewal(deps, box.address, request, context());

    expect(replayed).toBe(false);
    expect(order).toMatchObject({ kind: 'renewal', status: 'pending_payment', years: 2 });
    expect(order.mailbox.address).toBe(box.address);
    expect(deps.workflow.started.map((start) => start.orderId)).toEqual([order.orderId]);
    expect((await deps.orders.get(order.orderId))?.holder.email).toBe(box.holderEmail);
  });

  it("treats another storefront's mailbox as unknown: 404, no order, no workflow", async () => {
    const box = mailbox({ storefrontId: 'storefront-2' });
    const deps = world(box);

    await expect(placeRenewal(deps, box.address, request, context())).rejects.toMatchObject({
      name: ErrorName.NotFoundError,
      code: 'mailbox_not_found',
    });
    expect(deps.orders.orders.size).toBe(0);
    expect(deps.workflow.started).toHaveLength(0);
  });

  it('renews a suspended mailbox within its grace period', async () => {
    const box = mailbox({ status: 'suspended', expiresAt: daysFromNow(-10) });
    const deps = world(box);

    const { order } = await placeRenewal(deps, box.address, request, context());

    expect(order.status).toBe('pending_payment');
  });

  it('replays a request with the same idempotency key: one order, one workflow', async () => {
    const box = mailbox();
    const deps = world(box);

    const first = await placeRenewal(deps, box.address, request, context('key-1'));
    const again = await placeRenewal(deps, box.address, request, {
      ...context('key-1'),
      randomBytes: new Uint8Array(8),
    });

    expect(again).toEqual({ order: first.order, replayed: true });
    expect(deps.orders.orders.size).toBe(1);
    expect(deps.workflow.started).toHaveLength(1);
  });

  it.each([
    ['an unknown mailbox', undefined, ErrorName.NotFoundError],
    ['a deleted mailbox', { status: 'deleted' as const }, ErrorName.NotFoundError],
    ['a mailbox being activated', { status: 'activating' as const }, ErrorName.ConflictError],
    ['a mailbox renewed automatically', { autoRenew: true, renewalPayment: savedCard }, ErrorName.AutoRenewActiveError],
  ])('refuses %s, storing nothing', async (_, overrides, name) => {
    const box = mailbox(overrides);
    const deps = overrides ? world(box) : world();

    await expect(placeRenewal(deps, box.address, request, context())).rejects.toMatchObject({ name });
    expect(deps.orders.orders.size).toBe(0);
    expect(deps.workflow.started).toEqual([]);
  });
});

describe('setAutoRenew', () => {
  it('switches automatic renewal on a mailbox with a card to charge', async () => {
    const box = mailbox({ renewalPayment: savedCard });
    const deps = world(box);

    expect(await setAutoRenew(deps.mailboxes, box.address, true, 'storefront-1')).toMatchObject({ autoRenew: true });
    expect((await deps.mailboxes.get(box.address))?.autoRenew).toBe(true);
  });

  it("answers 404 for another storefront's mailbox and leaves it as it was", async () => {
    const box = mailbox({
      storefrontId: 'storefront-2',
      autoRenew: true,
      renewalPayment: savedCard,
    });
    const deps = world(box);

    await expect(setAutoRenew(deps.mailboxes, box.address, false, 'storefront-1')).rejects.toMatchObject({
      name: ErrorName.NotFoundError,
    });
    expect((await deps.mailboxes.get(box.address))?.autoRenew).toBe(true);
  });

  it('refuses to enable it without a card or PayPal token', async () => {
    const box = mailbox();
    const deps = world(box);

    await expect(setAutoRenew(deps.mailboxes, box.address, true, 'storefront-1')).rejects.toMatchObject({
      name: ErrorName.ConflictError,
    });
    expect((await deps.mailboxes.get(box.address))?.autoRenew).toBe(false);
  });
});

describe('queries', () => {
  it('answers an order by id, and 404 for an unknown one', async () => {
    const order = storedOrder({}, now);
    const orders = new InMemoryOrderRepository().seed(order);

    expect(await getOrder(orders, order.orderId, 'storefront-1')).toMatchObject({
      orderId: order.orderId,
      status: 'pending_payment',
    });
    await expect(getOrder(orders, 'UNKNOWN', 'storefront-1')).rejects.toMatchObject({ name: ErrorName.NotFoundError });
  });

  it("answers 404 for another storefront's order and mailbox, exactly as for unknown ones", async () => {
    const order = storedOrder({ storefrontId: 'storefront-2' }, now);
    const box = mailbox({ storefrontId: 'storefront-2' });
    const orders = new InMemoryOrderRepository().seed(order);
    const mailboxes = new InMemoryMailboxRepository().seed(box);

    await expect(getOrder(orders, order.orderId, 'storefront-1')).rejects.toMatchObject({ code: 'order_not_found' });
    await expect(getMailbox(mailboxes, box.address, 'storefront-1')).rejects.toMatchObject({
      code: 'mailbox_not_found',
    });
    expect(await getOrder(orders, order.orderId, 'storefront-2')).toMatchObject({ orderId: order.orderId });
  });

  it('answers a mailbox, and 404 for a mere reservation', async () => {
    const box = mailbox();
    const held = mailbox({ status: 'reserved', holdUntil: daysFromNow(1) });
    const mailboxes = new InMemoryMailboxRepository().seed(box, held);

    expect(await getMailbox(mailboxes, box.address, 'storefront-1')).toMatchObject({
      address: box.address,
      status: 'active',
    });
    await expect(getMailbox(mailboxes, held.address, 'storefront-1')).rejects.toMatchObject({
      name: ErrorName.NotFoundError,
    });
  });

  it('tells whether an address is free, reserved or taken', async () => {
    const box = mailbox();
    const held = mailbox({ status: 'reserved', holdUntil: daysFromNow(1) });
    const lapsed = mailbox({ status: 'reserved', holdUntil: daysFromNow(-1) });
    const mailboxes = new InMemoryMailboxRepository().seed(box, held, lapsed);

    expect(await checkAvailability(mailboxes, box.address, now)).toEqual({
      address: box.address,
      available: false,
      reason: 'taken',
    });
    expect(await checkAvailability(mailboxes, held.address, now)).toMatchObject({
      available: false,
      reason: 'reserved',
    });
    expect(await checkAvailability(mailboxes, lapsed.address, now)).toMatchObject({ available: true });
    expect(await checkAvailability(mailboxes, 'new@pec.it', now)).toMatchObject({ available: true });
  });
});
