import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stripeClients } from '../../functions/adapters/clients/stripe.ts';
import { stripePaymentGateway } from '../../functions/adapters/stripe-payment-gateway.ts';
import { EmailOutcomeUnknownError } from '../../functions/domain/errors.ts';
import type { Order } from '../../functions/domain/order.ts';
import type * as Fulfilment from '../../functions/use-cases/order-fulfilment.ts';
import type {
  AuditEntry,
  AuditLog,
  DocumentStore,
  MailboxRepository,
  Notifier,
  OrderRepository,
  PaymentGateway,
} from '../../functions/use-cases/ports.ts';
import { type LocalStripe, startStripeServer } from '../../local/stripe/server.ts';
import { fakeRenewalLink } from '../support/fakes.ts';
import { Faults, namedError } from '../support/faults.ts';
import { storedOrder } from '../support/fixtures.ts';
import { dynamoAdapters, type LocalTable, startLocalTable } from '../support/local-dynamodb.ts';

/*
 * The workflow's steps (functions/use-cases/order-fulfilment.ts) on the real (local) DynamoDB and
 * the Stripe adapter talking to the Stripe stand-in, with faults injected into their ports: each step is run again, as
 * Step Functions retries it, after failing anywhere, and must complete what is missing without
 * charging, emailing or auditing twice; money taken is either for a fulfilled order or recorded
 * for refund.
 */

let table: LocalTable;
let steps: typeof Fulfilment;
let stripe: LocalStripe;
const faults = new Faults();
/** Every step's dependencies, the payment instructions included (the notifier records every email). */
let deps: Fulfilment.FulfilmentDeps & { notifier: Notifier };
let rawOrders: OrderRepository;
let rawMailboxes: MailboxRepository;
let rawGateway: PaymentGateway;

/** The audit trail as S3 keeps it: one entry per (order, event, ref), rewritten by a retry. */
class RecordingAudit implements AuditLog {
  readonly entries = new Map<string, AuditEntry>();
  writes = 0;
  async record(entry: AuditEntry) {
    this.writes++;
    this.entries.set(`${entry.orderId}/${entry.event}/${entry.ref ?? ''}`, entry);
  }
  eventsOf(orderId: string) {
    return [...this.entries.values()].filter((entry) => entry.orderId === orderId).map((entry) => entry.event);
  }
}

class RecordingDocuments implements DocumentStore {
  readonly documents = new Map<string, Order>();
  async putOrderDocument(order: Order) {
    this.documents.set(order.orderId, order);
  }
}

type Sent = { kind: keyof Notifier; input: Record<string, unknown> };

/** The emails that went out (a refused send is not recorded). */
class RecordingNotifier {
  readonly sent: Sent[] = [];
  private record = (kind: keyof Notifier) => async (input: object) => {
    this.sent.push({ kind, input: input as Record<string, unknown> });
    return `msg-${this.sent.length}`;
  };
  readonly notifier: Notifier = {
    orderConfirmation: this.record('orderConfirmation'),
    firstAccess: this.record('firstAccess'),
    passwordReset: this.record('passwordReset'),
    orderFailed: this.record('orderFailed'),
    orderCancelled: this.record('orderCancelled'),
    renewalConfirmed: this.record('renewalConfirmed'),
    expiryReminder: this.record('expiryReminder'),
    chargeNotice: this.record('chargeNotice'),
    renewalDeclined: this.record('renewalDeclined'),
    domainDnsInstructions: this.record('domainDnsInstructions'),
    paymentInstructions: this.record('paymentInstructions'),
  };
  /** The emails about one order (stored orders' addresses start with their id). */
  about(orderId: string) {
    return this.sent.filter(
      (s) => s.input.orderId === orderId || String(s.input.address).startsWith(`${orderId.toLowerCase()}@`),
    );
  }
}

let audit: RecordingAudit;
let documents: RecordingDocuments;
let outbox: RecordingNotifier;
const settings = { passwordSetupUrl: 'https://pec.example/password', tokenTtlSeconds: 3600 };

