import { beforeEach, describe, expect, it } from 'vitest';
import type { Order } from '../../../functions/domain/order.ts';
import { markRefundDone, redriveOrder, resendOrderEmails } from '../../../functions/use-cases/operator.ts';
import type { WorkflowRedrive, WorkflowRun } from '../../../functions/use-cases/ports.ts';
import {
  InMemoryAccessTokenRepository,
  InMemoryMailboxRepository,
  InMemoryOrderRepository,
  RecordingAuditLog,
  RecordingNotifier,
} from '../../support/fakes.ts';
import { storedMailbox, storedOrder } from '../../support/fixtures.ts';

const now = new Date('2026-11-22T10:00:00.000Z');
const operator = 'arn:aws:iam::123456789012:user/ops-anna';
const settings = { passwordSetupUrl: 'https://pec.example.com/password-setup', tokenTtlSeconds: 3600 };

let orders: InMemoryOrderRepository;
let audit: RecordingAuditLog;

beforeEach(() => {
  orders = new InMemoryOrderRepository();
  audit = new RecordingAuditLog();
});

const refundRequired = (): Order =>
  storedOrder({
    status: 'failed',
    payment: { method: 'bank_transfer', status: 'refund_required', reference: 'RF00X' },
    refund: {
      status: 'required',
      chargeId: 'evt_1',
      amountCents: 610,
      currency: 'EUR',
      reason: 'order failed',
      recordedAt: '2026-11-21T10:00:00.000Z',
      payer: { name: 'Mario Rossi', iban: 'IT60X0542811101000000123456' },
    },
  });

describe('markRefundDone', () => {
  it('marks a refund to make as refunded with the reference and who made it, audited once', async () => {
    const order = refundRequired();
    orders.seed(order);
    const done = await markRefundDone({ orders, audit }, { orderId: order.orderId, operator, reference: 'TRN-1' }, now);
    expect(done).toMatchObject({
      payment: { status: 'refunded' },
      refund: { status: 'refunded', refundId: 'TRN-1', refundedBy: operator, refundedAt: now.toISOString() },
    });
    // The payer stays on the order, out of what operators are answered and of the audit trail.
    expect(JSON.stringify(done)).not.toContain('IT60X');
    expect(audit.eventsOf(order.orderId)).toEqual(['operator-refund-done']);
    expect([...audit.entries.values()][0]?.detail).toMatchObject({ by: operator, reference: 'TRN-1' });

    // The same request again: the same answer, nothing recorded twice.
    const again = await markRefundDone(
      { orders, audit },
      { orderId: order.orderId, operator, reference: 'TRN-1' },
      now,
    );
    expect(again.refund?.refundId).toBe('TRN-1');
    expect(audit.entries.size).toBe(1);
    await expect(
      markRefundDone({ orders, audit }, { orderId: order.orderId, operator, reference: 'TRN-2' }, now),
    ).rejects.toMatchObject({ code: 'refund_not_required' });
  });

  it('refuses an order with no refund to make (409) and an unknown one (404)', async () => {
    const order = storedOrder();
    orders.seed(order);
    await expect(
      markRefundDone({ orders, audit }, { orderId: order.orderId, operator, reference: 'TRN-1' }, now),
    ).rejects.toMatchObject({ code: 'refund_not_required' });
    await expect(
      markRefundDone({ orders, audit }, { orderId: 'NOPE', operator, reference: 'TRN-1' }, now),
    ).rejects.toMatchObject({ code: 'order_not_found' });
  });
});

/** A workflow whose latest run is `run`, recording what it redrives. */
function workflowWith(run: WorkflowRun | undefined, refuses = false): WorkflowRedrive & { redriven: string[] } {
  const redriven: string[] = [];
  return {
    redriven,
    latestRun: async () => run,
    redrive: async (arn) => {
      if (refuses) return 'not_redrivable';
      redriven.push(arn);
      return 'redriven';
    },
  };
}

