import { describe, expect, it } from 'vitest';
import { ErrorName } from '../../../functions/domain/errors.ts';
import type { Mailbox } from '../../../functions/domain/mailbox.ts';
import { stageKey } from '../../../functions/domain/renewal-policy.ts';
import { closeOrder } from '../../../functions/use-cases/order-fulfilment.ts';
import {
  type MailboxOutcome,
  nextSweepPage,
  SWEEP_PAGE_SIZE,
  type SweepState,
  type SweepTotals,
  sweepMailbox,
} from '../../../functions/use-cases/renewal-sweep.ts';
import { autoRenewalOrderId, placeAutoRenewal } from '../../../functions/use-cases/renewals.ts';
import {
  fakeRenewalLink,
  InMemoryMailboxRepository,
  InMemoryMailPlatform,
  InMemoryOrderRepository,
  InMemoryPaymentGateway,
  InMemoryResellerRepository,
  InMemorySweepState,
  RecordingAuditLog,
  RecordingNotifier,
  RecordingResellerNotifier,
  RecordingWorkflow,
} from '../../support/fakes.ts';
import { savedCard, storedMailbox } from '../../support/fixtures.ts';

/* The sweep's two steps (NextPage, SweepMailbox) run as the workflow runs them, against the in-memory ports. */

const now = new Date('2025-03-15T09:30:00.000Z');
const DAY = 24 * 3600 * 1000;
const daysFromNow = (days: number) => new Date(now.getTime() + days * DAY).toISOString();

/** An active Standard mailbox of storefront-1, a year old, expiring in 200 days unless `overrides` say otherwise. */
const mailbox = (overrides: Partial<Mailbox> = {}): Mailbox =>
  storedMailbox('storefront-1', new Date('2024-03-15T09:30:00.000Z'), {
    expiresAt: daysFromNow(200),
    passwordSet: true,
    ...overrides,
  });
const card = { autoRenew: true, renewalPayment: savedCard };

function world(...mailboxes: Mailbox[]) {
  const orders = new InMemoryOrderRepository();
  const mailboxRepository = new InMemoryMailboxRepository().seed(...mailboxes);
  return {
    orders,
    mailboxes: mailboxRepository,
    resellers: new InMemoryResellerRepository(orders, mailboxRepository),
    resellerNotifier: new RecordingResellerNotifier(),
    sweepState: new InMemorySweepState(),
    workflow: new RecordingWorkflow(),
    platform: new InMemoryMailPlatform(),
    notifier: new RecordingNotifier(),
    audit: new RecordingAuditLog(),
    paymentWaitSeconds: 5 * 24 * 3600,
    renewalLink: fakeRenewalLink,
  };
}

/** The sweep workflow: NextPage, a Map over its page (a failure caught as `failed`), until done. */
async function sweep(deps: ReturnType<typeof world>, at: Date): Promise<SweepTotals> {
  let state: SweepState = { at: at.toISOString() };
  for (;;) {
    const page = await nextSweepPage(deps, state, () => 0);
    if (page.done) return page.totals;
    const results = await Promise.all(
      page.addresses.map((address) =>
        sweepMailbox(deps, address, at).then(
          (outcome) => ({ outcome }),
          () => ({ outcome: 'failed' as MailboxOutcome }),
        ),
      ),
    );
    state = { ...page, results };
  }
}
const counts = (totals: SweepTotals) => {
  const { reminders, chargeNotices, autoRenewals, retries, suspended, deleted, failed } = totals;
  return { reminders, chargeNotices, autoRenewals, retries, suspended, deleted, failed };
};
const none = { reminders: 0, chargeNotices: 0, autoRenewals: 0, retries: 0, suspended: 0, deleted: 0, failed: 0 };

