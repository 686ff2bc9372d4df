import { describe, expect, it } from 'vitest';
import { autoRenewRefusal, type Mailbox } from '../../../functions/domain/mailbox.ts';
import { nextSweepAt, pendingStages, stageName } from '../../../functions/domain/renewal-policy.ts';
import { sweepMailbox } from '../../../functions/use-cases/renewal-sweep.ts';
import { autoRenewalOrderId } from '../../../functions/use-cases/renewals.ts';
import {
  fakeRenewalLink,
  InMemoryMailboxRepository,
  InMemoryMailPlatform,
  InMemoryOrderRepository,
  InMemoryResellerRepository,
  RecordingAuditLog,
  RecordingNotifier,
  RecordingResellerNotifier,
  RecordingWorkflow,
} from '../../support/fakes.ts';

/*
 * A reseller's mailbox renewing automatically from its credit, as the sweep's SweepMailbox step runs
 * it: the notice to the reseller, the debit at the reseller price list once however often the stage
 * runs, a short credit as the decline (retried, then automatic renewal off and suspension at expiry).
 */

const now = new Date('2026-03-15T09:30:00.000Z');
const DAY = 24 * 3600 * 1000;
const expiresAt = new Date(now.getTime() + 200 * DAY).toISOString();
/** The instant `days` before the expiry, plus an hour (the sweep runs after the stage is due). */
const stageTime = (days: number) => new Date(Date.parse(expiresAt) - days * DAY + 3600_000);
const RESELLER = 'reseller-1';
/** Standard, one year, at the `reseller` price list: 3.50 euro net. */
const PRICE = 350;

const resellerMailbox = (overrides: Partial<Mailbox> = {}): Mailbox => ({
  address: 'cliente@pec.it',
  type: 'standard',
  domainPec: false,
  status: 'active',
  storefrontId: RESELLER,
  orderId: 'FIRSTORDER01',
  orderedAt: '2025-09-27T09:30:00.000Z',
  holderEmail: 'cliente@example.com',
  activatedAt: '2025-09-27T09:30:00.000Z',
  expiresAt,
  autoRenew: true,
  renewsFromCredit: true,
  passwordSet: true,
  renewalYears: 1,
  ...overrides,
});

async function world(balanceCents: number, mailbox = resellerMailbox()) {
  const orders = new InMemoryOrderRepository();
  const mailboxes = new InMemoryMailboxRepository().seed(mailbox);
  const resellers = new InMemoryResellerRepository(orders, mailboxes);
  await resellers.enrol(
    {
      resellerId: RESELLER,
      name: 'Rivendite Bianchi',
      email: 'rivendite@bianchi.example',
      priceList: 'reseller',
      lowBalanceThresholdCents: 0,
      createdAt: now.toISOString(),
    },
    { movementId: 'deposit#opening', kind: 'deposit', amountCents: balanceCents, at: now.toISOString() },
  );
  return {
    orders,
    mailboxes,
    resellers,
    resellerNotifier: new RecordingResellerNotifier(),
    workflow: new RecordingWorkflow(),
    platform: new InMemoryMailPlatform(),
    notifier: new RecordingNotifier(),
    audit: new RecordingAuditLog(),
    paymentWaitSeconds: 5 * 24 * 3600,
    renewalLink: fakeRenewalLink,
    address: mailbox.address,
  };
}

const debitsOf = (deps: Awaited<ReturnType<typeof world>>) =>
  [...(deps.resellers.ledger.get(RESELLER)?.values() ?? [])].filter((movement) => movement.kind === 'debit');

describe('automatic renewal from a reseller’s credit (policy)', () => {
  it('lets a reseller’s mailbox switch automatic renewal on, and schedules the notice and the charges for it', () => {
    const manual = resellerMailbox({ autoRenew: false });
    expect(autoRenewRefusal(manual, true)).toBeUndefined();
    expect(autoRenewRefusal({ ...manual, renewsFromCredit: undefined }, true)).toBe('no_payment_method');
    expect(pendingStages(resellerMailbox()).map(({ stage }) => stageName(stage))).toEqual([
      'charge-notice',
      'charge-1',
      'charge-2',
      'charge-3',
      'charge-4',
      'suspend',
    ]);
    expect(nextSweepAt(resellerMailbox())?.toISOString()).toBe(
      new Date(Date.parse(expiresAt) - 37 * DAY).toISOString(),
    );
  });
});

