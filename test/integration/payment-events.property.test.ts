import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { paymentEventKey } from '../../functions/adapters/dynamodb/payment-event-repository.ts';
import { ErrorName } from '../../functions/domain/errors.ts';
import type { Order } from '../../functions/domain/order.ts';
import { signatureHeader } from '../../functions/domain/webhook-signature.ts';
import type { PaymentEventDeps } from '../../functions/use-cases/handle-payment-event.ts';
import type { OrderRepository, PaymentEventRepository } from '../../functions/use-cases/ports.ts';
import { deliveryScenario, type Forgery, TokenRecorder } from '../support/delivery-property.ts';
import { storedOrder } from '../support/fixtures.ts';
import { dynamoAdapters, type LocalTable, startLocalTable } from '../support/local-dynamodb.ts';

/*
 * Random interleavings of duplicated, reordered and forged payment events, delivered to the real
 * webhook use case on the real (local) DynamoDB table. Step Functions' task tokens are played by a
 * recorder with their semantics: a token resumes its workflow once, later calls are refused. (The
 * same scenarios over Stripe's events: stripe-events.property.test.ts.)
 */

const SECRET = 'whsec_property_test';
const GROSS = 610;

let stop: () => Promise<void>;
let table: LocalTable;
let handlePaymentEvent: typeof import('../../functions/use-cases/handle-payment-event.ts').handlePaymentEvent;
let orders: OrderRepository;
let events: PaymentEventRepository;

beforeAll(async () => {
  table = await startLocalTable('pec-property');
  stop = table.stop;
  ({ handlePaymentEvent } = await import('../../functions/use-cases/handle-payment-event.ts'));
  ({ orders, events } = dynamoAdapters(table));
});
afterAll(() => stop?.());

type EventType = 'credit.registered' | 'payment.succeeded' | 'payment.failed';
interface EventSpec {
  order: number;
  type: EventType;
  exact: boolean;
  currency: 'EUR' | 'USD';
}

let run = 0;

