import fc from 'fast-check';
import Stripe from 'stripe';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { paymentEventKey } from '../../functions/adapters/dynamodb/payment-event-repository.ts';
import { stripeEventVerifier } from '../../functions/adapters/stripe-webhook-events.ts';
import { ErrorName } from '../../functions/domain/errors.ts';
import type { Order } from '../../functions/domain/order.ts';
import { handleStripeEvent, type StripeEventDeps } from '../../functions/use-cases/handle-stripe-event.ts';
import type { OrderRepository, PaymentEventRepository, ResellerRepository } from '../../functions/use-cases/ports.ts';
import { deliveryScenario, type Forgery, TokenRecorder } from '../support/delivery-property.ts';
import { storedOrder } from '../support/fixtures.ts';
import { dynamoAdapters, type LocalTable, startLocalTable } from '../support/local-dynamodb.ts';
import { paymentIntent, publishedCharge, publishedEvent } from '../support/stripe/fixtures.ts';

/*
 * The scenarios of payment-events.property.test.ts (duplicated, reordered and forged deliveries)
 * over Stripe's events, delivered to the real Stripe webhook use case with its real verifier
 * (Stripe's `constructEvent`) on the real (local) DynamoDB table: deliveries signed with Stripe's
 * own test helper, events built from Stripe's published example objects. Orders either wait for
 * their holder to authenticate a card payment (their workflow's task token kept) or, closed after
 * taking money, wait for their refund to be reported.
 */

const SECRET = 'whsec_stripe_property_test';
const GROSS = 610;

let table: LocalTable;
let orders: OrderRepository;
let events: PaymentEventRepository;
let resellers: ResellerRepository;

beforeAll(async () => {
  table = await startLocalTable('pec-stripe-property');
  ({ orders, events, resellers } = dynamoAdapters(table));
});
afterAll(() => table?.stop());

type EventType = 'payment_intent.succeeded' | 'payment_intent.payment_failed' | 'charge.refunded';
const TYPES: EventType[] = ['payment_intent.succeeded', 'payment_intent.payment_failed', 'charge.refunded'];
type OrderKind = 'waiting' | 'refunding';

let run = 0;

it('Stripe events duplicated, reordered and forged: each takes effect at most once, forgeries are 400s that change nothing, the final state is what the genuine events say', async () => {
  const scenario = fc.record({
    deliveries: deliveryScenario(fc.record({ type: fc.constantFrom(...TYPES), whole: fc.boolean() }), { minCopies: 0 }),
    kinds: fc.array(fc.constantFrom<OrderKind>('waiting', 'refunding'), { minLength: 3, maxLength: 3 }),
  });

  await fc.assert(
    fc.asyncProperty(scenario, async ({ deliveries: { orders: count, events: specs, steps }, kinds }) => {
      run++;
      const now = new Date();
      const t = Math.floor(now.getTime() / 1000);
      const recorder = new TokenRecorder();
      const deps: StripeEventDeps = {
        orders,
        events,
        callbacks: recorder,
        audit: { record: async () => {} },
        topUps: resellers,
        verify: stripeEventVerifier({ STRIPE_WEBHOOK_SECRET: SECRET }),
      };

      const orderIds = Array.from({ length: count }, (_, i) => `S${String(run).padStart(6, '0')}O${i}XYZ`.slice(0, 12));
      const kindOf = (order: number) => kinds[order] as OrderKind;
      for (const [i, orderId] of orderIds.entries()) {
        await orders.create(stripeOrder(orderId, kindOf(i), now));
        if (kindOf(i) === 'waiting') await orders.saveTaskToken(orderId, `token-${orderId}`);
      }
      const stripeEvents = specs.map((spec, i) => {
        const orderId = orderIds[spec.order] as string;
        return {
          ...publishedEvent(),
          id: `evt_s${run}_${i}`,
          created: t,
          type: spec.type,
          data: { object: objectOf(spec, orderId) },
        };
      });

      // The model: genuine deliveries in order. A waiting order's wait is resumed by the first
      // PaymentIntent event about it; a refunding order is refunded by the first whole refund.
      const resumedAs = new Map<string, 'succeeded' | 'failed'>();
      const refunded = new Set<string>();
      const delivered = new Set<number>();
      const anomaly = new Map<number, boolean>();

      for (const { event, copies, forgeries } of steps) {
        const spec = specs[event] as (typeof specs)[number];
        const orderId = orderIds[spec.order] as string;
        const genuine = JSON.stringify(stripeEvents[event], null, 2);
        const attempts = [
          ...Array.from({ length: copies }, () => ({ rawBody: genuine, signature: sign(genuine, t), forged: false })),
          ...forgeries.map((kind) => ({ ...forged(kind, stripeEvents[event] as StripeEvent, t), forged: true })),
        ];
        const doneBefore = delivered.has(event);
        const results = await Promise.allSettled(
          attempts.map(({ rawBody, signature }) => handleStripeEvent(deps, { rawBody, signature }, now)),
        );

        results.forEach((result, i) => {
          if (attempts[i]?.forged) {
            expect(result.status).toBe('rejected');
            expect((result as PromiseRejectedResult).reason).toMatchObject({
              name: ErrorName.ValidationError,
              errors: [{ path: 'Stripe-Signature' }],
            });
          } else {
            expect(result.status).toBe('fulfilled');
            // Once an event took effect, every later delivery of it is acknowledged as a duplicate.
            if (doneBefore) expect(result).toMatchObject({ value: { duplicate: true, outcome: 'duplicate' } });
          }
        });

        if (copies > 0 && !doneBefore) {
          delivered.add(event);
          if (kindOf(spec.order) === 'waiting' && spec.type !== 'charge.refunded' && !resumedAs.has(orderId)) {
            resumedAs.set(orderId, spec.type === 'payment_intent.succeeded' ? 'succeeded' : 'failed');
          }
          if (kindOf(spec.order) === 'refunding' && spec.type === 'charge.refunded') {
            // Less than the whole amount, while the refund is still to be made: for an operator.
            anomaly.set(event, !spec.whole && !refunded.has(orderId));
            if (spec.whole) refunded.add(orderId);
          }
        }
      }

      // Every event genuinely delivered is recorded, done; one only ever forged left no trace.
      for (const [i, spec] of specs.entries()) {
        const record = await table.item(paymentEventKey(`evt_s${run}_${i}`));
        if (!delivered.has(i)) {
          expect(record).toBeUndefined();
          continue;
        }
        expect(record).toMatchObject({ status: 'done', type: spec.type });
        if (anomaly.has(i)) expect(record).toMatchObject({ anomaly: anomaly.get(i) });
      }

      for (const [i, orderId] of orderIds.entries()) {
        const token = `token-${orderId}`;
        expect(recorder.resumes(token)).toBeLessThanOrEqual(1); // resumed at most once
        expect(recorder.outcome.get(token)).toBe(resumedAs.get(orderId));
        const order = (await orders.get(orderId)) as Order;
        if (kindOf(i) === 'waiting') {
          // The webhook only resumes the wait; the workflow's charge step records the payment.
          expect(order).toMatchObject({ status: 'pending_payment', payment: { status: 'pending' }, paidAt: null });
        } else if (refunded.has(orderId)) {
          expect(order).toMatchObject({
            status: 'failed',
            payment: { status: 'refunded' },
            refund: { status: 'refunded' },
          });
        } else {
          expect(order).toMatchObject({
            status: 'failed',
            payment: { status: 'refund_required' },
            refund: { status: 'required' },
          });
        }
      }
    }),
    { numRuns: 30 },
  );
});

