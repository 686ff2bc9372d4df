import { firstPasswordAllowed } from '../domain/access-links.ts';
import { attentionReason, CLOSED_AS_DESIGNED } from '../domain/attention.ts';
import { ConflictError, NotFoundError } from '../domain/errors.ts';
import { isClosedOrder } from '../domain/lifecycles.ts';
import type {
  AnomalyList,
  AttentionList,
  OperatorAnomaliesQuery,
  OperatorOrder,
  OperatorOrdersQuery,
  RESENDABLE_EMAILS,
  RedriveResult,
  ResendResult,
} from '../domain/operator-schemas.ts';
import type { Order, Refund } from '../domain/order.ts';
import { emailNewFirstAccessLink, type LinkSettings } from './access-links.ts';
import { readCursor, writeCursor } from './lists.ts';
import { orderConfirmationOf, paymentInstructionsOf } from './order-fulfilment.ts';
import type {
  AccessTokenRepository,
  AnomalyIndex,
  AttentionIndex,
  AuditLog,
  MailboxRepository,
  Notifier,
  OrderRepository,
  WorkflowRedrive,
} from './ports.ts';

/*
 * What the operator routes do (`/operator/*`): see the orders that need a person and the day's
 * payment anomalies, and act on an order. Every action is recorded in the order's audit trail with
 * who did it (the IAM caller in AWS), under `orders/<orderId>/operator-<action>/<time>.json`.
 */

/** The operator lists are one list each: their cursors are tagged for the operators, not a storefront. */
const OPERATORS = 'operators';

/** An order as an operator sees it: no holder data, no payment token. */
export function toOperatorOrder(order: Order): OperatorOrder {
  const { refund } = order;
  return {
    orderId: order.orderId,
    storefrontId: order.storefrontId,
    kind: order.kind,
    status: order.status,
    address: order.mailbox.address,
    payment: { method: order.payment.method, status: order.payment.status, reference: order.payment.reference },
    // Who paid (name, IBAN) is where the money goes back: it stays on the order, out of this view.
    ...(refund ? { refund: withoutPayer(refund) } : {}),
    ...(order.failureReason ? { failureReason: order.failureReason } : {}),
    createdAt: order.createdAt,
    paidAt: order.paidAt,
    completedAt: order.completedAt,
    ...(order.closedAt ? { closedAt: order.closedAt } : {}),
  };
}

const withoutPayer = ({ payer: _payer, chargeId: _chargeId, ...refund }: Refund) => refund;

/**
 * GET /operator/orders?attention=true: the orders past the moment they needed a person by, oldest
 * first (one query of the attention index), each with why.
 */
export async function listAttentionOrders(
  index: AttentionIndex,
  query: OperatorOrdersQuery,
  now: Date,
): Promise<AttentionList> {
  const filters = { attention: 'true' };
  const after = readCursor(query.cursor, OPERATORS, filters);
  const page = await index.due(now, { limit: query.limit, ...(after ? { after } : {}) });
  return {
    items: page.items.map(({ order, since }) => ({ ...toOperatorOrder(order), reason: attentionReason(order), since })),
    nextCursor: page.next ? writeCursor(OPERATORS, filters, page.next) : null,
  };
}

/** GET /operator/anomalies?day=: the payment anomalies recorded that day (UTC), in the order they were. */
export async function listAnomalies(index: AnomalyIndex, query: OperatorAnomaliesQuery): Promise<AnomalyList> {
  const filters = { day: query.day };
  const after = readCursor(query.cursor, OPERATORS, filters);
  const page = await index.onDay(query.day, { limit: query.limit, ...(after ? { after } : {}) });
  return {
    day: query.day,
    items: page.items,
    nextCursor: page.next ? writeCursor(OPERATORS, filters, page.next) : null,
  };
}

/** Who did an operator action, and when. */
export interface OperatorAction {
  orderId: string;
  /** The IAM caller's ARN in AWS (`local-operator` locally). */
  operator: string;
}

const recordAction = (audit: AuditLog, action: OperatorAction, name: string, at: Date, detail = {}) =>
  audit.record({
    orderId: action.orderId,
    event: `operator-${name}`,
    at,
    // One entry per action: an action done twice is two entries.
    ref: at.toISOString().replace(/[:.]/g, '-'),
    detail: { by: action.operator, ...detail },
  });

async function orderOf(orders: Pick<OrderRepository, 'get'>, orderId: string): Promise<Order> {
  const order = await orders.get(orderId);
  if (!order) throw new NotFoundError(`Order ${orderId}`, 'order_not_found');
  return order;
}

/**
 * POST /operator/orders/{orderId}/refund-done: a refund an operator made by hand (a bank transfer
 * given back, a provider refund that failed and was redone).
 * 1. only an order with a refund to make (`refund_required`) can be marked; the same reference on
 *    an order already marked with it answers the order again (a repeated request), anything else is 409;
 * 2. one conditional write marks the payment refunded with the reference and who made it, and takes
 *    the order off the attention index;
 * 3. the action is audited, with who did it.
 */
