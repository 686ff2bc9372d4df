import { describe, expect, it } from 'vitest';
import { ErrorName } from '../../../functions/domain/errors.ts';
import type { Mailbox } from '../../../functions/domain/mailbox.ts';
import { type Order, toPublicOrder } from '../../../functions/domain/order.ts';
import { requestDnsCheck } from '../../../functions/use-cases/dns-check.ts';
import {
  awaitAuthentication,
  awaitDomainDns,
  awaitPayment,
  chargePayment,
  checkDomainDns,
  closeOrder,
  completeOrder,
  extendMailbox,
  provisionMailbox,
  sendOrderConfirmation,
} from '../../../functions/use-cases/order-fulfilment.ts';
import {
  fakeRenewalLink,
  InMemoryDns,
  InMemoryMailboxRepository,
  InMemoryMailPlatform,
  InMemoryOrderRepository,
  InMemoryPaymentGateway,
  RecordingAuditLog,
  RecordingCallbacks,
  RecordingDocuments,
  RecordingNotifier,
} from '../../support/fakes.ts';
import { mailboxOf, savedCard, storedOrder } from '../../support/fixtures.ts';

/*
 * The workflow's steps against the in-memory ports: what each does to the order, the mailbox, the
 * platform, the holder's inbox and the audit trail, and what it refuses. (The same steps run on the
 * local DynamoDB, with faults, in test/integration/order-fulfilment.test.ts.)
 */

const now = new Date('2025-03-15T09:30:00.000Z');
const later = new Date('2025-03-16T09:30:00.000Z');

function world(order: Order, mailbox?: Partial<Mailbox>) {
  const orders = new InMemoryOrderRepository().seed(order);
  const mailboxes = new InMemoryMailboxRepository();
  if (mailbox) {
    mailboxes.seed(mailboxOf(order, { ...mailbox }));
  }
  return {
    orders,
    mailboxes,
    platform: new InMemoryMailPlatform(),
    notifier: new RecordingNotifier(),
    audit: new RecordingAuditLog(),
    documents: new RecordingDocuments(),
    gateway: new InMemoryPaymentGateway(),
    renewalLink: fakeRenewalLink,
  };
}

/** A card order waiting for its charge, paid with `credential`. */
const cardOrder = (credential: { token: string } | { paymentMethod: string }, overrides: Partial<Order> = {}) => {
  const order = storedOrder(
    { payment: { method: 'card', status: 'pending', reference: 'RF00', ...credential }, ...overrides },
    now,
  );
  delete order.paymentDeadline;
  return order;
};