beforeAll(async () => {
  table = await startLocalTable('pec-fulfilment');
  steps = await import('../../functions/use-cases/order-fulfilment.ts');
  const secretKey = 'sk_test_integration';
  stripe = await startStripeServer({ secretKey, webhookSecret: 'whsec_integration' });
  const adapters = dynamoAdapters(table);
  rawOrders = adapters.orders;
  rawMailboxes = adapters.mailboxes;
  rawGateway = stripePaymentGateway({
    secretKey: async () => secretKey,
    sandbox: true,
    client: stripeClients({ apiUrl: stripe.endpoint }),
  });
  audit = new RecordingAudit();
  documents = new RecordingDocuments();
  outbox = new RecordingNotifier();
  deps = {
    orders: faults.wrap('orders', rawOrders),
    mailboxes: faults.wrap('mailboxes', rawMailboxes),
    gateway: faults.wrap('gateway', rawGateway),
    platform: faults.wrap('platform', adapters.platform),
    tokens: faults.wrap('tokens', adapters.tokens),
    notifier: faults.wrap('notifier', outbox.notifier),
    audit: faults.wrap('audit', audit as AuditLog),
    documents: faults.wrap('documents', documents as DocumentStore),
    dns: { mx: async () => [] },
    renewalLink: fakeRenewalLink,
  };
});
afterAll(async () => {
  await table?.stop();
  await stripe?.stop();
});
beforeEach(() => faults.reset());

let clock = Date.parse('2025-03-15T09:30:00.000Z');
/** Each attempt of a step runs a little later than the one before, as a retry does. */
const tick = () => {
  clock += 1000;
  return new Date(clock);
};

const timeout = () => namedError('TimeoutError', 'no answer (injected)');

/** A stored order, pending payment (by card unless told otherwise), holding its address. */
async function placed(overrides: Partial<Order> = {}): Promise<Order> {
  const card = { method: 'card' as const, status: 'pending' as const, reference: 'RF00X', token: 'tok_visa' };
  const order = storedOrder({ payment: card, ...overrides }, new Date(clock));
  // Only a transfer or postal slip waits for its credit until a deadline.
  if (order.payment.method === 'card') delete order.paymentDeadline;
  await rawOrders.create(order);
  await rawMailboxes.reserve({ ...reservationFor(order.mailbox.address), orderId: order.orderId }, new Date(clock));
  return order;
}

function reservationFor(address: string) {
  return {
    address,
    status: 'reserved' as const,
    storefrontId: 'storefront-1',
    orderId: '',
    orderedAt: new Date(clock).toISOString(),
    holdUntil: new Date(clock + 24 * 3600_000).toISOString(),
    type: 'standard' as const,
    domainPec: false,
    holderEmail: 'mario.rossi@example.com',
    autoRenew: false,
    passwordSet: false,
  };
}

const PERMANENT = new Set([
  'PaymentDeclinedError',
  'ProvisioningImpossibleError',
  'DomainNotConfiguredError',
  'PaymentAlreadyReceivedError',
]);

/**
 * Runs a step as the workflow's Retry does: again after any failure but a permanent one, up to
 * `attempts` times in all. Answers the last error, or undefined once it succeeded.
 */
async function retried(step: (now: Date) => Promise<unknown>, attempts = 7): Promise<Error | undefined> {
  let last: Error | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      await step(tick());
      return undefined;
    } catch (error) {
      last = error as Error;
      if (PERMANENT.has(last.name)) return last;
    }
  }
  return last;
}

const order = async (orderId: string) => (await rawOrders.get(orderId)) as Order;
/** The order's PaymentIntents at Stripe (one at most). */
const chargeItems = async (orderId: string) =>
  stripe.paymentIntents().filter((intent) => intent.metadata.orderId === orderId);
/** The money Stripe took for the order, if it did. */
const chargeOf = async (orderId: string) => {
  const paid = (await chargeItems(orderId)).find((intent) => intent.status === 'succeeded');
  return paid ? { status: 'succeeded' as const, chargeId: paid.id } : undefined;
};
/** The refunds Stripe made of the order's PaymentIntents. */
const refundsOf = (orderId: string) => {
  const intents = new Set(
    stripe.paymentIntents().flatMap((intent) => (intent.metadata.orderId === orderId ? [intent.id] : [])),
  );
  return stripe
    .refunds()
    .filter((refund) => typeof refund.payment_intent === 'string' && intents.has(refund.payment_intent));
};

