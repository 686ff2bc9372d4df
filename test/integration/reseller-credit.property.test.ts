import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mailboxKey } from '../../functions/adapters/dynamodb/mailbox-repository.ts';
import { orderKey } from '../../functions/adapters/dynamodb/order-repository.ts';
import { resellerKey } from '../../functions/adapters/dynamodb/reseller-repository.ts';
import { IdempotencyKeyReusedError, PaymentDeclinedError } from '../../functions/domain/errors.ts';
import type { Mailbox } from '../../functions/domain/mailbox.ts';
import type { Order } from '../../functions/domain/order.ts';
import {
  type CreditMovement,
  creditBackOf,
  debitOf,
  ledgerBalance,
  movementIdOf,
} from '../../functions/domain/reseller-credit.ts';
import { TopUpRequestSchema } from '../../functions/domain/schemas.ts';
import type { OrderRepository, ResellerRepository } from '../../functions/use-cases/ports.ts';
import { requestTopUp, topUpStripeEvent } from '../../functions/use-cases/top-ups.ts';
import { InMemoryPaymentGateway } from '../support/fakes.ts';
import { storedMailbox, storedOrder } from '../support/fixtures.ts';
import { dynamoAdapters, type LocalTable, startLocalTable } from '../support/local-dynamodb.ts';

/*
 * The credit ledger under random concurrent work, on the real repository and the local DynamoDB
 * (whose transactions are serializable, with real conditions): orders (debits, with an address
 * reservation) and renewals (debits alone), failures (the order closed, then its debit credited
 * back), top-ups by transfer and by card (charged through an in-memory gateway: succeeded at once,
 * declined, or after 3-D Secure, credited by Stripe's event delivered twice while the request is
 * replayed), each possibly duplicated, in random batches run at once. At the end: the balance is
 * deposits + top-ups − debits + credit-backs, summed from the movements; it was never negative after
 * any operation; no movement exists twice; an order the credit did not cover left nothing behind.
 */

let table: LocalTable;
let orders: OrderRepository;
let resellers: ResellerRepository;

beforeAll(async () => {
  table = await startLocalTable('pec-reseller-property');
  ({ orders, resellers } = dynamoAdapters(table));
});
afterAll(() => table?.stop());

type Op =
  | { kind: 'order'; order: number; cents: number; reserve: boolean }
  | { kind: 'fail'; order: number }
  | { kind: 'top_up'; topUp: number; cents: number }
  | { kind: 'card_top_up'; topUp: number; cents: number; card: string };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('order' as const),
      order: fc.nat(11),
      cents: fc.integer({ min: 1, max: 3000 }),
      reserve: fc.boolean(),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant('fail' as const), order: fc.nat(11) }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('top_up' as const),
      topUp: fc.nat(4),
      cents: fc.integer({ min: 1, max: 4000 }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('card_top_up' as const),
      topUp: fc.nat(3),
      cents: fc.integer({ min: 1000, max: 4000 }),
      card: fc.constantFrom('pm_card_visa', 'pm_card_authenticationRequired', 'pm_card_chargeDeclined'),
    }),
    weight: 1,
  },
);

/** What a card top-up may answer besides a top-up: a declined card, or its key reused with another body. */
const refusedTopUp = (error: unknown) => {
  if (error instanceof PaymentDeclinedError || error instanceof IdempotencyKeyReusedError) return undefined;
  throw error;
};

const scenario = fc.record({
  deposit: fc.nat(6000),
  // Duplicates come from the small id ranges above, and from repeating a batch's operations.
  batches: fc.array(fc.array(op, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 }),
});

let run = 0;