it('duplicated, reordered and forged events: at most one activation per order, forgeries change nothing, final state as the valid events say, every credit that pays nothing marked refund-required', async () => {
  const scenario = deliveryScenario(
    fc.record({
      type: fc.constantFrom<EventType>('credit.registered', 'payment.succeeded', 'payment.failed'),
      exact: fc.boolean(),
      currency: fc.constantFrom<EventSpec['currency']>('EUR', 'EUR', 'EUR', 'USD'),
    }),
  );

  await fc.assert(
    fc.asyncProperty(scenario, async ({ orders: count, events: specs, steps }) => {
      run++;
      const now = new Date();
      const recorder = new TokenRecorder();
      const audit = { record: async () => {} };
      const deps: PaymentEventDeps = { orders, events, callbacks: recorder, audit, secret: SECRET };

      const orderIds = Array.from({ length: count }, (_, i) => `P${String(run).padStart(6, '0')}O${i}XYZ`.slice(0, 12));
      for (const orderId of orderIds) {
        await orders.create(waitingOrder(orderId, now));
        await orders.saveTaskToken(orderId, `token-${orderId}`);
      }
      const bodies = specs.map((spec, i) =>
        JSON.stringify({
          id: `evt_r${run}_${i}`,
          type: spec.type,
          orderId: orderIds[spec.order],
          amountCents: spec.exact ? GROSS : GROSS - 1,
          currency: spec.currency,
          occurredAt: now.toISOString(),
        }),
      );

      // The model: valid events in delivery order; the first that applies to a pending order decides.
      // A credit that does not pay its order (not in euro, not exact, the order already paid or its
      // payment failed) is money to give back: refund-required.
      const expected = new Map<string, 'pending' | 'paid' | 'failed'>(orderIds.map((id) => [id, 'pending']));
      const refundExpected = new Map<number, boolean>();
      const seen = new Set<number>();
      const t = Math.floor(now.getTime() / 1000);

      for (const { event, copies, forgeries } of steps) {
        const body = bodies[event] as string;
        const spec = specs[event] as EventSpec;
        const deliveries = [
          ...Array.from({ length: copies }, () => ({
            body,
            signature: signatureHeader(SECRET, t, body),
            forged: false,
          })),
          ...forgeries.map((kind) => forged(kind, body, t)),
        ];
        const results = await Promise.allSettled(
          deliveries.map((d) => handlePaymentEvent(deps, { signature: d.signature, rawBody: d.body }, now)),
        );
        results.forEach((result, i) => {
          if (deliveries[i]?.forged) {
            expect(result.status).toBe('rejected');
            expect((result as PromiseRejectedResult).reason.name).toBe(ErrorName.UnauthorizedError);
          } else {
            expect(result.status).toBe('fulfilled');
          }
        });

        if (!seen.has(event)) {
          seen.add(event);
          const orderId = orderIds[spec.order] as string;
          const pays = spec.type !== 'payment.failed' && spec.exact && spec.currency === 'EUR';
          refundExpected.set(event, spec.type !== 'payment.failed' && !(pays && expected.get(orderId) === 'pending'));
          if (expected.get(orderId) === 'pending') {
            if (spec.type === 'payment.failed') expected.set(orderId, 'failed');
            else if (pays) expected.set(orderId, 'paid');
          }
        }
        // Every genuine delivery of a credit answers whether its money must go back.
        results.forEach((result, i) => {
          if (result.status === 'fulfilled' && !deliveries[i]?.forged && !result.value.duplicate) {
            expect(result.value.refundRequired).toBe(refundExpected.get(event));
          }
        });
      }

      // The event records say so too, with the amount, the currency and the event id.
      for (const [event, refund] of refundExpected) {
        const spec = specs[event] as EventSpec;
        const id = `evt_r${run}_${event}`;
        const record = await table.item(paymentEventKey(id));
        if (refund) {
          expect(record).toMatchObject({
            anomaly: true,
            action: 'refund-required',
            refund: { amountCents: spec.exact ? GROSS : GROSS - 1, currency: spec.currency, eventId: id },
          });
        } else {
          expect(record).not.toHaveProperty('action');
        }
      }

      for (const orderId of orderIds) {
        const token = `token-${orderId}`;
        expect(recorder.resumes(token)).toBeLessThanOrEqual(1); // activated (or failed) at most once
        const order = (await orders.get(orderId)) as Order;
        const want = expected.get(orderId);
        if (want === 'paid') {
          expect(recorder.outcome.get(token)).toBe('succeeded');
          expect(order).toMatchObject({ status: 'activating', payment: { status: 'paid' } });
        } else if (want === 'failed') {
          expect(recorder.outcome.get(token)).toBe('failed');
          expect(order).toMatchObject({ status: 'pending_payment', payment: { status: 'failed' }, paidAt: null });
        } else {
          expect(recorder.outcome.has(token)).toBe(false);
          expect(order).toMatchObject({ status: 'pending_payment', payment: { status: 'pending' }, paidAt: null });
        }
      }
    }),
    { numRuns: 40 },
  );
});

function forged(kind: Forgery, body: string, t: number) {
  if (kind === 'wrong-secret') return { body, signature: signatureHeader('whsec_attacker', t, body), forged: true };
  if (kind === 'stale') return { body, signature: signatureHeader(SECRET, t - 3600, body), forged: true };
  // A genuine signature, replayed over a body whose amount was changed.
  const tampered = body.replace(/"amountCents":\d+/, `"amountCents":${GROSS}`).replace('"currency"', ' "currency"');
  return { body: tampered, signature: signatureHeader(SECRET, t, body), forged: true };
}

function waitingOrder(orderId: string, now: Date): Order {
  return storedOrder({ orderId, totals: { netCents: 500, vatCents: 110, grossCents: GROSS } }, now);
}