describe('chargePayment', () => {
  it('settles a timeout after charging by looking the charge up: the retry charges nothing and marks the order paid', async () => {
    const { orderId } = await placed();
    faults.fail('gateway.confirmPayment', 1, { after: true, error: timeout });

    await expect(steps.chargePayment(deps, orderId, tick())).rejects.toMatchObject({ name: 'TimeoutError' });
    expect((await order(orderId)).payment.status).toBe('pending');
    await steps.chargePayment(deps, orderId, tick());

    expect(faults.count('gateway.confirmPayment')).toBe(1);
    expect(faults.count('gateway.findPayment')).toBe(1);
    const charge = await chargeOf(orderId);
    expect(charge?.status).toBe('succeeded');
    expect(await order(orderId)).toMatchObject({
      status: 'activating',
      payment: { status: 'paid' },
      chargeId: charge?.status === 'succeeded' ? charge.chargeId : 'none',
    });
    expect(audit.eventsOf(orderId)).toEqual(['payment-charged']);
  });

  it('retries recording the payment: charged once, then marked paid', async () => {
    const { orderId } = await placed();
    faults.fail('orders.markPaid', 2);

    expect(await retried((now) => steps.chargePayment(deps, orderId, now))).toBeUndefined();

    expect(faults.count('orders.markPaid')).toBe(3);
    expect(faults.count('gateway.confirmPayment')).toBe(1);
    expect(await chargeItems(orderId)).toHaveLength(1);
    expect((await order(orderId)).payment.status).toBe('paid');
  });

  it('writes the audit entry on the retry after the order was marked paid, without charging or marking again', async () => {
    const { orderId } = await placed();
    faults.fail('audit.record', 1);

    expect(await retried((now) => steps.chargePayment(deps, orderId, now))).toBeUndefined();

    expect(faults.count('gateway.confirmPayment')).toBe(1);
    expect(faults.count('orders.markPaid')).toBe(1);
    expect(audit.eventsOf(orderId)).toEqual(['payment-charged']);
  });

  it('fails a declined card with PaymentDeclinedError, audited; asked again, it charges nothing new', async () => {
    const { orderId } = await placed({
      payment: { method: 'card', status: 'pending', reference: 'RF00X', token: 'tok_declined' },
    });

    await expect(steps.chargePayment(deps, orderId, tick())).rejects.toMatchObject({ name: 'PaymentDeclinedError' });
    await expect(steps.chargePayment(deps, orderId, tick())).rejects.toMatchObject({ name: 'PaymentDeclinedError' });

    expect(faults.count('gateway.confirmPayment')).toBe(1);
    // Marked failed with the provider's reason (the workflow's closing then fails the order).
    expect(await order(orderId)).toMatchObject({
      status: 'pending_payment',
      payment: { status: 'failed' },
      declineReason: 'generic_decline',
    });
    expect(audit.eventsOf(orderId)).toEqual(['payment-declined']);
  });

  it('records a refund for a charge a late attempt made after the order was closed', async () => {
    const { orderId } = await placed();
    // The order is closed (its close finds no charge yet) right before the late attempt charges.
    faults.before('gateway.confirmPayment', () => steps.closeOrder(deps, orderId, 'failed', 'States.Timeout', tick()));

    await expect(steps.chargePayment(deps, orderId, tick())).rejects.toMatchObject({
      name: 'ProvisioningImpossibleError',
    });

    const charge = await chargeOf(orderId);
    // Recorded, then given back through Stripe.
    expect(await order(orderId)).toMatchObject({
      status: 'failed',
      payment: { status: 'refunded' },
      refund: {
        status: 'refunded',
        chargeId: charge?.status === 'succeeded' ? charge.chargeId : 'none',
        amountCents: 610,
      },
    });
    expect(refundsOf(orderId)).toHaveLength(1);
    expect(audit.eventsOf(orderId)).toEqual(expect.arrayContaining(['refund-required', 'refunded']));
  });
});

