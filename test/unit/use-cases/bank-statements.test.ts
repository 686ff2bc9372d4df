import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorName } from '../../../functions/domain/errors.ts';
import type { Order } from '../../../functions/domain/order.ts';
import { processBankStatement } from '../../../functions/use-cases/bank-statements.ts';
import { closeOrder } from '../../../functions/use-cases/order-fulfilment.ts';
import {
  fakeRenewalLink,
  InMemoryMailboxRepository,
  InMemoryOrderRepository,
  InMemoryPaymentEventRepository,
  InMemoryPaymentGateway,
  InMemoryStatementFiles,
  RecordingAuditLog,
  RecordingCallbacks,
  RecordingNotifier,
} from '../../support/fakes.ts';
import { storedOrder } from '../../support/fixtures.ts';

/*
 * A bank statement's credits registered against the in-memory ports, with the fixtures of
 * test/fixtures/camt/ (their RF references name the orders below): what each credit does to its
 * order, the waiting workflow and the payment event records. (Over HTTP: test/e2e/bank-statements.test.ts.)
 */

const now = new Date('2026-11-22T10:30:00.000Z');
const later = new Date('2026-11-23T10:30:00.000Z');
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/camt/${name}`, import.meta.url), 'utf8');

/** The orders the v08 notification's references name: two of 6.10 (paid by it) and one of 18.30 (paid 12.20). */
const MARIO = '7Q2M9XK4PA1C';
const LUCIA = 'H3VN8D0RT6WE';
const STUDIO = 'K9BZ4M2QX7SF';
const OUR_IBAN = 'IT60X0542811101000000123456';

function world(...orders: Order[]) {
  const deps = {
    orders: new InMemoryOrderRepository().seed(...orders),
    events: new InMemoryPaymentEventRepository(),
    callbacks: new RecordingCallbacks(),
    audit: new RecordingAuditLog(),
    files: new InMemoryStatementFiles(),
  };
  return deps;
}

async function waiting(deps: ReturnType<typeof world>, ...orderIds: string[]) {
  for (const orderId of orderIds) await deps.orders.saveTaskToken(orderId, `token-${orderId}`);
}

const v08Orders = () => [
  storedOrder({ orderId: MARIO }, now),
  storedOrder({ orderId: LUCIA }, now),
  storedOrder({ orderId: STUDIO, years: 3, totals: { netCents: 1500, vatCents: 330, grossCents: 1830 } }, now),
];

describe('processBankStatement', () => {
  it('pays each waiting order its credit names, and records every other credit as an anomaly with what the statement said', async () => {
    const deps = world(...v08Orders());
    await waiting(deps, MARIO, LUCIA, STUDIO);
    deps.files.put('incoming/camt054-1.xml', fixture('camt054-v08-notification.xml'));

    const result = await processBankStatement(deps, 'incoming/camt054-1.xml', now);

    expect(result).toMatchObject({
      status: 'applied',
      kind: 'camt.054',
      entries: 4,
      matched: 2,
      anomalies: 2,
      duplicates: 0,
      skipped: 3,
    });
    if (result.status !== 'applied') return;
    expect(result.credits.map(({ orderId, outcome }) => [orderId, outcome])).toEqual([
      [MARIO, 'paid'],
      [LUCIA, 'paid'],
      [STUDIO, 'amount_mismatch'],
      [undefined, 'no_order_reference'],
    ]);

    // Paid as by a credit.registered webhook, remembering who paid; the workflows resumed once each.
    expect(await deps.orders.get(MARIO)).toMatchObject({
      status: 'activating',
      payment: { status: 'paid' },
      chargeId: `stmt_${OUR_IBAN}:entry:2611220000412345`,
      paidBy: { name: 'Mario Rossi', iban: 'IT02L1234512345123456789012' },
    });
    expect(deps.callbacks.calls.map((call) => [call.token, call.outcome])).toEqual([
      [`token-${MARIO}`, 'succeed'],
      [`token-${LUCIA}`, 'succeed'],
    ]);
    expect(deps.audit.eventsOf(MARIO)).toEqual(['payment-event']);

    // A short credit does not pay: the order still waits, the money is to give back to its payer.
    expect(await deps.orders.get(STUDIO)).toMatchObject({ status: 'pending_payment', payment: { status: 'pending' } });
    expect(deps.events.events.get(`stmt_${OUR_IBAN}:tx:2611220000412346-02`)?.result).toEqual({
      outcome: 'amount_mismatch',
      anomaly: true,
      refund: { status: 'required', amountCents: 1220, currency: 'EUR', payer: { name: 'Studio Verdi S.r.l.' } },
    });

    // A credit that quotes no reference: its record keeps the payer, the IBAN, the amount and the text.
    const unreferenced = deps.events.events.get(`stmt_${OUR_IBAN}:entry:2611220000412349`);
    expect(unreferenced?.event).toMatchObject({
      type: 'credit.registered',
      amountCents: 5000,
      currency: 'EUR',
      occurredAt: '2026-11-22T00:00:00.000Z',
      payer: { name: 'Giuseppe Neri', iban: 'IT91D0300203280000400162854' },
      source: {
        kind: 'camt.054',
        messageId: 'CAMT054-20261122-0001',
        file: 'incoming/camt054-1.xml',
        remittance: { structured: [], unstructured: ['Bonifico per abbonamento annuale'] },
      },
    });
    expect(unreferenced?.event.orderId).toBeUndefined();
    expect(unreferenced?.result).toMatchObject({
      outcome: 'no_order_reference',
      anomaly: true,
      refund: { amountCents: 5000, payer: { iban: 'IT91D0300203280000400162854' } },
    });
  });

  it("applies nothing twice: the same file again, or the day's camt.053 reporting the same booking", async () => {
    const deps = world(...v08Orders());
    await waiting(deps, MARIO, LUCIA, STUDIO);
    deps.files
      .put('incoming/camt054-1.xml', fixture('camt054-v08-notification.xml'))
      .put('incoming/camt054-1-again.xml', fixture('camt054-v08-notification.xml'))
      .put('incoming/camt053-1.xml', fixture('camt053-v08-statement.xml'));
    await processBankStatement(deps, 'incoming/camt054-1.xml', now);
    const recorded = structuredClone([...deps.events.events]);

    expect(await processBankStatement(deps, 'incoming/camt054-1-again.xml', later)).toMatchObject({
      entries: 4,
      matched: 0,
      anomalies: 0,
      duplicates: 4,
    });
    expect(await processBankStatement(deps, 'incoming/camt053-1.xml', later)).toMatchObject({
      kind: 'camt.053',
      entries: 1,
      matched: 0,
      duplicates: 1,
    });
    expect([...deps.events.events]).toEqual(recorded);
    expect(deps.callbacks.calls).toHaveLength(2);
    expect((await deps.orders.get(MARIO))?.paidAt).toBe(now.toISOString());
  });

  it('records credits naming unknown orders, or in another currency, as anomalies to refund', async () => {
    const deps = world(storedOrder({ orderId: MARIO }, now));
    await waiting(deps, MARIO);
    deps.files
      .put('incoming/v02.xml', fixture('camt054-v02-notification.xml'))
      .put('incoming/v04.xml', fixture('camt054-v04-notification.xml'));

    const unknown = await processBankStatement(deps, 'incoming/v02.xml', now);
    expect(unknown).toMatchObject({ entries: 2, matched: 0, anomalies: 2 });
    if (unknown.status !== 'applied') return;
    expect(unknown.credits.map((credit) => [credit.orderId, credit.outcome])).toEqual([
      ['0C5R8TJW3NHP', 'unknown_order'],
      ['P4D7GMX2Z9KA', 'unknown_order'],
    ]);
    expect(deps.events.events.get(unknown.credits[0]?.eventId ?? '')?.result?.refund).toEqual({
      status: 'required',
      amountCents: 610,
      currency: 'EUR',
      payer: { name: 'ANNA FERRARI', iban: 'IT27Z0306909606100000012345' },
    });

    const dollars = await processBankStatement(deps, 'incoming/v04.xml', now);
    expect(dollars).toMatchObject({
      matched: 0,
      anomalies: 1,
      credits: [{ orderId: MARIO, outcome: 'currency_mismatch' }],
    });
    expect((await deps.orders.get(MARIO))?.payment.status).toBe('pending');
  });

  it('sets a malformed file aside and applies none of it, not even its good entries', async () => {
    const deps = world(storedOrder({ orderId: MARIO }, now));
    await waiting(deps, MARIO);
    deps.files.put('incoming/broken.xml', fixture('malformed-entries.xml'));

    const result = await processBankStatement(deps, 'incoming/broken.xml', now);

    expect(result).toMatchObject({
      status: 'rejected',
      key: 'incoming/broken.xml',
      rejectedKey: 'rejected/broken.xml',
    });
    if (result.status !== 'rejected') return;
    expect(result.errors.map((error) => error.path)).toHaveLength(4);
    expect(deps.files.rejected.get('rejected/broken.xml')?.problems).toEqual(result.errors);
    expect(deps.events.events.size).toBe(0);
    expect((await deps.orders.get(MARIO))?.payment.status).toBe('pending');
  });

  it('applies the other credits and asks for a retry when an order is not waiting yet; the retry finishes it', async () => {
    const deps = world(...v08Orders());
    await waiting(deps, LUCIA, STUDIO);
    deps.files.put('incoming/camt054-1.xml', fixture('camt054-v08-notification.xml'));

    await expect(processBankStatement(deps, 'incoming/camt054-1.xml', now)).rejects.toMatchObject({
      name: ErrorName.RetryLaterError,
    });
    expect((await deps.orders.get(LUCIA))?.payment.status).toBe('paid');
    expect((await deps.orders.get(MARIO))?.payment.status).toBe('pending');

    await waiting(deps, MARIO);
    expect(await processBankStatement(deps, 'incoming/camt054-1.xml', later)).toMatchObject({
      matched: 1,
      duplicates: 3,
    });
    expect((await deps.orders.get(MARIO))?.payment.status).toBe('paid');
  });

  it('a transfer paid by the statement and then not fulfilled stays refund-required with the IBAN that paid', async () => {
    const deps = world(storedOrder({ orderId: MARIO }, now));
    await waiting(deps, MARIO);
    deps.files.put('incoming/camt054-1.xml', fixture('camt054-v08-notification.xml'));
    await processBankStatement(deps, 'incoming/camt054-1.xml', now);

    // A transfer: nothing was asked of the card gateway.
    const gateway = new InMemoryPaymentGateway();
    const closing = {
      ...deps,
      mailboxes: new InMemoryMailboxRepository(),
      gateway,
      notifier: new RecordingNotifier(),
      renewalLink: fakeRenewalLink,
    };
    await closeOrder(closing, MARIO, 'failed', ErrorName.ProvisioningImpossibleError, later);

    expect(await deps.orders.get(MARIO)).toMatchObject({
      status: 'failed',
      payment: { status: 'refund_required' },
      refund: {
        chargeId: `stmt_${OUR_IBAN}:entry:2611220000412345`,
        amountCents: 610,
        payer: { name: 'Mario Rossi', iban: 'IT02L1234512345123456789012' },
      },
    });
    // The audit trail keeps identifiers and amounts, not who paid.
    const refundEntry = [...deps.audit.entries.values()].find((entry) => entry.event === 'refund-required');
    expect(refundEntry?.detail).toMatchObject({ amountCents: 610 });
    expect(refundEntry?.detail).not.toHaveProperty('payer');
  });
});