describe('chargePayment', () => {
  it('creates the payment, keeps it on the order, then confirms it once and marks the order paid', async () => {
    const order = cardOrder({ paymentMethod: 'pm_card_visa' });
    const deps = world(order, {});

    await chargePayment(deps, order.orderId, now);

    const [paymentId, payment] = [...deps.gateway.payments][0] ?? [];
    expect(payment?.request).toMatchObject({
      orderId: order.orderId,
      idempotencyKey: `order-${order.orderId}`,
      amountCents: 610,
      method: 'card',
    });
    expect(deps.gateway.calls).toEqual(['createPayment', 'confirmPayment']);
    expect(await deps.orders.get(order.orderId)).toMatchObject({
      status: 'activating',
      payment: { status: 'paid' },
      providerPaymentId: paymentId,
      chargeId: paymentId,
    });
    expect(deps.audit.eventsOf(order.orderId)).toEqual(['payment-charged']);
  });

  it('a retry asks what became of the kept payment instead of confirming it again', async () => {
    const order = cardOrder({ token: 'tok_visa' }, { providerPaymentId: 'pi_lost' });
    const deps = world(order, {});
    deps.gateway.seed('pi_lost', order.orderId, { status: 'succeeded', chargeId: 'pi_lost' });

    await chargePayment(deps, order.orderId, now);

    expect(deps.gateway.calls).toEqual(['findPayment']);
    expect(await deps.orders.get(order.orderId)).toMatchObject({ payment: { status: 'paid' }, chargeId: 'pi_lost' });
  });

  it('confirms a kept payment that was never confirmed (the attempt before stopped in between)', async () => {
    const order = cardOrder({ token: 'tok_visa' }, { providerPaymentId: 'pi_kept' });
    const deps = world(order, {});
    deps.gateway.seed('pi_kept', order.orderId);

    await chargePayment(deps, order.orderId, now);

    expect(deps.gateway.calls).toEqual(['findPayment', 'confirmPayment']);
    expect((await deps.orders.get(order.orderId))?.chargeId).toBe('pi_kept');
  });

  it('a declined card is a PaymentDeclinedError, audited with its reason', async () => {
    const order = cardOrder({ paymentMethod: 'pm_card_chargeDeclined' });
    const deps = world(order, {});

    await expect(chargePayment(deps, order.orderId, now)).rejects.toMatchObject({
      name: ErrorName.PaymentDeclinedError,
    });
    // Marked failed with the provider's reason; the workflow then closes the order.
    expect(await deps.orders.get(order.orderId)).toMatchObject({
      status: 'pending_payment',
      payment: { status: 'failed' },
      declineReason: 'card_declined',
    });
    expect([...deps.audit.entries.values()]).toEqual([
      expect.objectContaining({ event: 'payment-declined', detail: { reason: 'card_declined' } }),
    ]);
    // Asked again (an attempt whose answer was lost): the same decline, nothing asked of the provider.
    await expect(chargePayment(deps, order.orderId, later)).rejects.toMatchObject({
      name: ErrorName.PaymentDeclinedError,
      message: 'The payment was declined: card_declined.',
    });
    expect(deps.gateway.calls).toEqual(['createPayment', 'confirmPayment']);
  });

  it('a payment that waits for 3-D Secure keeps its next action on the order (shown as requires_action) and hands over to the wait', async () => {
    const order = cardOrder({ paymentMethod: 'pm_card_authenticationRequired' });
    const deps = world(order, {});

    await expect(chargePayment(deps, order.orderId, now)).rejects.toMatchObject({
      name: ErrorName.PaymentRequiresActionError,
    });
    expect(deps.gateway.calls).toEqual(['createPayment', 'confirmPayment']);
    const [paymentId] = [...deps.gateway.payments.keys()];
    const kept = await deps.orders.get(order.orderId);
    expect(kept).toMatchObject({
      status: 'pending_payment',
      payment: { status: 'pending' },
      providerPaymentId: paymentId,
      nextAction: { type: 'use_stripe_sdk', clientSecret: 'secret' },
    });
    expect(kept && toPublicOrder(kept).payment).toMatchObject({
      status: 'requires_action',
      nextAction: { type: 'use_stripe_sdk', clientSecret: 'secret' },
    });
    expect(deps.audit.eventsOf(order.orderId)).toEqual(['payment-requires-action']);
  });

  it('run again once the holder authenticated, it asks what became of the payment and marks the order paid', async () => {
    const order = cardOrder({ paymentMethod: 'pm_card_authenticationRequired' });
    const deps = world(order, {});
    await chargePayment(deps, order.orderId, now).catch(() => undefined);
    const [paymentId = ''] = [...deps.gateway.payments.keys()];
    deps.gateway.authenticate(paymentId);

    await chargePayment(deps, order.orderId, later);

    expect(deps.gateway.calls).toEqual(['createPayment', 'confirmPayment', 'findPayment']);
    const paid = await deps.orders.get(order.orderId);
    expect(paid).toMatchObject({ status: 'activating', payment: { status: 'paid' }, chargeId: paymentId });
    expect(paid && toPublicOrder(paid).payment).toEqual({ method: 'card', status: 'paid', reference: 'RF00' });
  });
  it('saves the method for automatic renewals: a customer per order, and the order keeps what the payment saved', async () => {
    const order = cardOrder({ token: 'tok_visa' });
    const deps = world(order, {});

    await chargePayment(deps, order.orderId, now);

    const [paymentId, payment] = [...deps.gateway.payments][0] ?? [];
    expect(payment?.request.saveFor).toEqual({
      idempotencyKey: `order-${order.orderId}-customer`,
      email: order.holder.email,
    });
    expect(payment?.request).not.toHaveProperty('customerId');
    // What the provider saved (the PaymentMethod made from the token), never the one-time token itself.
    expect(await deps.orders.get(order.orderId)).toMatchObject({
      chargeId: paymentId,
      savedPaymentMethod: { method: 'card', customerId: `cus_${order.orderId}`, paymentMethod: 'pm_from_tok_visa' },
    });
  });

  describe('off-session (an automatic renewal: the holder is away)', () => {
    const offSessionOrder = (paymentMethod: string, customerId: string | null = savedCard.customerId) =>
      cardOrder(
        { paymentMethod },
        {
          kind: 'renewal',
          payment: {
            method: 'card',
            status: 'pending',
            reference: 'RF00',
            paymentMethod,
            ...(customerId ? { customerId } : {}),
            offSession: true,
          },
        },
      );

    it('charges the saved method on its customer, off-session, and marks the order paid', async () => {
      const order = offSessionOrder(savedCard.paymentMethod);
      const deps = world(order, {});

      await chargePayment(deps, order.orderId, now);

      const [, payment] = [...deps.gateway.payments][0] ?? [];
      expect(payment?.request).toMatchObject({ customerId: savedCard.customerId });
      expect(payment?.request).not.toHaveProperty('saveFor');
      expect(await deps.orders.get(order.orderId)).toMatchObject({
        status: 'activating',
        payment: { status: 'paid' },
        savedPaymentMethod: savedCard,
      });
    });

    it('a payment that needs the holder to authenticate is declined (authentication_required), never a wait', async () => {
      const order = offSessionOrder('pm_card_authenticationRequired');
      // A provider that answers requires_action even off-session: the use case still never waits.
      class OnSessionGateway extends InMemoryPaymentGateway {
        override confirmPayment(...[paymentId, confirmation]: Parameters<InMemoryPaymentGateway['confirmPayment']>) {
          return super.confirmPayment(paymentId, { ...confirmation, offSession: false });
        }
      }
      const deps = { ...world(order, {}), gateway: new OnSessionGateway() };

      const error = await chargePayment(deps, order.orderId, now).catch((thrown: unknown) => thrown);

      expect(error).toMatchObject({ name: ErrorName.PaymentDeclinedError });
      expect(deps.gateway.calls).toEqual(['createPayment', 'confirmPayment', 'cancelPayment']);
      const declined = await deps.orders.get(order.orderId);
      expect(declined).toMatchObject({ payment: { status: 'failed' }, declineReason: 'authentication_required' });
      expect(declined?.nextAction).toBeUndefined();
      expect([...deps.audit.entries.values()]).toEqual([
        expect.objectContaining({
          event: 'payment-declined',
          detail: { reason: 'authentication_required', offSession: true },
        }),
      ]);
    });

    it('asks the provider off-session, which declines what needs authentication', async () => {
      const order = offSessionOrder('pm_card_authenticationRequired');
      const deps = world(order, {});

      await expect(chargePayment(deps, order.orderId, now)).rejects.toMatchObject({
        name: ErrorName.PaymentDeclinedError,
      });
      expect(deps.gateway.calls).toEqual(['createPayment', 'confirmPayment']);
      expect((await deps.orders.get(order.orderId))?.declineReason).toBe('authentication_required');
    });

    it('declines, asking the provider nothing, a renewal with no method saved on a customer', async () => {
      const order = offSessionOrder('pm_card_visa', null);
      const deps = world(order, {});

      await expect(chargePayment(deps, order.orderId, now)).rejects.toMatchObject({
        name: ErrorName.PaymentDeclinedError,
      });
      expect(deps.gateway.calls).toEqual([]);
      expect((await deps.orders.get(order.orderId))?.declineReason).toBe('no_saved_payment_method');
    });
  });

  it('charges nothing for an order without a card or PayPal payment', async () => {
    const order = cardOrder({ token: 'tok_visa' });
    const deps = world({ ...order, payment: { method: 'card', status: 'pending', reference: 'RF00' } }, {});

    await expect(chargePayment(deps, order.orderId, now)).rejects.toMatchObject({
      name: ErrorName.ProvisioningImpossibleError,
    });
    expect(deps.gateway.calls).toEqual([]);
  });
});