describe('closeOrder', () => {
  it('finds the charge a ChargePayment that ran out of retries took but never recorded, and records its refund', async () => {
    const { orderId, mailbox } = await placed();
    faults.fail('orders.markPaid', Number.POSITIVE_INFINITY);
    const error = await retried((now) => steps.chargePayment(deps, orderId, now));
    expect(error?.name).toBe('ThrottlingException');
    expect((await order(orderId)).payment.status).toBe('pending');

    await steps.closeOrder(deps, orderId, 'failed', error?.name ?? '', tick());

    const charge = await chargeOf(orderId);
    const closed = await order(orderId);
    expect(closed).toMatchObject({
      status: 'failed',
      payment: { status: 'refunded' },
      refund: {
        status: 'refunded',
        chargeId: charge?.status === 'succeeded' ? charge.chargeId : 'none',
        amountCents: 610,
        currency: 'EUR',
      },
    });
    expect(refundsOf(orderId)).toEqual([expect.objectContaining({ id: closed.refund?.refundId, amount: 610 })]);
    expect(await rawMailboxes.get(mailbox.address)).toBeUndefined();
    expect(outbox.about(orderId)).toEqual([
      { kind: 'orderFailed', input: expect.objectContaining({ refundCents: 610, paymentDeclined: false }) },
    ]);
    expect(audit.eventsOf(orderId).sort()).toEqual(['order-failed', 'refund-required', 'refunded']);
  });

  it('records the refund of a paid order it closes, once however often it is retried', async () => {
    const { orderId } = await placed();
    await steps.chargePayment(deps, orderId, tick());

    await steps.closeOrder(deps, orderId, 'failed', 'ProvisioningImpossibleError', tick());
    const first = await order(orderId);
    await steps.closeOrder(deps, orderId, 'failed', 'ProvisioningImpossibleError', tick());

    expect(first.refund).toMatchObject({ chargeId: first.chargeId, amountCents: 610, status: 'refunded' });
    expect(await order(orderId)).toEqual(first);
    expect(outbox.about(orderId)).toHaveLength(1);
    expect(faults.count('orders.recordRefund')).toBe(1);
    expect(faults.count('gateway.refundPayment')).toBe(1);
    expect(refundsOf(orderId)).toHaveLength(1);
  });

  it('closes a declined order without a refund, telling the holder the payment was declined', async () => {
    const { orderId } = await placed({
      payment: { method: 'card', status: 'pending', reference: 'RF00X', token: 'tok_declined' },
    });
    const error = await retried((now) => steps.chargePayment(deps, orderId, now));

    await steps.closeOrder(deps, orderId, 'failed', error?.name ?? '', tick());

    expect(await order(orderId)).toMatchObject({ status: 'failed', payment: { status: 'failed' } });
    expect(await order(orderId)).not.toHaveProperty('refund');
    expect(outbox.about(orderId)).toEqual([
      { kind: 'orderFailed', input: expect.objectContaining({ paymentDeclined: true, refundCents: undefined }) },
    ]);
  });

  it.each([
    ['orders.close', {}],
    ['orders.close', { after: true }],
    ['gateway.findPayment', {}],
    ['orders.recordRefund', {}],
    ['orders.recordRefund', { after: true }],
    ['mailboxes.release', {}],
    ['orders.claimEmail', {}],
    ['notifier.orderFailed', {}],
    ['audit.record', {}],
  ] as const)('retried after %s failed (%j), completes every effect, with one email', async (method, options) => {
    const { orderId, mailbox } = await placed();
    faults.fail('orders.markPaid', 1, { after: true }); // paid, though the charge step never heard it
    await retried((now) => steps.chargePayment(deps, orderId, now));
    faults.fail(method, 2, options);

    expect(await retried((now) => steps.closeOrder(deps, orderId, 'failed', 'ProvisioningImpossibleError', now))).toBe(
      undefined,
    );

    expect(await order(orderId)).toMatchObject({ status: 'failed', payment: { status: 'refunded' } });
    expect(refundsOf(orderId)).toHaveLength(1);
    expect(await rawMailboxes.get(mailbox.address)).toBeUndefined();
    expect(outbox.about(orderId).map((s) => s.kind)).toEqual(['orderFailed']);
    expect(audit.eventsOf(orderId).sort()).toEqual(['order-failed', 'payment-charged', 'refund-required', 'refunded']);
  });

  it('does the other effects when one keeps failing, and does not send an email whose outcome is unknown again', async () => {
    const { orderId, mailbox } = await placed();
    await steps.chargePayment(deps, orderId, tick());
    faults.fail('notifier.orderFailed', 1, {
      after: true,
      error: () => new EmailOutcomeUnknownError('no answer (injected)'),
    });
    faults.fail('audit.record', Number.POSITIVE_INFINITY);

    expect(
      await retried((now) => steps.closeOrder(deps, orderId, 'failed', 'ProvisioningImpossibleError', now), 4),
    ).toBeDefined();

    // The email went out once (its answer was lost): never again; the address is free; the refund is on the order.
    expect(outbox.about(orderId)).toHaveLength(1);
    expect(faults.count('notifier.orderFailed')).toBe(1);
    expect(await rawMailboxes.get(mailbox.address)).toBeUndefined();
    expect((await order(orderId)).payment.status).toBe('refunded');
  });

  it('never touches a completed order', async () => {
    const { orderId } = await placed();
    await steps.chargePayment(deps, orderId, tick());
    await rawOrders.markCompleted(orderId, tick());

    await steps.closeOrder(deps, orderId, 'failed', 'ProvisioningImpossibleError', tick());

    expect(await order(orderId)).toMatchObject({ status: 'completed', payment: { status: 'paid' } });
    expect(outbox.about(orderId)).toEqual([]);
  });

  it('cancels a transfer order paid at the last moment with the refund of its credit', async () => {
    const { orderId } = await placed({
      payment: { method: 'bank_transfer', status: 'pending', reference: 'RF00X' },
    });
    await rawOrders.markPaid(orderId, tick(), 'evt_late');

    await steps.closeOrder(deps, orderId, 'cancelled', 'States.Timeout', tick());

    expect(await order(orderId)).toMatchObject({
      status: 'cancelled',
      payment: { status: 'refund_required' },
      refund: { chargeId: 'evt_late', amountCents: 610 },
    });
    expect(outbox.about(orderId)).toEqual([
      { kind: 'orderCancelled', input: expect.objectContaining({ refundCents: 610 }) },
    ]);
  });
});

