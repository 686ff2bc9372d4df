import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dynamoMailboxRepository } from '../../../functions/adapters/dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository } from '../../../functions/adapters/dynamodb/order-repository.ts';
import { creditorReference } from '../../../functions/domain/creditor-reference.ts';
import { AddressUnavailableError, IdempotencyKeyReusedError } from '../../../functions/domain/errors.ts';
import { orderIdFromBytes } from '../../../functions/domain/order.ts';
import { type CreateOrderRequest, CreateOrderRequestSchema } from '../../../functions/domain/schemas.ts';
import { type PlaceOrderContext, type PlaceOrderDeps, placeOrder } from '../../../functions/use-cases/place-order.ts';
import type { WorkflowStarter } from '../../../functions/use-cases/ports.ts';
import { InMemoryDns } from '../../support/fakes.ts';
import { freshAddress, orderBody } from '../../support/fixtures.ts';
import { type LocalTable, startLocalTable } from '../../support/local-dynamodb.ts';

/**
 * The workflow as the use case sees it: at most one running execution per order (a start while one
 * runs is a no-op, as the adapter makes it); records every execution started, or fails every start
 * with `failure`.
 */
class RecordingWorkflow implements WorkflowStarter {
  readonly started: { orderId: string; input: Record<string, unknown> }[] = [];
  readonly running = new Set<string>();
  failure: Error | undefined;

  async startOrder(orderId: string, input: Record<string, unknown>) {
    if (this.failure) throw this.failure;
    if (this.running.has(orderId)) return;
    this.running.add(orderId);
    this.started.push({ orderId, input });
  }

  /** The order's execution ends without finishing the order (stopped, or failed while closing). */
  end(orderId: string) {
    this.running.delete(orderId);
  }
}

const PAYMENT_WAIT_SECONDS = 5 * 24 * 3600;
const HOUR = 3600_000;

let table: LocalTable;
let deps: PlaceOrderDeps;
const workflow = new RecordingWorkflow();

beforeAll(async () => {
  table = await startLocalTable();
  deps = {
    orders: dynamoOrderRepository(table),
    mailboxes: dynamoMailboxRepository(table),
    workflow,
    dns: new InMemoryDns(),
    paymentWaitSeconds: PAYMENT_WAIT_SECONDS,
  };
});
afterAll(() => table?.stop());
beforeEach(() => {
  workflow.started.length = 0;
  workflow.running.clear();
  workflow.failure = undefined;
});

const now = new Date('2025-03-15T09:30:00.000Z');

const request = (overrides: Parameters<typeof orderBody>[0] = {}): CreateOrderRequest =>
  CreateOrderRequestSchema.parse(orderBody(overrides));

/** Every stored order for an address. */
const ordersFor = async (address: string) =>
  (await table.scan()).filter(
    (item) => String(item.pk).startsWith('ORDER#') && (item.mailbox as { address?: string }).address === address,
  );

const context = (overrides: Partial<PlaceOrderContext> = {}): PlaceOrderContext => ({
  now,
  storefrontId: 'storefront-1',
  randomBytes: crypto.getRandomValues(new Uint8Array(8)),
  ...overrides,
});

