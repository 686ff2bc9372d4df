import { describe, expect, it } from 'vitest';
import { InsufficientCreditError, ResellerOnlyError } from '../../../functions/domain/errors.ts';
import type { Reseller } from '../../../functions/domain/reseller-credit.ts';
import { ResellerOrderRequestSchema, ResellerRenewalRequestSchema } from '../../../functions/domain/schemas.ts';
import { closeOrder } from '../../../functions/use-cases/order-fulfilment.ts';
import { resellerCredit, updateResellerSettings } from '../../../functions/use-cases/reseller-credit.ts';
import { placeResellerOrder, placeResellerRenewal } from '../../../functions/use-cases/reseller-orders.ts';
import {
  fakeRenewalLink,
  InMemoryDns,
  InMemoryMailboxRepository,
  InMemoryOrderRepository,
  InMemoryPaymentGateway,
  InMemoryResellerDomainRepository,
  InMemoryResellerRepository,
  RecordingAuditLog,
  RecordingNotifier,
  RecordingResellerNotifier,
  RecordingWorkflow,
} from '../../support/fakes.ts';
import { freshAddress, orderBody, storedMailbox } from '../../support/fixtures.ts';

/*
 * A reseller's orders against the in-memory ports: the debit with the order and the reservation as one
 * change, 402 with nothing written, the credit-back of a closed order once, the credit's pages.
 */

const now = new Date('2026-11-22T10:00:00.000Z');
const RESELLER = 'reseller-1';

function world(balanceCents = 20_000) {
  const orders = new InMemoryOrderRepository();
  const mailboxes = new InMemoryMailboxRepository();
  const resellers = new InMemoryResellerRepository(orders, mailboxes);
  const reseller: Reseller = {
    resellerId: RESELLER,
    name: 'Rivenditore',
    email: 'r@example.com',
    priceList: 'reseller',
    balanceCents,
    lowBalanceThresholdCents: 0,
    createdAt: now.toISOString(),
  };
  resellers.resellers.set(RESELLER, reseller);
  resellers.ledger.set(
    RESELLER,
    new Map([
      [
        'deposit#opening',
        { movementId: 'deposit#opening', kind: 'deposit', amountCents: balanceCents, at: now.toISOString() },
      ],
    ]),
  );
  const workflow = new RecordingWorkflow();
  const resellerNotifier = new RecordingResellerNotifier();
  const deps = {
    orders,
    mailboxes,
    resellers,
    workflow,
    dns: new InMemoryDns(),
    domains: new InMemoryResellerDomainRepository(resellers),
    paymentWaitSeconds: 3600,
    resellerNotifier,
  };
  return { deps, orders, mailboxes, resellers, workflow, reseller, resellerNotifier };
}

let entropy = 0;
const context = (idempotencyKey?: string) => ({
  now,
  storefrontId: RESELLER,
  randomBytes: new Uint8Array([1, 2, 3, 4, 5, 6, 7, ++entropy]),
  ...(idempotencyKey ? { idempotencyKey } : {}),
});

const request = (overrides: Parameters<typeof orderBody>[0] = {}) => {
  const { payment: _payment, ...body } = orderBody(overrides);
  return ResellerOrderRequestSchema.parse(body);
};