describe('redriveOrder', () => {
  const run = (status: WorkflowRun['status'], error?: string): WorkflowRun => ({
    executionArn: 'arn:aws:states:eu-south-1:1:execution:pec:ORDER-2',
    name: 'ORDER-2',
    status,
    ...(error ? { error } : {}),
  });

  it('redrives the latest execution that failed in a step, audited with who did it', async () => {
    const order = storedOrder({ status: 'completed' });
    orders.seed(order);
    const workflow = workflowWith(run('FAILED', 'ThrottlingException'));
    const result = await redriveOrder({ orders, workflow, audit }, { orderId: order.orderId, operator }, now);
    expect(result).toEqual({ orderId: order.orderId, execution: 'ORDER-2', failedWith: 'ThrottlingException' });
    expect(workflow.redriven).toEqual([run('FAILED').executionArn]);
    expect([...audit.entries.values()][0]).toMatchObject({
      event: 'operator-redrive',
      detail: { by: operator, execution: 'ORDER-2' },
    });
  });

  it.each([
    ['no execution', undefined],
    ['a running one', run('RUNNING')],
    ['a succeeded one', run('SUCCEEDED')],
    ['one that ended as designed (OrderFailed)', run('FAILED', 'OrderFailed')],
    ['one that ended as designed (OrderCancelled)', run('FAILED', 'OrderCancelled')],
  ])('refuses %s: 409 not_redrivable, nothing redriven or audited', async (_what, latest) => {
    const order = storedOrder();
    orders.seed(order);
    const workflow = workflowWith(latest);
    await expect(
      redriveOrder({ orders, workflow, audit }, { orderId: order.orderId, operator }, now),
    ).rejects.toMatchObject({ code: 'not_redrivable' });
    expect(workflow.redriven).toEqual([]);
    expect(audit.entries.size).toBe(0);
  });

  it('answers 409 when Step Functions refuses the redrive', async () => {
    const order = storedOrder();
    orders.seed(order);
    await expect(
      redriveOrder(
        { orders, workflow: workflowWith(run('TIMED_OUT'), true), audit },
        { orderId: order.orderId, operator },
        now,
      ),
    ).rejects.toMatchObject({ code: 'not_redrivable' });
  });
});

describe('resendOrderEmails', () => {
  const deps = () => ({
    orders,
    mailboxes: new InMemoryMailboxRepository(),
    tokens: new InMemoryAccessTokenRepository(),
    notifier: new RecordingNotifier(),
    audit,
  });

  it('a transfer order waiting for its credit: its payment instructions again', async () => {
    const order = storedOrder();
    orders.seed(order);
    const d = deps();
    const result = await resendOrderEmails(d, settings, { orderId: order.orderId, operator }, now);
    expect(result.sent).toEqual(['payment_instructions']);
    expect(d.notifier.of('paymentInstructions')[0]).toMatchObject({
      orderId: order.orderId,
      reference: order.payment.reference,
    });
  });

  it('a completed card order whose mailbox has no password: the confirmation and a new first-access link', async () => {
    const order = storedOrder({
      status: 'completed',
      payment: { method: 'card', status: 'paid', reference: 'RF00X', token: 'tok_visa' },
    });
    orders.seed(order);
    const d = deps();
    d.mailboxes.seed(
      storedMailbox(order.storefrontId, now, { address: order.mailbox.address, orderId: order.orderId }),
    );
    const result = await resendOrderEmails(d, settings, { orderId: order.orderId, operator }, now);
    expect(result.sent).toEqual(['order_confirmation', 'first_access']);
    expect(d.notifier.of('firstAccess')[0]).toMatchObject({ address: order.mailbox.address, reissued: true });
    expect(d.notifier.of('firstAccess')[0]?.link.startsWith(`${settings.passwordSetupUrl}?token=`)).toBe(true);
    expect([...audit.entries.values()][0]?.detail).toEqual({
      by: operator,
      sent: ['order_confirmation', 'first_access'],
    });
  });

  it('a failed order has nothing to send again: 409', async () => {
    const order = storedOrder({ status: 'failed', payment: { method: 'card', status: 'failed', reference: 'RF00X' } });
    orders.seed(order);
    await expect(resendOrderEmails(deps(), settings, { orderId: order.orderId, operator }, now)).rejects.toMatchObject({
      code: 'nothing_to_resend',
    });
  });
});