describe('awaitAuthentication', () => {
  /** A card order whose payment waits for the holder, as chargePayment leaves it. */
  async function waiting() {
    const order = cardOrder({ paymentMethod: 'pm_card_authenticationRequired' });
    const deps = { ...world(order, {}), callbacks: new RecordingCallbacks() };
    await chargePayment(deps, order.orderId, now).catch(() => undefined);
    const [paymentId = ''] = [...deps.gateway.payments.keys()];
    return { order, deps, paymentId };
  }

  it('keeps the task token on the order while the holder has not acted', async () => {
    const { order, deps } = await waiting();

    await awaitAuthentication(deps, order.orderId, 'token-3ds');

    expect(await deps.orders.getTaskToken(order.orderId)).toBe('token-3ds');
  });

  it('a payment completed before the token was kept (its webhook found no wait) goes back to the charge step', async () => {
    const { order, deps, paymentId } = await waiting();
    deps.gateway.authenticate(paymentId);

    await expect(awaitAuthentication(deps, order.orderId, 'token-3ds')).rejects.toMatchObject({
      name: ErrorName.PaymentAlreadyReceivedError,
    });
  });

  it('a payment the holder abandoned before the token was kept fails the order as declined', async () => {
    const { order, deps, paymentId } = await waiting();
    const payment = deps.gateway.payments.get(paymentId);
    if (payment) payment.result = { status: 'declined', reason: 'payment_intent_authentication_failure' };

    await expect(awaitAuthentication(deps, order.orderId, 'token-3ds')).rejects.toMatchObject({
      name: ErrorName.PaymentDeclinedError,
    });
  });

  it('an order paid already has nothing to wait for; one without a kept payment cannot wait', async () => {
    const paid = cardOrder({ paymentMethod: 'pm_card_visa' });
    const deps = world(paid, {});
    await chargePayment(deps, paid.orderId, now);
    await expect(awaitAuthentication(deps, paid.orderId, 'token')).rejects.toMatchObject({
      name: ErrorName.PaymentAlreadyReceivedError,
    });

    const unkept = cardOrder({ paymentMethod: 'pm_card_visa' });
    await expect(awaitAuthentication(world(unkept, {}), unkept.orderId, 'token')).rejects.toMatchObject({
      name: ErrorName.ProvisioningImpossibleError,
    });
  });
});

describe('awaitPayment', () => {
  it('emails the payment instructions, the order confirmation of a transfer, once and keeps the task token', async () => {
    const order = storedOrder({ consents: { termsVersion: '2026-01', acceptedAt: now.toISOString() } }, now);
    const deps = world(order);

    await awaitPayment(deps, order.orderId, 'token-1', now);
    await awaitPayment(deps, order.orderId, 'token-2', later);

    expect(deps.notifier.of('paymentInstructions')).toEqual([
      {
        to: 'mario.rossi@example.com',
        orderId: order.orderId,
        kind: 'new',
        address: order.mailbox.address,
        type: 'standard',
        domainPec: false,
        years: 1,
        totals: { netCents: 500, vatCents: 110, grossCents: 610 },
        terms: { version: '2026-01', url: 'https://pec.example.com/condizioni-generali/2026-01' },
        method: 'bank_transfer',
        reference: order.payment.reference,
        deadline: order.paymentDeadline,
      },
    ]);
    expect(await deps.orders.getTaskToken(order.orderId)).toBe('token-2');
  });

  it('sends no instructions for a card order', async () => {
    const order = storedOrder({ payment: { method: 'card', status: 'pending', reference: 'RF00', token: 'tok_visa' } });
    const deps = world(order);

    await awaitPayment(deps, order.orderId, 'token-1', now);

    expect(deps.notifier.sent).toEqual([]);
    expect(await deps.orders.getTaskToken(order.orderId)).toBe('token-1');
  });

  it('refuses an order that no longer waits for its payment', async () => {
    const order = storedOrder({ status: 'failed' });
    const deps = world(order);

    await expect(awaitPayment(deps, order.orderId, 'token-1', now)).rejects.toMatchObject({
      name: ErrorName.ProvisioningImpossibleError,
    });
    expect(await deps.orders.getTaskToken(order.orderId)).toBeUndefined();
  });

  it('sends a cancelled order to its closing as cancelled (OrderCancelledError), sending nothing', async () => {
    const order = storedOrder({ status: 'cancelled' });
    const deps = world(order);

    await expect(awaitPayment(deps, order.orderId, 'token-1', now)).rejects.toMatchObject({
      name: ErrorName.OrderCancelledError,
    });
    expect(deps.notifier.sent).toEqual([]);
    expect(await deps.orders.getTaskToken(order.orderId)).toBeUndefined();
  });
});