describe('placeOrder on DynamoDB', () => {
  it('reserves the address, stores the order pending payment and starts its workflow', async () => {
    const body = request({ payment: { method: 'card', token: 'tok_visa' } });

    const { order, replayed } = await placeOrder(deps, body, context());

    expect(replayed).toBe(false);
    expect(order).toMatchObject({
      kind: 'new',
      status: 'pending_payment',
      mailbox: { address: body.mailbox.address, type: 'standard', domainPec: false },
      totals: { netCents: 500, vatCents: 110, grossCents: 610 },
      payment: { method: 'card', status: 'pending', reference: creditorReference(order.orderId) },
      createdAt: now.toISOString(),
    });
    expect(await deps.orders.get(order.orderId)).toMatchObject({ ...order, payment: { token: 'tok_visa' } });
    // The order keeps the conditions the holder accepted and when; the storefront's view does not show them.
    expect((await deps.orders.get(order.orderId))?.consents).toEqual({
      termsVersion: '2026-01',
      acceptedAt: now.toISOString(),
    });
    expect(order).not.toHaveProperty('consents');
    // A card is charged at once: the address is held for the activation margin only.
    expect(await deps.mailboxes.get(body.mailbox.address)).toMatchObject({
      status: 'reserved',
      orderId: order.orderId,
      holdUntil: new Date(now.getTime() + 24 * HOUR).toISOString(),
    });
    expect(workflow.started).toEqual([
      {
        orderId: order.orderId,
        input: {
          orderId: order.orderId,
          kind: 'new',
          domainPec: false,
          payment: { method: 'card' },
          paymentWaitSeconds: PAYMENT_WAIT_SECONDS,
        },
      },
    ]);
  });

  it('holds the address of a bank transfer order for the payment wait as well', async () => {
    const body = request({ payment: { method: 'bank_transfer' } });

    const { order } = await placeOrder(deps, body, context());

    const deadline = new Date(now.getTime() + PAYMENT_WAIT_SECONDS * 1000);
    expect(await deps.orders.get(order.orderId)).toMatchObject({ paymentDeadline: deadline.toISOString() });
    expect((await deps.mailboxes.get(body.mailbox.address))?.holdUntil).toBe(
      new Date(deadline.getTime() + 24 * HOUR).toISOString(),
    );
  });

  it('answers a replay of the Idempotency-Key with the same order, creating nothing', async () => {
    const body = request();
    const first = await placeOrder(deps, body, context({ idempotencyKey: 'key-replay' }));

    const replay = await placeOrder(deps, request({ address: body.mailbox.address }), {
      ...context({ idempotencyKey: 'key-replay' }),
      now: new Date(now.getTime() + HOUR),
    });

    expect(replay).toEqual({ order: first.order, replayed: true });
    expect(workflow.started).toHaveLength(1);
    expect(await ordersFor(body.mailbox.address)).toHaveLength(1);
    // The replay did not touch the reservation either: it still ends when the first request said.
    expect((await deps.mailboxes.get(body.mailbox.address))?.holdUntil).toBe(
      new Date(now.getTime() + 24 * HOUR).toISOString(),
    );
  });

  it('restarts the workflow of a replayed order still waiting whose execution ended, for what is left of its wait', async () => {
    const body = request({ payment: { method: 'bank_transfer' } });
    const first = await placeOrder(deps, body, context({ idempotencyKey: 'key-restart' }));
    workflow.end(first.order.orderId);

    const replay = await placeOrder(deps, body, {
      ...context({ idempotencyKey: 'key-restart' }),
      now: new Date(now.getTime() + HOUR),
    });

    expect(replay).toEqual({ order: first.order, replayed: true });
    expect(workflow.started.map((start) => start.orderId)).toEqual([first.order.orderId, first.order.orderId]);
    // The order's deadline does not move: the new run waits only for what is left of it.
    expect(workflow.started[1]?.input).toEqual({
      ...workflow.started[0]?.input,
      paymentWaitSeconds: PAYMENT_WAIT_SECONDS - 3600,
    });
    expect(await deps.orders.get(first.order.orderId)).toMatchObject({ status: 'pending_payment' });
  });

  it('starts nothing again for a replay while the execution runs, or once the order is closed', async () => {
    const body = request();
    const first = await placeOrder(deps, body, context({ idempotencyKey: 'key-no-restart' }));

    await placeOrder(deps, body, context({ idempotencyKey: 'key-no-restart' }));
    expect(workflow.started).toHaveLength(1);

    await deps.orders.close(first.order.orderId, 'failed', 'PaymentDeclinedError', now, true);
    workflow.end(first.order.orderId);
    const replay = await placeOrder(deps, body, context({ idempotencyKey: 'key-no-restart' }));
    expect(replay.order.status).toBe('failed');
    expect(workflow.started).toHaveLength(1);
  });

  it('reports a restart that fails, and leaves the order waiting with its address (the caller may retry)', async () => {
    const body = request();
    const first = await placeOrder(deps, body, context({ idempotencyKey: 'key-restart-fails' }));
    workflow.end(first.order.orderId);
    const failure = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    workflow.failure = failure;

    await expect(placeOrder(deps, body, context({ idempotencyKey: 'key-restart-fails' }))).rejects.toBe(failure);

    // Not closed: an earlier run may have charged the card, and only the workflow's closing settles that.
    expect(await deps.orders.get(first.order.orderId)).toMatchObject({ status: 'pending_payment' });
    expect((await deps.mailboxes.get(body.mailbox.address))?.orderId).toBe(first.order.orderId);
    workflow.failure = undefined;
    await placeOrder(deps, body, context({ idempotencyKey: 'key-restart-fails' }));
    expect(workflow.started).toHaveLength(2);
  });

  it('refuses the same Idempotency-Key with another body, and reserves nothing for it', async () => {
    const first = await placeOrder(deps, request(), context({ idempotencyKey: 'key-reused' }));
    const other = request();

    await expect(placeOrder(deps, other, context({ idempotencyKey: 'key-reused' }))).rejects.toBeInstanceOf(
      IdempotencyKeyReusedError,
    );
    expect(await deps.mailboxes.get(other.mailbox.address)).toBeUndefined();
    expect(await deps.orders.get(first.order.orderId)).toMatchObject(first.order);
    expect(workflow.started).toHaveLength(1);
  });

  it('scopes Idempotency-Keys to one storefront', async () => {
    const one = await placeOrder(
      deps,
      request(),
      context({ idempotencyKey: 'key-shared', storefrontId: 'storefront-1' }),
    );
    const two = await placeOrder(
      deps,
      request(),
      context({ idempotencyKey: 'key-shared', storefrontId: 'storefront-2' }),
    );

    expect(two.replayed).toBe(false);
    expect(two.order.orderId).not.toBe(one.order.orderId);
  });

  it('creates one order for concurrent requests with one Idempotency-Key', async () => {
    const body = request();

    const results = await Promise.all(
      Array.from({ length: 5 }, () => placeOrder(deps, body, context({ idempotencyKey: 'key-concurrent' }))),
    );

    expect(new Set(results.map((result) => result.order.orderId)).size).toBe(1);
    expect(results.filter((result) => !result.replayed)).toHaveLength(1);
    expect(workflow.started).toHaveLength(1);
  });

  it('refuses an address another order holds, and stores nothing for the refused order', async () => {
    const address = freshAddress();
    const first = await placeOrder(deps, request({ address }), context());
    const randomBytes = crypto.getRandomValues(new Uint8Array(8));

    const attempt = placeOrder(deps, request({ address }), context({ randomBytes }));

    await expect(attempt).rejects.toBeInstanceOf(AddressUnavailableError);
    await expect(attempt).rejects.toMatchObject({ code: 'address_unavailable', address });
    expect(await deps.orders.get(orderIdFromBytes(randomBytes))).toBeUndefined();
    expect((await deps.mailboxes.get(address))?.orderId).toBe(first.order.orderId);
    expect(workflow.started).toHaveLength(1);
  });

  it('gives an address to exactly one of many concurrent orders', async () => {
    const address = freshAddress();

    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => placeOrder(deps, request({ address }), context())),
    );

    const placed = results.filter((result) => result.status === 'fulfilled');
    expect(placed).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(AddressUnavailableError);
    }
    expect(workflow.started).toHaveLength(1);
  });

  it('fails the order and frees the address when the workflow cannot start, and rethrows', async () => {
    const address = freshAddress();
    const randomBytes = crypto.getRandomValues(new Uint8Array(8));
    const failure = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    workflow.failure = failure;

    await expect(placeOrder(deps, request({ address }), context({ randomBytes }))).rejects.toBe(failure);

    expect(await deps.orders.get(orderIdFromBytes(randomBytes))).toMatchObject({
      status: 'failed',
      failureReason: 'workflow_not_started',
    });
    expect(await deps.mailboxes.get(address)).toBeUndefined();
    workflow.failure = undefined;
    await expect(placeOrder(deps, request({ address }), context())).resolves.toMatchObject({ replayed: false });
  });
});