type StripeEvent = ReturnType<typeof publishedEvent>;

const sign = (payload: string, timestamp: number, secret = SECRET) =>
  Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });

/** A forged delivery of `event`: signed with another secret, signed an hour ago, or a body changed after signing. */
function forged(kind: Forgery, event: StripeEvent, t: number) {
  const genuine = JSON.stringify(event, null, 2);
  if (kind === 'wrong-secret') return { rawBody: genuine, signature: sign(genuine, t, 'whsec_attacker') };
  if (kind === 'stale') return { rawBody: genuine, signature: sign(genuine, t - 3600) };
  // The genuine signature over a body that now says the opposite.
  const other =
    event.type === 'payment_intent.succeeded' ? 'payment_intent.payment_failed' : 'payment_intent.succeeded';
  return { rawBody: JSON.stringify({ ...event, type: other }, null, 2), signature: sign(genuine, t) };
}

const intentIdOf = (orderId: string) => `pi_${orderId}`;

/** What the event is about, as Stripe sends it: the order's PaymentIntent, or its Charge refunded (whole or in part). */
function objectOf(spec: { type: EventType; whole: boolean }, orderId: string) {
  const id = intentIdOf(orderId);
  if (spec.type === 'charge.refunded') {
    const amountRefunded = spec.whole ? GROSS : GROSS - 100;
    return {
      ...publishedCharge(),
      amount: GROSS,
      amount_refunded: amountRefunded,
      currency: 'eur',
      metadata: { orderId },
      payment_intent: id,
      refunded: spec.whole,
    };
  }
  return spec.type === 'payment_intent.succeeded'
    ? paymentIntent({ id, amount: GROSS, amount_received: GROSS, status: 'succeeded', metadata: { orderId } })
    : paymentIntent({
        id,
        amount: GROSS,
        metadata: { orderId },
        last_payment_error: { type: 'invalid_request_error', code: 'payment_intent_authentication_failure' },
      });
}

/**
 * A card order of one of two kinds: waiting for its holder to authenticate the payment (its
 * PaymentIntent kept), or failed after its payment was taken, with the refund to make recorded.
 */
function stripeOrder(orderId: string, kind: OrderKind, now: Date): Order {
  const paymentIntent = intentIdOf(orderId);
  const base = storedOrder({ orderId, totals: { netCents: 500, vatCents: 110, grossCents: GROSS } }, now);
  delete base.paymentDeadline;
  const card = { method: 'card' as const, reference: base.payment.reference, paymentMethod: 'pm_card_visa' };
  if (kind === 'waiting') {
    return {
      ...base,
      payment: { ...card, status: 'pending' },
      providerPaymentId: paymentIntent,
      nextAction: { type: 'use_stripe_sdk', clientSecret: `${paymentIntent}_secret_x` },
    };
  }
  return {
    ...base,
    status: 'failed',
    failureReason: 'ProvisioningImpossibleError',
    closedAt: now.toISOString(),
    payment: { ...card, status: 'refund_required' },
    paidAt: now.toISOString(),
    providerPaymentId: paymentIntent,
    chargeId: paymentIntent,
    refund: {
      status: 'required',
      chargeId: paymentIntent,
      amountCents: GROSS,
      currency: 'EUR',
      reason: 'order failed: ProvisioningImpossibleError',
      recordedAt: now.toISOString(),
    },
  };
}