describe('sendOrderConfirmation', () => {
  const cardOrder = (overrides: Partial<Order> = {}) =>
    storedOrder(
      {
        payment: { method: 'card', status: 'pending', reference: 'RF00', token: 'tok_visa' },
        consents: { termsVersion: '2026-01', acceptedAt: now.toISOString() },
        ...overrides,
      },
      now,
    );

  it('confirms a new card order once: what was ordered, the total, the conditions accepted', async () => {
    const order = cardOrder({ years: 2, totals: { netCents: 1000, vatCents: 220, grossCents: 1220 } });
    const deps = world(order);

    await sendOrderConfirmation(deps, order.orderId, now);
    await sendOrderConfirmation(deps, order.orderId, later);

    expect(deps.notifier.sent).toEqual([
      {
        email: 'orderConfirmation',
        input: {
          to: 'mario.rossi@example.com',
          orderId: order.orderId,
          kind: 'new',
          address: order.mailbox.address,
          type: 'standard',
          domainPec: false,
          years: 2,
          totals: { netCents: 1000, vatCents: 220, grossCents: 1220 },
          terms: { version: '2026-01', url: 'https://pec.example.com/condizioni-generali/2026-01' },
          method: 'card',
        },
      },
    ]);
    expect((await deps.orders.get(order.orderId))?.orderConfirmationSentAt).toBe(now.toISOString());
  });

  it('names conditions that are no longer in force without a link to today’s', async () => {
    const order = cardOrder({ consents: { termsVersion: '2025-01', acceptedAt: now.toISOString() } });
    const deps = world(order);

    await sendOrderConfirmation(deps, order.orderId, now);

    expect(deps.notifier.of('orderConfirmation')[0]?.terms).toEqual({ version: '2025-01' });
  });

  it('sends nothing for a renewal (confirmed when it completes) nor for a transfer (its instructions confirm it)', async () => {
    const renewal = cardOrder({ kind: 'renewal', consents: undefined });
    const transfer = storedOrder({}, now);
    const deps = world(renewal);
    await deps.orders.create(transfer);

    await sendOrderConfirmation(deps, renewal.orderId, now);
    await sendOrderConfirmation(deps, transfer.orderId, now);

    expect(deps.notifier.sent).toEqual([]);
  });

  it('gives the claim back when the email is refused, so that a retry sends it', async () => {
    const order = cardOrder();
    const deps = world(order);
    const refused = Object.assign(new Error('rejected'), { name: 'MessageRejected' });
    const notifier = { ...deps.notifier, orderConfirmation: async () => Promise.reject(refused) };

    await expect(sendOrderConfirmation({ ...deps, notifier }, order.orderId, now)).rejects.toBe(refused);
    await sendOrderConfirmation(deps, order.orderId, later);

    expect(deps.notifier.of('orderConfirmation')).toHaveLength(1);
  });
});

describe('checkDomainDns', () => {
  const HOUR = 3600;
  const settings = {
    providerMxHosts: ['mx.pec-provider.it'],
    deadlineSeconds: 7 * 24 * HOUR,
    poll: { firstSeconds: 300, maxSeconds: 2 * HOUR },
  };
  const domainOrder = (): Order => {
    const order = storedOrder({ status: 'activating', paidAt: now.toISOString() }, now);
    return {
      ...order,
      mailbox: { ...order.mailbox, address: `info@${order.orderId.toLowerCase()}.it`, domainPec: true },
    };
  };
  const withMx = (deps: ReturnType<typeof world>, order: Order, hosts: string[]) => {
    const dns = new InMemoryDns().set(order.mailbox.address.split('@')[1] as string, hosts);
    return { ...deps, dns };
  };
  const check = (deps: Parameters<typeof checkDomainDns>[0], order: Order, at = now, previousWaitSeconds?: number) =>
    checkDomainDns(deps, settings, { orderId: order.orderId, previousWaitSeconds }, at);

  it('is ready once the domain MX points at the provider, showing the mailbox as activating', async () => {
    const order = domainOrder();
    const deps = withMx(world(order, {}), order, ['mx.pec-provider.it']);

    expect(await check(deps, order)).toEqual({ ready: true });
    expect((await deps.mailboxes.get(order.mailbox.address))?.status).toBe('activating');
    expect(deps.notifier.sent).toEqual([]);
  });

  it('emails the DNS instructions once while the records are missing', async () => {
    const order = domainOrder();
    const deps = withMx(world(order, {}), order, ['mx.elsewhere.example']);

    expect(await check(deps, order)).toMatchObject({ ready: false });
    expect(await check(deps, order, later)).toMatchObject({ ready: false });

    expect(deps.notifier.of('domainDnsInstructions')).toEqual([
      expect.objectContaining({ mxHosts: ['mx.pec-provider.it'], deadline: '2025-03-22T09:30:00.000Z' }),
    ]);
  });

  it('waits longer after every check that finds the records missing, up to the cap', async () => {
    const order = domainOrder();
    const deps = withMx(world(order, {}), order, []);
    const waits: number[] = [];
    let previous: number | undefined;
    for (let i = 0; i < 8; i++) {
      const answer = await check(deps, order, now, previous);
      if (answer.ready) throw new Error('not ready');
      waits.push(answer.waitSeconds);
      previous = answer.waitSeconds;
    }
    expect(waits).toEqual([300, 600, 1200, 2400, 4800, 7200, 7200, 7200]);
  });

  it('never waits past the deadline', async () => {
    const order = domainOrder();
    const deps = withMx(world(order, {}), order, []);
    const tenMinutesBefore = new Date(now.getTime() + (settings.deadlineSeconds - 600) * 1000);

    expect(await check(deps, order, tenMinutesBefore, 2 * HOUR)).toEqual({ ready: false, waitSeconds: 600 });
  });

  it('takes a resolver that cannot answer as records still missing, not as a failure', async () => {
    const order = domainOrder();
    const deps = withMx(world(order, {}), order, ['mx.pec-provider.it']);
    deps.dns.failing = true;

    expect(await check(deps, order)).toEqual({ ready: false, waitSeconds: 300 });
    deps.dns.failing = false;
    expect(await check(deps, order, later, 300)).toEqual({ ready: true });
  });

  it('gives up after the deadline', async () => {
    const order = domainOrder();
    const deps = withMx(world(order, {}), order, []);

    await expect(check(deps, order, new Date('2025-03-22T09:30:00.001Z'))).rejects.toMatchObject({
      name: ErrorName.DomainNotConfiguredError,
    });
  });

  it('refuses when the order no longer holds the address', async () => {
    const order = domainOrder();
    const deps = withMx(world(order, { orderId: 'SOMEONE-ELSE' }), order, ['mx.pec-provider.it']);

    await expect(check(deps, order)).rejects.toMatchObject({ name: ErrorName.ProvisioningImpossibleError });
  });
});