it('keeps balance = deposits + top-ups − debits + credit-backs, never negative, no movement twice', async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async ({ deposit, batches }) => {
      run++;
      const resellerId = `reseller-prop-${process.pid}-${run}`;
      const at = new Date('2026-11-22T10:00:00.000Z');
      await resellers.enrol(
        {
          resellerId,
          name: 'R',
          email: 'r@example.com',
          priceList: 'reseller',
          lowBalanceThresholdCents: 0,
          createdAt: at.toISOString(),
        },
        { movementId: movementIdOf('deposit', 'opening'), kind: 'deposit', amountCents: deposit, at: at.toISOString() },
      );
      /** The order of each index: the same index is the same order (a duplicate request). */
      const orderOf = (index: number, cents: number, reserve: boolean): { order: Order; mailbox?: Mailbox } => {
        const orderId = `R${run}X${index}`.padEnd(12, 'Z').slice(0, 12);
        const address = `o${index}.run${run}.${process.pid}@pec.it`;
        const order = storedOrder(
          {
            orderId,
            storefrontId: resellerId,
            kind: reserve ? 'new' : 'renewal',
            status: 'activating',
            mailbox: { address, type: 'standard', domainPec: false },
            totals: { netCents: cents, vatCents: 0, grossCents: cents },
            payment: { method: 'credit', status: 'paid', reference: `RF00${orderId}` },
          },
          at,
        );
        const mailbox = reserve
          ? storedMailbox(resellerId, at, {
              address,
              status: 'reserved',
              orderId,
              holdUntil: '2027-01-01T00:00:00.000Z',
            })
          : undefined;
        return { order, ...(mailbox ? { mailbox } : {}) };
      };
      const placed = new Map<string, number>();
      const shortOf = new Set<string>();
      const creditedBack = new Map<string, number>();
      const toppedUp = new Map<string, number>();
      const cardTopUps = new Set<string>();
      const gateway = new InMemoryPaymentGateway();
      const balances: number[] = [];
      let tick = 0;
      const nextAt = () => new Date(at.getTime() + ++tick * 1000);

      const apply = async (step: Op) => {
        if (step.kind === 'order') {
          // A duplicate with another amount or kind is still the same order id: only the first counts.
          const { order, mailbox } = orderOf(step.order, step.cents, step.reserve);
          const now = nextAt();
          const result = await resellers.placeDebitedOrder({
            resellerId,
            order,
            debit: debitOf(order, now),
            ...(mailbox ? { reservation: { mailbox, now } } : {}),
          });
          if (result === 'placed') placed.set(order.orderId, (placed.get(order.orderId) ?? 0) + 1);
          if (result === 'insufficient_credit') shortOf.add(order.orderId);
          expect(['placed', 'order_exists', 'insufficient_credit']).toContain(result);
        } else if (step.kind === 'fail') {
          const orderId = orderOf(step.order, 1, false).order.orderId;
          await orders.close(orderId, 'failed', 'ProvisioningImpossibleError', nextAt());
          const stored = await orders.get(orderId);
          if (stored?.status === 'failed') {
            const result = await resellers.creditBack(resellerId, stored, creditBackOf(stored, nextAt()));
            if (result === 'credited') creditedBack.set(orderId, (creditedBack.get(orderId) ?? 0) + 1);
            expect(result).not.toBe('not_closed');
          }
        } else if (step.kind === 'card_top_up') {
          const request = TopUpRequestSchema.parse({
            amountCents: step.cents,
            payment: { method: 'card', paymentMethod: step.card },
          });
          const context = {
            now: nextAt(),
            storefrontId: resellerId,
            idempotencyKey: `card-${step.topUp}`,
            randomBytes: new Uint8Array(8),
          };
          const answer = await requestTopUp({ resellers, gateway }, request, context).catch(refusedTopUp);
          if (answer) cardTopUps.add(answer.topUp.topUpId);
          const stored = answer && (await resellers.getTopUp(answer.topUp.topUpId));
          if (stored?.status === 'pending' && stored.providerPaymentId) {
            // The reseller completes 3-D Secure; Stripe's event comes twice while the request is replayed.
            gateway.authenticate(stored.providerPaymentId);
            const event = {
              type: 'payment_intent.succeeded',
              topUpId: stored.topUpId,
              paymentId: stored.providerPaymentId,
              amountCents: stored.totals.grossCents,
              currency: 'EUR',
            };
            const [first, second] = await Promise.all([
              topUpStripeEvent(resellers, event, nextAt()),
              topUpStripeEvent(resellers, event, nextAt()),
              requestTopUp({ resellers, gateway }, request, context).catch(refusedTopUp),
            ]);
            expect([first, second]).toEqual([
              { outcome: 'top_up_credited', anomaly: false },
              { outcome: 'top_up_credited', anomaly: false },
            ]);
          }
        } else {
          const id = `T${step.topUp}`;
          const movement: CreditMovement = {
            movementId: movementIdOf('top_up', id),
            kind: 'top_up',
            amountCents: step.cents,
            at: nextAt().toISOString(),
            topUpId: id,
          };
          if ((await resellers.credit(resellerId, movement)) === 'credited') {
            toppedUp.set(id, (toppedUp.get(id) ?? 0) + 1);
          }
        }
        balances.push((await resellers.get(resellerId))?.balanceCents ?? Number.NaN);
      };
      for (const batch of batches) await Promise.all([...batch, ...batch.slice(0, 2)].map(apply));

      // Every movement, read by its key (the partition) and through the index the route pages.
      const { Items = [] } = await table.documents.send(
        new QueryCommand({
          TableName: table.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :movement)',
          ExpressionAttributeValues: { ':pk': resellerKey(resellerId).pk, ':movement': 'MOVEMENT#' },
          ConsistentRead: true,
        }),
      );
      const movements = Items as CreditMovement[];
      const listed: CreditMovement[] = [];
      let after: { at: string; id: string } | undefined;
      do {
        const page = await resellers.movements(resellerId, { limit: 3, ...(after ? { after } : {}) });
        listed.push(...page.items);
        after = page.next;
      } while (after);
      expect(listed.map((m) => m.movementId).sort()).toEqual(movements.map((m) => m.movementId).sort());

      const sum = (kind: CreditMovement['kind']) =>
        movements.filter((m) => m.kind === kind).reduce((total, m) => total + m.amountCents, 0);
      const balance = (await resellers.get(resellerId))?.balanceCents;
      expect(balance).toBe(sum('deposit') + sum('top_up') - sum('debit') + sum('credit_back'));
      expect(balance).toBe(ledgerBalance(movements));
      expect(balances.every((cents) => cents >= 0)).toBe(true);
      // No movement twice: each order debited and credited back at most once, each top-up credited once.
      expect([...placed.values(), ...creditedBack.values(), ...toppedUp.values()].every((n) => n === 1)).toBe(true);
      expect(movements.filter((m) => m.kind === 'debit').length).toBe(placed.size);
      expect(movements.filter((m) => m.kind === 'credit_back').length).toBe(creditedBack.size);
      // A card top-up is credited once when its charge succeeded, never when it was declined.
      const cardMovements = movements.filter((m) => m.kind === 'top_up' && cardTopUps.has(m.topUpId ?? ''));
      for (const topUpId of cardTopUps) {
        const topUp = await resellers.getTopUp(topUpId);
        const credited = cardMovements.filter((m) => m.topUpId === topUpId);
        expect(credited.map((m) => m.amountCents)).toEqual(topUp?.status === 'credited' ? [topUp.amountCents] : []);
        expect(topUp?.status).not.toBe('pending');
      }
      expect(movements.filter((m) => m.kind === 'top_up').length).toBe(toppedUp.size + cardMovements.length);
      // A credit-back only for a failed order, and every failed order credited back.
      for (const movement of movements.filter((m) => m.kind === 'credit_back')) {
        const order = await orders.get(movement.orderId ?? '');
        expect(order).toMatchObject({ status: 'failed', payment: { status: 'refunded' } });
      }
      // An order the credit never covered left nothing: no order, no reservation.
      for (const orderId of shortOf) {
        if (placed.has(orderId)) continue;
        expect(await table.item(orderKey(orderId))).toBeUndefined();
        const index = Number(orderId.slice(`R${run}X`.length).replace(/Z+$/, ''));
        expect(await table.item(mailboxKey(`o${index}.run${run}.${process.pid}@pec.it`))).toBeUndefined();
      }
    }),
    { numRuns: 30 },
  );
}, 240_000);