describe('provisionMailbox', () => {
  it('an audit outage after activation does not fail a fulfilled order: CompleteOrder writes the entry', async () => {
    const { orderId, mailbox } = await placed();
    await steps.chargePayment(deps, orderId, tick());
    faults.reset();
    faults.fail('audit.record', Number.POSITIVE_INFINITY);

    await steps.provisionMailbox(deps, orderId, tick());
    expect((await rawMailboxes.get(mailbox.address))?.status).toBe('active');
    expect(audit.eventsOf(orderId)).not.toContain('mailbox-activated');

    faults.reset();
    await steps.completeOrder(deps, orderId, tick());
    expect(audit.eventsOf(orderId)).toEqual(expect.arrayContaining(['mailbox-activated', 'order-completed']));
  });
});

describe('completeOrder', () => {
  it.each(['audit.record', 'documents.putOrderDocument'])(
    'completes the audit entry and the document on the retry after %s failed',
    async (method) => {
      const { orderId } = await placed();
      await steps.chargePayment(deps, orderId, tick());
      await rawOrders.markPaid(orderId, tick());
      faults.reset();
      faults.fail(method, 1);

      await expect(steps.completeOrder(deps, orderId, tick())).rejects.toMatchObject({ name: 'ThrottlingException' });
      // The other effect was done all the same.
      expect(faults.count('audit.record') + faults.count('documents.putOrderDocument')).toBe(2);
      await steps.completeOrder(deps, orderId, tick());

      expect(audit.eventsOf(orderId)).toContain('order-completed');
      expect(documents.documents.get(orderId)).toMatchObject({ orderId, status: 'completed' });
      expect((await order(orderId)).status).toBe('completed');
    },
  );

  it('refuses an order that is not activating, permanently', async () => {
    const { orderId } = await placed();

    await expect(steps.completeOrder(deps, orderId, tick())).rejects.toMatchObject({
      name: 'ProvisioningImpossibleError',
    });
  });
});