describe('awaitDomainDns and requestDnsCheck: a check asked for is never lost', () => {
  const HOUR = 3600;
  const settings = {
    providerMxHosts: ['mx.pec-provider.it'],
    deadlineSeconds: 7 * 24 * HOUR,
    poll: { firstSeconds: 300, maxSeconds: 2 * HOUR },
  };
  const setUp = () => {
    const stored = storedOrder({ status: 'activating', paidAt: now.toISOString() }, now);
    const address = `info@${stored.orderId.toLowerCase()}.it`;
    const order: Order = { ...stored, mailbox: { ...stored.mailbox, address, domainPec: true } };
    const deps = {
      ...world(order, { domainPec: true, storefrontId: 'sf-1' }),
      dns: new InMemoryDns().set(address.split('@')[1] as string, []),
      callbacks: new RecordingCallbacks(),
    };
    const request = (storefrontId = 'sf-1') => requestDnsCheck(deps, { address, storefrontId });
    return { order, address, deps, request };
  };

  it('keeps the wait’s token; a check asked for ends that wait', async () => {
    const { order, deps, request } = setUp();
    await checkDomainDns(deps, settings, { orderId: order.orderId }, now);
    await awaitDomainDns(deps, order.orderId, 'token-1');

    await request();

    expect(deps.callbacks.calls).toEqual([
      { token: 'token-1', outcome: 'succeed', detail: { dnsCheckRequested: true } },
    ]);
  });

  it('a check asked for while a check runs makes its wait check again at once', async () => {
    const { order, deps, request } = setUp();
    await checkDomainDns(deps, settings, { orderId: order.orderId }, now);
    await awaitDomainDns(deps, order.orderId, 'token-1');
    await request(); // ends the wait: the workflow checks again...
    await checkDomainDns(deps, settings, { orderId: order.orderId, previousWaitSeconds: 300 }, now);
    await request(); // ...and the holder asks again while that check runs: its token is used already

    await expect(awaitDomainDns(deps, order.orderId, 'token-2')).rejects.toMatchObject({
      name: ErrorName.DnsCheckRequestedError,
    });
    await checkDomainDns(deps, settings, { orderId: order.orderId, previousWaitSeconds: 600 }, now);
    await awaitDomainDns(deps, order.orderId, 'token-3'); // this check saw every request: it waits
    expect(deps.callbacks.calls.map((call) => call.token)).toEqual(['token-1', 'token-1']);
  });

  it('answers a mailbox of another storefront, a reservation and an unknown address as not found', async () => {
    const { order, deps, request } = setUp();
    await expect(request()).rejects.toMatchObject({ name: ErrorName.NotFoundError, code: 'mailbox_not_found' });
    await checkDomainDns(deps, settings, { orderId: order.orderId }, now);
    await expect(request('sf-2')).rejects.toMatchObject({ name: ErrorName.NotFoundError, code: 'mailbox_not_found' });
    await expect(requestDnsCheck(deps, { address: 'nobody@nowhere.it', storefrontId: 'sf-1' })).rejects.toMatchObject({
      name: ErrorName.NotFoundError,
    });
  });

  it('refuses a mailbox that is not waiting for its MX records with 409 not_waiting_for_dns', async () => {
    const { order, address, deps, request } = setUp();
    await checkDomainDns(deps, settings, { orderId: order.orderId }, now);
    await deps.mailboxes.activate(address, order.orderId, {
      activatedAt: now.toISOString(),
      expiresAt: later.toISOString(),
      autoRenew: false,
    });
    await deps.orders.markCompleted(order.orderId, now);

    await expect(request()).rejects.toMatchObject({ name: ErrorName.ConflictError, code: 'not_waiting_for_dns' });
    expect(deps.callbacks.calls).toEqual([]);
  });

  it('refuses the wait of an order that is no longer activating', async () => {
    const { order, deps } = setUp();
    await deps.orders.close(order.orderId, 'failed', 'test', now);
    await expect(awaitDomainDns(deps, order.orderId, 'token-1')).rejects.toMatchObject({
      name: ErrorName.ProvisioningImpossibleError,
    });
  });
});

