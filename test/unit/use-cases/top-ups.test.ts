import { describe, expect, it } from 'vitest';
import { ResellerOnlyError } from '../../../functions/domain/errors.ts';
import { TopUpRequestSchema } from '../../../functions/domain/schemas.ts';
import { registerPaymentEvent } from '../../../functions/use-cases/handle-payment-event.ts';
import { requestTopUp } from '../../../functions/use-cases/top-ups.ts';
import {
  InMemoryMailboxRepository,
  InMemoryOrderRepository,
  InMemoryPaymentEventRepository,
  InMemoryResellerRepository,
  RecordingAuditLog,
  RecordingCallbacks,
} from '../../support/fakes.ts';

/*
 * A reseller's top-up by transfer against the in-memory ports: requested, then credited once by the
 * payment event that names it, whatever else arrives.
 */

const now = new Date('2026-11-22T10:00:00.000Z');
const RESELLER = 'reseller-1';

function world() {
  const orders = new InMemoryOrderRepository();
  const resellers = new InMemoryResellerRepository(orders, new InMemoryMailboxRepository());
  resellers.resellers.set(RESELLER, {
    resellerId: RESELLER,
    name: 'R',
    email: 'r@example.com',
    priceList: 'reseller',
    balanceCents: 0,
    lowBalanceThresholdCents: 0,
    createdAt: now.toISOString(),
  });
  const events = new InMemoryPaymentEventRepository();
  const deps = {
    orders,
    events,
    callbacks: new RecordingCallbacks(),
    audit: new RecordingAuditLog(),
    topUps: resellers,
  };
  return { deps, resellers, events };
}

const context = (storefrontId = RESELLER, idempotencyKey = 'k1') => ({
  now,
  storefrontId,
  idempotencyKey,
  randomBytes: new Uint8Array(8),
});
const body = TopUpRequestSchema.parse({ amountCents: 10_000, payment: { method: 'bank_transfer' } });
const credit = (id: string, orderId: string, amountCents: number, currency = 'EUR') => ({
  id,
  type: 'credit.registered' as const,
  orderId,
  amountCents,
  currency,
  occurredAt: now.toISOString(),
});

describe('top-ups by transfer', () => {
  it('is credited once by the transfer of its gross total; other credits are money to give back', async () => {
    const { deps, resellers } = world();
    const { topUp } = await requestTopUp(resellers, body, context());
    expect(topUp).toMatchObject({ status: 'pending', totals: { grossCents: 12_200 } });

    const short = await registerPaymentEvent(deps, credit('evt_1', topUp.topUpId, 10_000), now);
    const usd = await registerPaymentEvent(deps, credit('evt_2', topUp.topUpId, 12_200, 'USD'), now);
    const paid = await registerPaymentEvent(deps, credit('evt_3', topUp.topUpId, 12_200), now);
    const redelivered = await registerPaymentEvent(deps, credit('evt_3', topUp.topUpId, 12_200), now);
    const second = await registerPaymentEvent(deps, credit('evt_4', topUp.topUpId, 12_200), now);

    expect([short, usd, paid, redelivered, second].map((result) => [result.outcome, result.refundRequired])).toEqual([
      ['amount_mismatch', true],
      ['currency_mismatch', true],
      ['top_up_credited', false],
      ['duplicate', false],
      ['duplicate_credit', true],
    ]);
    expect(resellers.resellers.get(RESELLER)?.balanceCents).toBe(10_000);
    expect(resellers.topUps.get(topUp.topUpId)).toMatchObject({ status: 'credited', creditedBy: 'evt_3' });
  });

  it('finishes the crediting event when it is retried after a failure, without a second credit', async () => {
    const { deps, resellers, events } = world();
    const { topUp } = await requestTopUp(resellers, body, context());
    await registerPaymentEvent(deps, credit('evt_9', topUp.topUpId, 12_200), now);
    // As if the first attempt had stopped before finishing the event's record.
    const record = events.events.get('evt_9');
    if (record) delete record.result;

    const retried = await registerPaymentEvent(deps, credit('evt_9', topUp.topUpId, 12_200), now);
    expect(retried).toMatchObject({ outcome: 'top_up_credited', refundRequired: false });
    expect(resellers.resellers.get(RESELLER)?.balanceCents).toBe(10_000);
  });

  it('replays an Idempotency-Key, refuses it with another body, and refuses a storefront', async () => {
    const { resellers } = world();
    const first = await requestTopUp(resellers, body, context());
    expect(await requestTopUp(resellers, body, context())).toEqual({ topUp: first.topUp, replayed: true });
    await expect(requestTopUp(resellers, { ...body, amountCents: 20_000 }, context())).rejects.toMatchObject({
      code: 'idempotency_key_reused',
    });
    await expect(requestTopUp(resellers, body, context('storefront-1'))).rejects.toBeInstanceOf(ResellerOnlyError);
  });
});