describe('awaitPayment', () => {
  const transfer = () => placed({ payment: { method: 'bank_transfer', status: 'pending', reference: 'RF00X' } });

  it('retries the instructions email that failed; only the attempt that got through keeps its token', async () => {
    const { orderId } = await transfer();
    faults.fail('notifier.paymentInstructions', 1);

    await expect(steps.awaitPayment(deps, orderId, 'token-1', tick())).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
    expect(await rawOrders.getTaskToken(orderId)).toBeUndefined();
    await steps.awaitPayment(deps, orderId, 'token-2', tick());

    expect(await rawOrders.getTaskToken(orderId)).toBe('token-2');
    expect(outbox.about(orderId).map((s) => s.kind)).toEqual(['paymentInstructions']);
  });

  it('keeps the retry’s token without a second email when keeping the first one failed', async () => {
    const { orderId } = await transfer();
    faults.fail('orders.saveTaskToken', 1);

    expect(await retried((now) => steps.awaitPayment(deps, orderId, `token-${now.getTime()}`, now))).toBeUndefined();

    expect(await rawOrders.getTaskToken(orderId)).toMatch(/^token-/);
    expect(outbox.about(orderId)).toHaveLength(1);
  });

  it('answers PaymentAlreadyReceivedError when the credit arrived while the wait was being set up again', async () => {
    const { orderId } = await transfer();
    await steps.awaitPayment(deps, orderId, 'token-1', tick());
    await rawOrders.markPaid(orderId, tick(), 'evt_1'); // the webhook, with token-1, whose attempt then failed

    await expect(steps.awaitPayment(deps, orderId, 'token-2', tick())).rejects.toMatchObject({
      name: 'PaymentAlreadyReceivedError',
    });
    expect(outbox.about(orderId)).toHaveLength(1);
  });

  it('answers ProvisioningImpossibleError for an order no longer waiting', async () => {
    const { orderId } = await transfer();
    await rawOrders.close(orderId, 'failed', 'workflow_not_started', tick());

    await expect(steps.awaitPayment(deps, orderId, 'token-1', tick())).rejects.toMatchObject({
      name: 'ProvisioningImpossibleError',
    });
    expect(outbox.about(orderId)).toEqual([]);
  });

  it('answers OrderCancelledError for an order cancelled before its wait, so that the workflow closes it as cancelled', async () => {
    const { orderId } = await transfer();
    await rawOrders.cancelWaiting(orderId, 'cancelled_by_storefront', tick());

    await expect(steps.awaitPayment(deps, orderId, 'token-1', tick())).rejects.toMatchObject({
      name: 'OrderCancelledError',
    });
    expect(outbox.about(orderId)).toEqual([]);
  });
});

/**
 * A card order through the workflow's path, each step retried as the definition says (7 attempts,
 * closing 11); a failed confirmation or first-access email does not stop it. Answers how the run ended.
 */
async function fulfilCard(orderId: string) {
  await retried((now) => steps.sendOrderConfirmation(deps, orderId, now));
  let error = await retried((now) => steps.chargePayment(deps, orderId, now));
  if (!error) error = await retried((now) => steps.provisionMailbox(deps, orderId, now));
  if (!error) {
    await retried((now) => steps.sendFirstAccessEmail(deps, settings, orderId, now));
    return (await retried((now) => steps.completeOrder(deps, orderId, now))) ? 'completion-unrecorded' : 'completed';
  }
  const closeError = await retried((now) => steps.closeOrder(deps, orderId, 'failed', error.name, now), 11);
  return closeError ? 'close-failed' : 'failed';
}

/**
 * What must hold however the run went: no double charge or email, and money taken is either for a
 * completed order or shown on the order: to refund, or (when closing could not finish, which ends
 * the execution for an operator) still paid, never pending.
 */
async function expectMoneySafe(orderId: string, outcome: Outcome) {
  expect((await chargeItems(orderId)).length).toBeLessThanOrEqual(1);
  const charge = await chargeOf(orderId);
  const current = await order(orderId);
  const kinds = outbox.about(orderId).map((s) => s.kind);
  expect(new Set(kinds).size).toBe(kinds.length); // no email twice
  if (charge?.status === 'succeeded' && current.status !== 'completed') {
    if (outcome === 'close-failed') {
      expect(['paid', 'refund_required', 'refunded']).toContain(current.payment.status);
    } else {
      // Recorded, and given back through Stripe once.
      expect(current).toMatchObject({ payment: { status: 'refunded' }, refund: { chargeId: charge.chargeId } });
    }
    if (current.payment.status === 'refunded') expect(refundsOf(orderId)).toHaveLength(1);
  }
  if (current.status === 'completed') expect(current.payment.status).toBe('paid');
  if (outcome === 'completed' || outcome === 'completion-unrecorded') expect(current.status).toBe('completed');
  if (outcome === 'failed') expect(current.status).toBe('failed');
}

type Outcome = Awaited<ReturnType<typeof fulfilCard>>;
const TIMES = [1, 2, Number.POSITIVE_INFINITY];
const ALWAYS = Number.POSITIVE_INFINITY;