describe('provisionMailbox: what automatic renewals charge', () => {
  const paid = (overrides: Partial<Order>) =>
    storedOrder({ status: 'activating', paidAt: now.toISOString(), ...overrides }, now);

  it('keeps on the mailbox the method the payment saved, and turns automatic renewal on', async () => {
    const order = paid({
      payment: { method: 'card', status: 'paid', reference: 'RF00', token: 'tok_visa' },
      savedPaymentMethod: savedCard,
    });
    const deps = world(order, {});

    await provisionMailbox(deps, order.orderId, now);

    expect(await deps.mailboxes.get(order.mailbox.address)).toMatchObject({
      status: 'active',
      autoRenew: true,
      renewalPayment: savedCard,
    });
  });

  it('leaves automatic renewal off when nothing was saved (a transfer), never keeping a one-time token', async () => {
    const order = paid({ payment: { method: 'card', status: 'paid', reference: 'RF00', token: 'tok_visa' } });
    const deps = world(order, {});

    await provisionMailbox(deps, order.orderId, now);

    const mailbox = await deps.mailboxes.get(order.mailbox.address);
    expect(mailbox).toMatchObject({ status: 'active', autoRenew: false });
    expect(mailbox).not.toHaveProperty('renewalPayment');
  });
});

describe('extendMailbox', () => {
  const renewal = (overrides: Partial<Order> = {}) =>
    storedOrder({ kind: 'renewal', status: 'activating', years: 2, paidAt: now.toISOString(), ...overrides }, now);

  it('moves the expiry on by the years paid, confirms once and audits', async () => {
    const order = renewal();
    const deps = world(order, { status: 'active', orderId: 'FIRST', expiresAt: '2025-06-01T00:00:00.000Z' });

    await extendMailbox(deps, order.orderId, now);
    await extendMailbox(deps, order.orderId, later);

    const mailbox = await deps.mailboxes.get(order.mailbox.address);
    expect(mailbox?.expiresAt).toBe('2027-06-01T00:00:00.000Z');
    expect(mailbox?.renewalOrders).toEqual(new Set([order.orderId]));
    expect(deps.notifier.of('renewalConfirmed')).toEqual([
      expect.objectContaining({ orderId: order.orderId, expiresAt: '2027-06-01T00:00:00.000Z' }),
    ]);
    expect(deps.audit.eventsOf(order.orderId)).toEqual(['mailbox-renewed']);
  });

  it('reactivates a suspended mailbox and lets it send again', async () => {
    const order = renewal({ years: 1 });
    const deps = world(order, { status: 'suspended', orderId: 'FIRST', expiresAt: '2025-03-01T00:00:00.000Z' });
    deps.platform.accounts.set(order.mailbox.address, { mailboxGb: 1, archiveGb: 0, receiveOnly: true });

    await extendMailbox(deps, order.orderId, now);

    const mailbox = await deps.mailboxes.get(order.mailbox.address);
    expect(mailbox?.status).toBe('active');
    // Expired already: a year from the renewal, not from the old expiry.
    expect(mailbox?.expiresAt).toBe('2026-03-15T09:30:00.000Z');
    expect(deps.platform.accounts.get(order.mailbox.address)?.receiveOnly).toBe(false);
  });

  it('applies a plan change and its extra GB at the extension: type, quota, confirmation and audit say so', async () => {
    const order = renewal({
      mailbox: { address: 'upgrade.me@pec.it', type: 'pro', domainPec: false },
      years: 1,
      extraGb: { mailbox: 2, archive: 4 },
      totals: { netCents: 2900, vatCents: 638, grossCents: 3538 },
    });
    const deps = world(order, { status: 'active', orderId: 'FIRST', expiresAt: '2025-06-01T00:00:00.000Z' });
    deps.platform.accounts.set(order.mailbox.address, { mailboxGb: 1, archiveGb: 0, receiveOnly: false });

    await extendMailbox(deps, order.orderId, now);
    await extendMailbox(deps, order.orderId, later);

    const mailbox = await deps.mailboxes.get(order.mailbox.address);
    expect(mailbox).toMatchObject({ type: 'pro', extraGb: { mailbox: 2, archive: 4 } });
    expect(deps.platform.accounts.get(order.mailbox.address)).toMatchObject({ mailboxGb: 4, archiveGb: 7 });
    const renewed = {
      address: order.mailbox.address,
      expiresAt: '2026-06-01T00:00:00.000Z',
      type: 'pro',
      previousType: 'standard',
      extraGb: { mailbox: 2, archive: 4 },
      years: 1,
      totals: order.totals,
    };
    expect(deps.notifier.of('renewalConfirmed')).toEqual([
      { to: order.holder.email, orderId: order.orderId, ...renewed },
    ]);
    expect([...deps.audit.entries.values()]).toEqual([
      expect.objectContaining({
        orderId: order.orderId,
        event: 'mailbox-renewed',
        detail: expect.objectContaining({ type: 'pro', years: 1 }),
      }),
    ]);
  });

  it('a renewal without extra GB leaves none: the quota is the plan', async () => {
    const order = renewal({ mailbox: { address: 'down.grade@pec.it', type: 'standard', domainPec: false } });
    const deps = world(order, {
      status: 'active',
      type: 'pro',
      extraGb: { mailbox: 1, archive: 2 },
      orderId: 'FIRST',
      expiresAt: '2025-06-01T00:00:00.000Z',
    });
    deps.platform.accounts.set(order.mailbox.address, { mailboxGb: 3, archiveGb: 5, receiveOnly: false });

    await extendMailbox(deps, order.orderId, now);

    expect(await deps.mailboxes.get(order.mailbox.address)).toMatchObject({
      type: 'standard',
      extraGb: { mailbox: 0, archive: 0 },
    });
    expect(deps.platform.accounts.get(order.mailbox.address)).toMatchObject({ mailboxGb: 1, archiveGb: 0 });
    expect(deps.notifier.of('renewalConfirmed')[0]).toMatchObject({ type: 'standard', previousType: 'pro' });
  });

  it('a retry after a later renewal was applied sets the quota that renewal left, not its own', async () => {
    const order = renewal({ mailbox: { address: 'two.renewals@pec.it', type: 'pro', domainPec: false } });
    const deps = world(order, { status: 'active', orderId: 'FIRST', expiresAt: '2025-06-01T00:00:00.000Z' });
    deps.platform.accounts.set(order.mailbox.address, { mailboxGb: 1, archiveGb: 0, receiveOnly: false });
    await extendMailbox(deps, order.orderId, now);
    // A second renewal (to Premium) is applied; then the first one's step runs again.
    await deps.mailboxes.extend(order.mailbox.address, 'SECOND', {
      previousExpiresAt: '2027-06-01T00:00:00.000Z',
      expiresAt: '2028-06-01T00:00:00.000Z',
      plan: { type: 'premium', extraGb: { mailbox: 0, archive: 0 } },
    });

    await extendMailbox(deps, order.orderId, later);

    expect(deps.platform.accounts.get(order.mailbox.address)).toMatchObject({ mailboxGb: 2, archiveGb: 8 });
    expect(deps.notifier.of('renewalConfirmed')).toHaveLength(1);
  });

  it('a renewal paid by card replaces the method automatic renewals charge with the one it saved', async () => {
    const saved = { method: 'card' as const, customerId: 'cus_renewal', paymentMethod: 'pm_renewal' };
    const order = renewal({ savedPaymentMethod: saved });
    const deps = world(order, {
      status: 'active',
      orderId: 'FIRST',
      expiresAt: '2025-06-01T00:00:00.000Z',
      renewalPayment: savedCard,
    });

    await extendMailbox(deps, order.orderId, now);

    expect((await deps.mailboxes.get(order.mailbox.address))?.renewalPayment).toEqual(saved);
  });

  it('refuses a mailbox that can no longer be renewed', async () => {
    const order = renewal();
    const deps = world(order, { status: 'deleted', orderId: 'FIRST', expiresAt: '2024-01-01T00:00:00.000Z' });

    await expect(extendMailbox(deps, order.orderId, now)).rejects.toMatchObject({
      name: ErrorName.ProvisioningImpossibleError,
    });
    expect(deps.notifier.sent).toEqual([]);
  });
});