describe('placeResellerOrder', () => {
  it('stores the order paid, its debit and the reservation together, and starts the workflow', async () => {
    const { deps, orders, mailboxes, resellers, workflow, reseller } = world();
    const address = freshAddress();

    const { order } = await placeResellerOrder(deps, reseller, request({ address, type: 'premium' }), context());

    expect(order).toMatchObject({ status: 'activating', payment: { method: 'credit', status: 'paid' } });
    expect(orders.orders.get(order.orderId)?.storefrontId).toBe(RESELLER);
    expect(mailboxes.mailboxes.get(address)).toMatchObject({ status: 'reserved', orderId: order.orderId });
    expect(resellers.resellers.get(RESELLER)?.balanceCents).toBe(20_000 - 2800);
    expect(resellers.ledger.get(RESELLER)?.get(`debit#${order.orderId}`)?.amountCents).toBe(2800);
    expect(workflow.started).toEqual([
      { orderId: order.orderId, input: expect.objectContaining({ payment: { method: 'credit' } }) },
    ]);
  });

  it('refuses with insufficient_credit when the credit is short: nothing reserved, nothing debited, no workflow', async () => {
    const { deps, orders, mailboxes, resellers, workflow, reseller } = world(2799);
    const address = freshAddress();

    const refused = placeResellerOrder(deps, reseller, request({ address, type: 'premium' }), context());

    await expect(refused).rejects.toBeInstanceOf(InsufficientCreditError);
    await expect(refused).rejects.toMatchObject({ code: 'insufficient_credit', neededCents: 2800, balanceCents: 2799 });
    expect(mailboxes.mailboxes.size).toBe(0);
    expect(orders.orders.size).toBe(0);
    expect(resellers.resellers.get(RESELLER)?.balanceCents).toBe(2799);
    expect(resellers.ledger.get(RESELLER)?.size).toBe(1);
    expect(workflow.started).toEqual([]);
  });

  it('debits nothing for an address that is taken', async () => {
    const { deps, resellers, reseller } = world();
    const address = freshAddress();
    await placeResellerOrder(deps, reseller, request({ address }), context());

    await expect(placeResellerOrder(deps, reseller, request({ address }), context())).rejects.toMatchObject({
      code: 'address_unavailable',
    });
    expect(resellers.resellers.get(RESELLER)?.balanceCents).toBe(20_000 - 350);
  });

  it('debits a replayed Idempotency-Key once', async () => {
    const { deps, resellers, reseller } = world();
    const body = request();
    const first = await placeResellerOrder(deps, reseller, body, context('key-1'));
    const again = await placeResellerOrder(deps, reseller, body, context('key-1'));

    expect(again).toEqual({ order: first.order, replayed: true });
    expect(resellers.resellers.get(RESELLER)?.balanceCents).toBe(20_000 - 350);
  });
});

describe('the low-balance email', () => {
  it('goes out once per crossing of the threshold, again after the balance is back above it', async () => {
    const { deps, orders, mailboxes, resellers, reseller, resellerNotifier } = world(1000);
    await updateResellerSettings(resellers, RESELLER, { lowBalanceThresholdCents: 500 });

    await placeResellerOrder(deps, reseller, request(), context()); // 650: above
    expect(resellerNotifier.lowBalances).toEqual([]);
    const { order } = await placeResellerOrder(deps, reseller, request(), context()); // 300: crossed
    await placeResellerOrder(deps, reseller, request({ type: 'standard' }), context()).catch(() => undefined); // 300 < 350: refused
    expect(resellerNotifier.lowBalances).toEqual([
      { to: 'r@example.com', name: 'Rivenditore', balanceCents: 300, thresholdCents: 500 },
    ]);

    // The failed order's debit comes back (650): the next crossing is told again.
    const closing = {
      orders,
      mailboxes,
      resellers,
      gateway: new InMemoryPaymentGateway(),
      notifier: new RecordingNotifier(),
      audit: new RecordingAuditLog(),
      renewalLink: fakeRenewalLink,
    };
    await closeOrder(closing, order.orderId, 'failed', 'ProvisioningImpossibleError', now);
    await placeResellerOrder(deps, reseller, request(), context()); // 300 again
    expect(resellerNotifier.lowBalances.map((email) => email.balanceCents)).toEqual([300, 300]);
  });

  it('is tried again at the next debit when it could not be sent; the order is placed all the same', async () => {
    const { deps, resellers, reseller, resellerNotifier } = world(1000);
    await updateResellerSettings(resellers, RESELLER, { lowBalanceThresholdCents: 900 });
    const failing = { ...deps, resellerNotifier: { lowBalance: () => Promise.reject(new Error('SES down')) } };

    const placed = await placeResellerOrder(failing, reseller, request(), context());
    expect(placed.order.status).toBe('activating');
    await placeResellerOrder(deps, reseller, request(), context());
    expect(resellerNotifier.lowBalances.map((email) => email.balanceCents)).toEqual([300]);
  });
});