describe('a card order under faults, as the workflow runs it', () => {
  // Each port method, how it fails, and how the run ends when it always fails (once or twice, the
  // order completes). Always failing ends the order failed with its refund recorded where what
  // failed is needed after the charge, or completed where only the completion's records fail;
  // closing that cannot finish ends the execution for an operator.
  const cases: [string, Parameters<Faults['fail']>[2], Outcome][] = [
    ['orders.get', {}, 'failed'], // never charged: no order to read
    ['orders.markPaid', {}, 'failed'], // charged, never recorded: the close finds the charge
    ['orders.markPaid', { after: true }, 'completed'], // recorded, answer lost: the retry sees it paid
    ['gateway.confirmPayment', { after: true, error: timeout }, 'completed'], // the retry finds the charge
    ['gateway.confirmPayment', { error: () => namedError('PaymentGatewayUnavailableError') }, 'failed'],
    ['gateway.createPayment', {}, 'failed'], // never charged
    // Created, answer lost: a retry gets the same one (same key); never known, it is never confirmed.
    ['gateway.createPayment', { after: true, error: timeout }, 'failed'],
    ['orders.savePaymentId', {}, 'failed'], // never confirmed: nothing is asked before it is kept
    ['orders.savePaymentId', { after: true }, 'completed'],
    ['gateway.findPayment', {}, 'completed'], // only a retry asks: the first attempt charges
    ['audit.record', {}, 'close-failed'], // charged, then failed with the refund recorded
    ['platform.createMailbox', {}, 'failed'],
    ['mailboxes.activate', { after: true }, 'completed'],
    ['tokens.put', {}, 'completed'], // without its first-access email
    ['notifier.orderConfirmation', { error: () => namedError('ServiceUnavailable') }, 'completed'],
    ['notifier.firstAccess', { error: () => namedError('ServiceUnavailable') }, 'completed'],
    ['orders.claimEmail', {}, 'completed'],
    ['orders.markCompleted', { after: true }, 'completion-unrecorded'],
    ['documents.putOrderDocument', {}, 'completion-unrecorded'],
  ];

  it.each(cases.flatMap(([method, options, always]) => TIMES.map((n) => [method, options, n, always] as const)))(
    '%s failing (%j) %d time(s): no order stuck, no double charge or email, money fulfilled or to refund',
    async (method, options, n, always) => {
      const { orderId } = await placed();
      faults.fail(method, n, options);

      const outcome = await fulfilCard(orderId);

      await expectMoneySafe(orderId, outcome);
      expect(outcome).toBe(n === ALWAYS ? always : 'completed');
      if (n !== ALWAYS) expect(outbox.about(orderId).map((s) => s.kind)).toEqual(['orderConfirmation', 'firstAccess']);
    },
  );

  const closing: [string, Parameters<Faults['fail']>[2], Outcome][] = [
    ['orders.close', {}, 'close-failed'], // the order stays activating, paid
    ['orders.recordRefund', {}, 'close-failed'], // the order stays failed, paid
    ['mailboxes.release', {}, 'close-failed'],
    ['notifier.orderFailed', { error: () => namedError('ServiceUnavailable') }, 'close-failed'],
    ['audit.record', {}, 'close-failed'],
  ];

  it.each(closing.flatMap(([method, options, always]) => TIMES.map((n) => [method, options, n, always] as const)))(
    'provisioning impossible after the charge, %s failing (%j) %d time(s): closed with the refund recorded',
    async (method, options, n, always) => {
      const { orderId, mailbox } = await placed();
      // Someone else holds the address by the time the mailbox is created.
      await rawMailboxes.release(mailbox.address, orderId);
      await rawMailboxes.reserve({ ...reservationFor(mailbox.address), orderId: 'OTHER0000000' }, new Date(clock));
      faults.fail(method, n, options);

      const outcome = await fulfilCard(orderId);

      await expectMoneySafe(orderId, outcome);
      expect(outcome).toBe(n === ALWAYS ? always : 'failed');
      if (n !== ALWAYS) {
        expect(await order(orderId)).toMatchObject({ status: 'failed', payment: { status: 'refunded' } });
        expect(outbox.about(orderId)).toEqual([
          { kind: 'orderConfirmation', input: expect.objectContaining({ orderId }) },
          { kind: 'orderFailed', input: expect.objectContaining({ refundCents: 610 }) },
        ]);
      }
    },
  );
});