describe('completeOrder', () => {
  it('completes an activating order, audits it (with an activation ProvisionMailbox could not audit) and files its document', async () => {
    const order = storedOrder(
      { status: 'activating', paidAt: now.toISOString(), unauditedActivationAt: now.toISOString() },
      now,
    );
    const deps = world(order, { status: 'active', activatedAt: now.toISOString() });

    await completeOrder(deps, order.orderId, later);

    expect((await deps.orders.get(order.orderId))?.status).toBe('completed');
    expect(deps.audit.eventsOf(order.orderId)).toEqual(['mailbox-activated', 'order-completed']);
    expect(deps.documents.documents.get(order.orderId)?.completedAt).toBe(later.toISOString());
  });

  it('writes no activation entry of its own when ProvisionMailbox wrote it: no audit I/O twice', async () => {
    const order = storedOrder({ status: 'activating', paidAt: now.toISOString() }, now);
    const deps = world(order, { status: 'active', activatedAt: now.toISOString() });

    await completeOrder(deps, order.orderId, later);

    expect(deps.audit.eventsOf(order.orderId)).toEqual(['order-completed']);
  });

  it('refuses an order that was closed', async () => {
    const order = storedOrder({ status: 'failed' }, now);
    const deps = world(order);

    await expect(completeOrder(deps, order.orderId, later)).rejects.toMatchObject({
      name: ErrorName.ProvisioningImpossibleError,
    });
    expect(deps.documents.documents.size).toBe(0);
  });
});