describe('the renewal sweep', () => {
  it('does what the policy says for each due mailbox, once however often it runs', async () => {
    const remind = mailbox({ expiresAt: daysFromNow(20) });
    const notice = mailbox({ ...card, expiresAt: daysFromNow(36), renewalYears: 3 });
    const renew = mailbox({ ...card, expiresAt: daysFromNow(6), renewalYears: 2 });
    const suspend = mailbox({ expiresAt: daysFromNow(-1) });
    const remove = mailbox({ status: 'suspended', expiresAt: daysFromNow(-91) });
    const untouched = mailbox({ expiresAt: daysFromNow(120) });
    const deps = world(remind, notice, renew, suspend, remove, untouched);
    for (const box of [suspend, remove]) {
      deps.platform.accounts.set(box.address, { mailboxGb: 1, archiveGb: 0, receiveOnly: false });
    }

    const first = await sweep(deps, now);
    const second = await sweep(deps, new Date(now.getTime() + 3600_000));

    expect(counts(first)).toEqual({
      ...none,
      reminders: 1,
      chargeNotices: 1,
      autoRenewals: 1,
      suspended: 1,
      deleted: 1,
    });
    expect(counts(second)).toEqual(none);
    expect(deps.notifier.of('expiryReminder')).toEqual([
      expect.objectContaining({
        address: remind.address,
        daysLeft: 20,
        renewalLink: fakeRenewalLink('storefront-1', remind.address),
      }),
    ]);
    // The notice: the charge 7 days before expiry, for the years chosen in the order, at their price.
    expect(deps.notifier.of('chargeNotice')).toEqual([
      expect.objectContaining({
        address: notice.address,
        years: 3,
        chargeAt: new Date(Date.parse(notice.expiresAt as string) - 7 * DAY).toISOString(),
        grossCents: expect.any(Number),
      }),
    ]);
    expect((await deps.mailboxes.get(suspend.address))?.status).toBe('suspended');
    expect(deps.platform.accounts.get(suspend.address)?.receiveOnly).toBe(true);
    expect((await deps.mailboxes.get(remove.address))?.status).toBe('deleted');
    expect((await deps.mailboxes.get(untouched.address))?.stagesDone).toBeUndefined();

    const [renewal] = deps.orders.orders.values();
    expect(renewal).toMatchObject({
      orderId: autoRenewalOrderId(renew.address, renew.expiresAt as string, 1),
      kind: 'renewal',
      years: 2,
      payment: { ...savedCard, offSession: true },
      autoRenewal: { expiresAt: renew.expiresAt, attempt: 1 },
    });
    expect(deps.workflow.started.map((start) => start.orderId)).toEqual([renewal?.orderId]);
    expect(deps.audit.eventsOf(renew.orderId)).toEqual(['auto-renewal-started']);
    // Both runs read the days up to yesterday: the next one starts today.
    expect(deps.sweepState.day).toBe(daysFromNow(-1).slice(0, 10));
  });

  it('retries a declined charge with an order of its own, and only after a failed attempt', async () => {
    const expiresAt = daysFromNow(5);
    const box = mailbox({
      ...card,
      expiresAt,
      stagesDone: new Set([stageKey(expiresAt, { kind: 'charge', attempt: 1 })]),
    });
    const deps = world(box);
    const first = autoRenewalOrderId(box.address, expiresAt, 1);

    // The first attempt still running (or paid): no second charge, the retry stage passes.
    const pending = world(box);
    await placedOrder(pending, box, 1);
    expect(counts(await sweep(pending, now))).toEqual(none);
    expect(pending.orders.orders.size).toBe(1);

    // Declined: the retry is another order.
    await placedOrder(deps, box, 1);
    await deps.orders.close(first, 'failed', 'PaymentDeclinedError', now, true);
    expect(counts(await sweep(deps, now))).toEqual({ ...none, retries: 1 });
    expect([...deps.orders.orders.keys()]).toEqual([first, autoRenewalOrderId(box.address, expiresAt, 2)]);
    expect(counts(await sweep(deps, now))).toEqual(none);
  });

  it('pages through many due mailboxes, and one that fails neither stops the others nor lets the day be recorded', async () => {
    const many = Array.from({ length: SWEEP_PAGE_SIZE * 2 + 3 }, () => mailbox({ expiresAt: daysFromNow(20) }));
    const broken = mailbox({ expiresAt: daysFromNow(-1) });
    const deps = world(...many, broken);
    deps.platform.setReceiveOnly = async () => {
      throw new Error('platform down');
    };

    const totals = await sweep(deps, now);
    expect(counts(totals)).toEqual({ ...none, reminders: many.length, failed: 1 });
    expect(totals.listed).toBe(many.length + 1);
    expect(deps.sweepState.day).toBeUndefined();
    expect((await deps.mailboxes.get(broken.address))?.status).toBe('active');
  });
});

describe('a declined automatic renewal (closeOrder)', () => {
  const declined = async (attempt: 1 | 4) => {
    const expiresAt = daysFromNow(7);
    const box = mailbox({ ...card, expiresAt });
    const deps = { ...world(box), gateway: new InMemoryPaymentGateway() };
    const order = await placedOrder(deps, box, attempt);
    await closeOrder(deps, order.orderId, 'failed', ErrorName.PaymentDeclinedError, now);
    return { deps, box, order, expiresAt };
  };

  it('tells the holder what happened, when it is tried again, the renewal link and the day the mailbox stops sending', async () => {
    const { deps, box, order, expiresAt } = await declined(1);
    expect(deps.notifier.of('renewalDeclined')).toEqual([
      {
        to: box.holderEmail,
        address: box.address,
        orderId: order.orderId,
        expiresAt,
        renewalLink: fakeRenewalLink('storefront-1', box.address),
        nextAttemptAt: new Date(Date.parse(expiresAt) - 5 * DAY).toISOString(),
      },
    ]);
    expect(deps.notifier.of('orderFailed')).toEqual([]);
    expect((await deps.mailboxes.get(box.address))?.autoRenew).toBe(true);
  });

  it('after the last attempt, switches automatic renewal off (a manual renewal is then accepted)', async () => {
    const { deps, box } = await declined(4);
    expect(deps.notifier.of('renewalDeclined')).toEqual([
      expect.not.objectContaining({ nextAttemptAt: expect.anything() }),
    ]);
    expect((await deps.mailboxes.get(box.address))?.autoRenew).toBe(false);
  });
});

/** Places the automatic renewal order of `attempt` as the sweep would. */
async function placedOrder(deps: Omit<ReturnType<typeof world>, 'mailboxes'>, box: Mailbox, attempt: 1 | 2 | 3 | 4) {
  const { orderId } = await placeAutoRenewal(deps, box, now, attempt);
  const order = await deps.orders.get(orderId);
  if (!order) throw new Error('not placed');
  return order;
}