export async function markRefundDone(
  deps: { orders: Pick<OrderRepository, 'get' | 'markRefunded'>; audit: AuditLog },
  action: OperatorAction & { reference: string },
  now: Date,
): Promise<OperatorOrder> {
  const order = await orderOf(deps.orders, action.orderId);
  const already = (current: Order) =>
    current.payment.status === 'refunded' && current.refund?.refundId === action.reference;
  if (already(order)) return toOperatorOrder(order);
  if (order.payment.status !== 'refund_required' || !order.refund) throw refundNotRequired(order);
  const refund: Refund = {
    ...order.refund,
    status: 'refunded',
    refundId: action.reference,
    refundedAt: now.toISOString(),
    refundedBy: action.operator,
  };
  if (!(await deps.orders.markRefunded(order.orderId, refund))) {
    const current = await orderOf(deps.orders, action.orderId);
    if (already(current)) return toOperatorOrder(current);
    throw refundNotRequired(current);
  }
  await recordAction(deps.audit, action, 'refund-done', now, {
    reference: action.reference,
    amountCents: refund.amountCents,
    currency: refund.currency,
  });
  return toOperatorOrder({ ...order, payment: { ...order.payment, status: 'refunded' }, refund });
}

const refundNotRequired = (order: Order) =>
  new ConflictError(
    'refund_not_required',
    `Order ${order.orderId} has no refund to make (payment ${order.payment.status}${order.refund?.refundId ? `, refunded as ${order.refund.refundId}` : ''}).`,
  );

/**
 * POST /operator/orders/{orderId}/redrive: continues the order's latest execution from the state
 * where it failed (Step Functions redrive: the steps done are not run again, each step checks where
 * the order is before acting).
 * 1. an order without an execution, one running or succeeded, or one that ended as designed (the
 *    order failed or was cancelled, closed) is 409 `not_redrivable`;
 * 2. the execution is redriven (Step Functions may still refuse: 409);
 * 3. the action is audited, with who did it.
 */
export async function redriveOrder(
  deps: { orders: Pick<OrderRepository, 'get'>; workflow: WorkflowRedrive; audit: AuditLog },
  action: OperatorAction,
  now: Date,
): Promise<RedriveResult> {
  const { orderId } = action;
  await orderOf(deps.orders, orderId);
  const run = await deps.workflow.latestRun(orderId);
  const refuse = (why: string) => new ConflictError('not_redrivable', `The workflow of order ${orderId} ${why}.`);
  if (!run) throw refuse('never ran');
  if (run.status === 'RUNNING' || run.status === 'PENDING_REDRIVE') throw refuse(`is running (${run.name})`);
  if (run.status === 'SUCCEEDED') throw refuse(`succeeded (${run.name})`);
  if (run.error && CLOSED_AS_DESIGNED.includes(run.error)) {
    throw refuse(`ended as designed (${run.error}): the order is closed`);
  }
  if ((await deps.workflow.redrive(run.executionArn)) === 'not_redrivable') {
    throw refuse(`cannot be redriven (${run.name}: Step Functions refused)`);
  }
  await recordAction(deps.audit, action, 'redrive', now, { execution: run.name, failedWith: run.error ?? run.status });
  return { orderId, execution: run.name, ...(run.error ? { failedWith: run.error } : {}) };
}

type ResendableEmail = (typeof RESENDABLE_EMAILS)[number];

/**
 * POST /operator/orders/{orderId}/resend-emails: sends the holder again the emails the order's state
 * implies, built by the same use cases that sent them the first time:
 * 1. a new card or PayPal order still open or completed: its confirmation;
 * 2. a transfer or slip order still waiting for its credit: its payment instructions;
 * 3. a new order whose mailbox is active without a password: a new first-access link (the earlier
 *    link stops working; a used one stays used);
 * none of them: 409 `nothing_to_resend`. The action is audited, with who did it and what was sent.
 */
export async function resendOrderEmails(
  deps: {
    orders: Pick<OrderRepository, 'get'>;
    mailboxes: Pick<MailboxRepository, 'get'>;
    tokens: Pick<AccessTokenRepository, 'issue'>;
    notifier: Pick<Notifier, 'orderConfirmation' | 'paymentInstructions' | 'firstAccess'>;
    audit: AuditLog;
  },
  settings: LinkSettings,
  action: OperatorAction,
  now: Date,
): Promise<ResendResult> {
  const order = await orderOf(deps.orders, action.orderId);
  const open = !isClosedOrder(order.status);
  const sent: ResendableEmail[] = [];
  const confirmation = orderConfirmationOf(order);
  if (confirmation && open) {
    await deps.notifier.orderConfirmation(confirmation);
    sent.push('order_confirmation');
  }
  const instructions = paymentInstructionsOf(order, now);
  if (instructions && order.status === 'pending_payment' && order.payment.status === 'pending') {
    await deps.notifier.paymentInstructions(instructions);
    sent.push('payment_instructions');
  }
  if (order.kind === 'new') {
    const mailbox = await deps.mailboxes.get(order.mailbox.address);
    if (mailbox?.orderId === order.orderId && firstPasswordAllowed(mailbox)) {
      await emailNewFirstAccessLink(deps, mailbox, settings, now);
      sent.push('first_access');
    }
  }
  if (sent.length === 0) {
    throw new ConflictError(
      'nothing_to_resend',
      `Order ${order.orderId} (${order.status}, payment ${order.payment.status}) has no email to send again.`,
    );
  }
  await recordAction(deps.audit, action, 'resend-emails', now, { sent });
  return { orderId: order.orderId, sent };
}