describe('closeOrder', () => {
  it('fails a declined order, frees the address and tells the holder once', async () => {
    const order = storedOrder({}, now);
    const deps = world(order, { holdUntil: later.toISOString() });

    await closeOrder(deps, order.orderId, 'failed', ErrorName.PaymentDeclinedError, now);
    await closeOrder(deps, order.orderId, 'failed', ErrorName.PaymentDeclinedError, later);

    const closed = await deps.orders.get(order.orderId);
    expect(closed).toMatchObject({ status: 'failed', payment: { status: 'failed' } });
    expect(await deps.mailboxes.get(order.mailbox.address)).toBeUndefined();
    expect(deps.notifier.of('orderFailed')).toEqual([
      expect.objectContaining({ paymentDeclined: true, refundCents: undefined }),
    ]);
    expect(deps.audit.eventsOf(order.orderId)).toEqual(['order-failed']);
  });

  it('records the refund of a paid order that is cancelled', async () => {
    const order = storedOrder(
      {
        status: 'activating',
        paidAt: now.toISOString(),
        chargeId: 'ch_1',
        payment: { method: 'bank_transfer', status: 'paid', reference: 'RF00' },
      },
      now,
    );
    const deps = world(order, { status: 'reserved' });

    await closeOrder(deps, order.orderId, 'cancelled', 'States.Timeout', later);

    const closed = await deps.orders.get(order.orderId);
    expect(closed).toMatchObject({ status: 'cancelled', payment: { status: 'refund_required' } });
    expect(closed?.refund).toMatchObject({ amountCents: 610, chargeId: 'ch_1' });
    expect(deps.notifier.of('orderCancelled')).toEqual([expect.objectContaining({ refundCents: 610 })]);
  });

  it('refunds a card charge the order never learned of, found by the payment kept on the order', async () => {
    const order = cardOrder({ token: 'tok_visa' }, { providerPaymentId: 'pi_lost' });
    const deps = world(order, {});
    deps.gateway.seed('pi_lost', order.orderId, { status: 'succeeded', chargeId: 'pi_lost' });

    await closeOrder(deps, order.orderId, 'failed', 'States.Timeout', later);

    expect((await deps.orders.get(order.orderId))?.refund).toMatchObject({ chargeId: 'pi_lost', amountCents: 610 });
  });

  it('refunds a paid card order that failed through the provider, once (its refund key), and shows it refunded', async () => {
    const order = cardOrder({ paymentMethod: 'pm_card_visa' });
    const deps = world(order, {});
    await chargePayment(deps, order.orderId, now);
    const paymentId = (await deps.orders.get(order.orderId))?.providerPaymentId;

    await closeOrder(deps, order.orderId, 'failed', ErrorName.ProvisioningImpossibleError, later);
    await closeOrder(deps, order.orderId, 'failed', ErrorName.ProvisioningImpossibleError, later);

    expect([...deps.gateway.refunds]).toEqual([[`refund-${order.orderId}`, { paymentId, refundId: 're_1' }]]);
    const closed = await deps.orders.get(order.orderId);
    expect(closed).toMatchObject({
      status: 'failed',
      payment: { status: 'refunded' },
      refund: {
        status: 'refunded',
        refundId: 're_1',
        chargeId: paymentId,
        amountCents: 610,
        refundedAt: later.toISOString(),
      },
    });
    expect(closed && toPublicOrder(closed).payment.status).toBe('refunded');
    expect(deps.audit.eventsOf(order.orderId).sort()).toEqual([
      'order-failed',
      'payment-charged',
      'refund-required',
      'refunded',
    ]);
    expect(deps.notifier.of('orderFailed')).toEqual([expect.objectContaining({ refundCents: 610 })]);
  });

  it('a refund Stripe has not finished (pending) or refused stays refund_required: charge.refunded, or an operator, settles it', async () => {
    for (const outcome of ['pending', 'failed'] as const) {
      const order = cardOrder({ paymentMethod: 'pm_card_visa' });
      const deps = world(order, {});
      deps.gateway.refundOutcome = outcome;
      await chargePayment(deps, order.orderId, now);

      await closeOrder(deps, order.orderId, 'failed', ErrorName.ProvisioningImpossibleError, later);

      expect(deps.gateway.calls).toContain('refundPayment');
      expect(await deps.orders.get(order.orderId)).toMatchObject({
        payment: { status: 'refund_required' },
        refund: { status: 'required' },
      });
    }
  });

  it('a bank transfer is not refunded through the provider: it stays refund_required for an operator', async () => {
    const order = storedOrder(
      {
        status: 'activating',
        paidAt: now.toISOString(),
        chargeId: 'evt_credit',
        payment: { method: 'bank_transfer', status: 'paid', reference: 'RF00' },
      },
      now,
    );
    const deps = world(order, { status: 'reserved' });

    await closeOrder(deps, order.orderId, 'failed', ErrorName.ProvisioningImpossibleError, later);

    expect(deps.gateway.calls).toEqual([]);
    expect((await deps.orders.get(order.orderId))?.payment.status).toBe('refund_required');
  });

  it('cancels a kept payment still waiting for the holder, so it takes no money after the order closed', async () => {
    const order = cardOrder({ paymentMethod: 'pm_card_authenticationRequired' }, { providerPaymentId: 'pi_open' });
    const deps = world(order, {});
    deps.gateway.seed('pi_open', order.orderId, {
      status: 'requires_action',
      nextAction: { type: 'use_stripe_sdk', clientSecret: 'secret' },
    });

    await closeOrder(deps, order.orderId, 'failed', 'States.Timeout', later);

    expect(deps.gateway.payments.get('pi_open')?.result).toEqual({ status: 'declined', reason: 'abandoned' });
    const closed = await deps.orders.get(order.orderId);
    expect(closed).toMatchObject({ status: 'failed', payment: { status: 'pending' } });
    expect(closed?.refund).toBeUndefined();
  });

  it('asks the provider nothing for a card order that never kept a payment (nothing can have been taken)', async () => {
    const order = cardOrder({ token: 'tok_visa' });
    const deps = world(order, {});

    await closeOrder(deps, order.orderId, 'failed', 'States.Timeout', later);

    expect(deps.gateway.calls).toEqual([]);
    expect((await deps.orders.get(order.orderId))?.status).toBe('failed');
  });

  it('leaves a completed order alone', async () => {
    const order = storedOrder({ status: 'completed' }, now);
    const deps = world(order, { status: 'active' });

    await closeOrder(deps, order.orderId, 'failed', 'States.Timeout', later);

    expect((await deps.orders.get(order.orderId))?.status).toBe('completed');
    expect((await deps.mailboxes.get(order.mailbox.address))?.status).toBe('active');
    expect(deps.notifier.sent).toEqual([]);
  });
});