describe('automatic renewal from a reseller’s credit (sweep)', () => {
  it('tells the reseller, not the holder, what will be debited 37 days before expiry, once', async () => {
    const deps = await world(20_000);
    expect(await sweepMailbox(deps, deps.address, stageTime(37))).toBe('charge-notice');
    expect(await sweepMailbox(deps, deps.address, stageTime(37))).toBe('nothing');
    expect(deps.resellerNotifier.creditRenewals).toEqual([
      expect.objectContaining({
        kind: 'notice',
        to: 'rivendite@bianchi.example',
        address: deps.address,
        amountCents: PRICE,
        chargeAt: new Date(Date.parse(expiresAt) - 7 * DAY).toISOString(),
      }),
    ]);
    expect(deps.notifier.of('chargeNotice')).toEqual([]);
  });

  it('debits the credit 7 days before expiry at the reseller price list, once however often the sweep runs', async () => {
    const deps = await world(20_000);
    const orderId = autoRenewalOrderId(deps.address, expiresAt, 1);
    const outcomes = await Promise.all([
      sweepMailbox(deps, deps.address, stageTime(7)),
      sweepMailbox(deps, deps.address, stageTime(7)),
    ]);
    expect(outcomes.sort()).toEqual(['auto-renewal', 'nothing']);
    expect(await sweepMailbox(deps, deps.address, stageTime(6))).toBe('nothing');

    expect(debitsOf(deps)).toEqual([expect.objectContaining({ orderId, amountCents: PRICE })]);
    expect(deps.resellers.resellers.get(RESELLER)?.balanceCents).toBe(20_000 - PRICE);
    expect(deps.orders.orders.get(orderId)).toMatchObject({
      kind: 'renewal',
      status: 'activating',
      payment: { method: 'credit', status: 'paid' },
      autoRenewal: { expiresAt, attempt: 1 },
    });
    expect(deps.workflow.started.map((start) => start.orderId)).toEqual([orderId]);
    expect(deps.audit.eventsOf('FIRSTORDER01')).toEqual(['auto-renewal-started']);
  });

  it('treats a short credit as a declined renewal: nothing debited, the reseller told, retried after a top-up', async () => {
    const deps = await world(PRICE - 1);
    expect(await sweepMailbox(deps, deps.address, stageTime(7))).toBe('auto-renewal');
    expect(await sweepMailbox(deps, deps.address, stageTime(7))).toBe('nothing');
    expect(deps.orders.orders.size).toBe(0);
    expect(debitsOf(deps)).toEqual([]);
    expect(deps.resellerNotifier.creditRenewals).toEqual([
      expect.objectContaining({
        kind: 'declined',
        to: 'rivendite@bianchi.example',
        balanceCents: PRICE - 1,
        amountCents: PRICE,
        nextAttemptAt: new Date(Date.parse(expiresAt) - 5 * DAY).toISOString(),
      }),
    ]);
    expect(deps.audit.eventsOf('FIRSTORDER01')).toEqual(['auto-renewal-declined-1']);

    await deps.resellers.credit(RESELLER, {
      movementId: 'top_up#T1',
      kind: 'top_up',
      amountCents: 1000,
      at: now.toISOString(),
    });
    expect(await sweepMailbox(deps, deps.address, stageTime(5))).toBe('retry');
    expect(await sweepMailbox(deps, deps.address, stageTime(5))).toBe('nothing');
    expect(debitsOf(deps)).toEqual([
      expect.objectContaining({ orderId: autoRenewalOrderId(deps.address, expiresAt, 2), amountCents: PRICE }),
    ]);
    expect(deps.resellers.resellers.get(RESELLER)?.balanceCents).toBe(PRICE - 1 + 1000 - PRICE);
  });

  it('switches automatic renewal off after the last short attempt; the mailbox is suspended at expiry', async () => {
    const deps = await world(0);
    for (const days of [7, 5, 3]) {
      expect(await sweepMailbox(deps, deps.address, stageTime(days))).not.toBe('nothing');
    }
    expect((await deps.mailboxes.get(deps.address))?.autoRenew).toBe(true);
    expect(await sweepMailbox(deps, deps.address, stageTime(1))).toBe('retry');
    expect((await deps.mailboxes.get(deps.address))?.autoRenew).toBe(false);
    expect(deps.resellerNotifier.creditRenewals.map((email) => email.nextAttemptAt ?? 'off')).toEqual([
      new Date(Date.parse(expiresAt) - 5 * DAY).toISOString(),
      new Date(Date.parse(expiresAt) - 3 * DAY).toISOString(),
      new Date(Date.parse(expiresAt) - 1 * DAY).toISOString(),
      'off',
    ]);
    expect(await sweepMailbox(deps, deps.address, new Date(Date.parse(expiresAt) + 3600_000))).toBe('suspended');
    expect(debitsOf(deps)).toEqual([]);
  });
});