describe('placeResellerRenewal', () => {
  it("debits a renewal of the reseller's own mailbox; another's is not found", async () => {
    const { deps, mailboxes, resellers, reseller } = world();
    const mailbox = storedMailbox(RESELLER, now, { status: 'active', expiresAt: '2027-11-22T10:00:00.000Z' });
    const other = storedMailbox('storefront-2', now, { status: 'active', expiresAt: '2027-11-22T10:00:00.000Z' });
    mailboxes.seed(mailbox, other);
    const body = ResellerRenewalRequestSchema.parse({ years: 2 });

    const { order } = await placeResellerRenewal(deps, reseller, mailbox.address, body, context());

    expect(order).toMatchObject({ kind: 'renewal', payment: { method: 'credit', status: 'paid' } });
    expect(resellers.resellers.get(RESELLER)?.balanceCents).toBe(20_000 - 700);
    await expect(placeResellerRenewal(deps, reseller, other.address, body, context())).rejects.toMatchObject({
      code: 'mailbox_not_found',
    });
  });
});

describe('closing a reseller order', () => {
  it('credits the debit back exactly once, however often the closing runs', async () => {
    const { deps, orders, mailboxes, resellers, reseller } = world();
    const address = freshAddress();
    const { order } = await placeResellerOrder(deps, reseller, request({ address }), context());
    const notifier = new RecordingNotifier();
    const closing = {
      orders,
      mailboxes,
      resellers,
      gateway: new InMemoryPaymentGateway(),
      notifier,
      audit: new RecordingAuditLog(),
      renewalLink: fakeRenewalLink,
    };

    for (let attempt = 0; attempt < 3; attempt++) {
      await closeOrder(closing, order.orderId, 'failed', 'ProvisioningImpossibleError', now);
    }

    expect(orders.orders.get(order.orderId)?.payment.status).toBe('refunded');
    expect(resellers.resellers.get(RESELLER)?.balanceCents).toBe(20_000);
    expect([...(resellers.ledger.get(RESELLER)?.keys() ?? [])].sort()).toEqual([
      `credit_back#${order.orderId}`,
      `debit#${order.orderId}`,
      'deposit#opening',
    ]);
    expect(mailboxes.mailboxes.has(address)).toBe(false);
    // The holder paid nothing: the email does not promise a refund.
    expect(notifier.of('orderFailed')).toEqual([expect.not.objectContaining({ refundCents: expect.anything() })]);
  });

  it('refuses to close a credit order without the ledger rather than lose the credit', async () => {
    const { deps, orders, mailboxes, reseller } = world();
    const { order } = await placeResellerOrder(deps, reseller, request(), context());
    const closing = {
      orders,
      mailboxes,
      gateway: new InMemoryPaymentGateway(),
      notifier: new RecordingNotifier(),
      audit: new RecordingAuditLog(),
      renewalLink: fakeRenewalLink,
    };
    await expect(closeOrder(closing, order.orderId, 'failed', 'ProvisioningImpossibleError', now)).rejects.toThrow();
  });
});

describe('GET /reseller/credit and PUT /reseller/settings', () => {
  it('pages the movements newest first with a cursor only this reseller can use', async () => {
    const { deps, resellers, reseller } = world();
    for (let i = 0; i < 3; i++) {
      await placeResellerOrder(deps, reseller, request(), {
        ...context(),
        now: new Date(now.getTime() + (i + 1) * 1000),
      });
    }
    const first = await resellerCredit(resellers, RESELLER, { limit: 2 });
    expect(first.balanceCents).toBe(20_000 - 3 * 350);
    expect(first.movements.map((m) => m.kind)).toEqual(['debit', 'debit']);
    const second = await resellerCredit(resellers, RESELLER, { limit: 2, cursor: first.nextCursor ?? '' });
    expect(second.movements.map((m) => m.kind)).toEqual(['debit', 'deposit']);
    expect(second.nextCursor).toBeNull();
    await expect(
      resellerCredit(resellers, 'reseller-2', { limit: 2, cursor: first.nextCursor ?? '' }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('answers reseller_only to a storefront, and keeps a threshold', async () => {
    const { resellers } = world();
    await expect(resellerCredit(resellers, 'storefront-1', { limit: 20 })).rejects.toBeInstanceOf(ResellerOnlyError);
    await expect(
      updateResellerSettings(resellers, 'storefront-1', { lowBalanceThresholdCents: 5 }),
    ).rejects.toBeInstanceOf(ResellerOnlyError);
    expect(await updateResellerSettings(resellers, RESELLER, { lowBalanceThresholdCents: 5000 })).toEqual({
      balanceCents: 20_000,
      lowBalanceThresholdCents: 5000,
    });
  });
});
