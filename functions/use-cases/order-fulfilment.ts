import { createHash, randomBytes } from 'node:crypto';
import { planFor } from '../domain/catalog.ts';
import { mxPointsAtProvider } from '../domain/domain-dns.ts';
import {
  DomainNotConfiguredError,
  EmailOutcomeUnknownError,
  ErrorName,
  PaymentAlreadyReceivedError,
  PaymentDeclinedError,
  ProvisioningImpossibleError,
} from '../domain/errors.ts';
import { canPay, isClosedOrder, type OrderStatus, orderLifecycle } from '../domain/lifecycles.ts';
import { addYears, renewedExpiry } from '../domain/mailbox.ts';
import { type Order, type OrderEmailField, type Refund, renewalPaymentOf } from '../domain/order.ts';
import { isImmediatePayment } from '../domain/payment-methods.ts';
import type {
  AccessTokenRepository,
  AuditLog,
  DnsResolver,
  DocumentStore,
  MailboxRepository,
  MailPlatform,
  Notifier,
  OrderRepository,
  PaymentGateway,
} from './ports.ts';

/*
 * The steps of the order workflow (workflows/order-fulfilment.ts), one function per state. Each
 * step may run more than once (Step Functions retries, a Lambda retried after a timeout), and may
 * have stopped anywhere the time before: each one looks at where the order is and does what is
 * still missing. Emails are claimed on the order before they are sent (at most once); audit entries
 * and documents are rewritten under the same key (harmless to repeat); money is never guessed at.
 */

export interface FulfilmentDeps {
  orders: OrderRepository;
  mailboxes: MailboxRepository;
  gateway: PaymentGateway;
  platform: MailPlatform;
  tokens: AccessTokenRepository;
  /** Every email to the holder but the payment instructions, which only awaitPayment sends. */
  notifier: Omit<Notifier, 'paymentInstructions'>;
  audit: AuditLog;
  documents: DocumentStore;
  dns: DnsResolver;
}

async function loadOrder(orders: OrderRepository, orderId: string): Promise<Order> {
  const order = await orders.get(orderId);
  if (!order) throw new ProvisioningImpossibleError(`Order ${orderId} does not exist.`);
  return order;
}

/** The gateway's idempotency key for an order's charge: one order is charged at most once. */
export const chargeKeyOf = (orderId: string) => `order-${orderId}`;

/**
 * Charges a card or PayPal order once and marks it paid:
 * 1. the charge made by an earlier attempt, looked up by its idempotency key, is the answer (an
 *    attempt that charged and then timed out or failed is settled by asking, never by guessing);
 *    otherwise the card is charged, under the same key;
 * 2. the order is marked paid with the charge id;
 * 3. the charge is audited.
 * A retry after a failure anywhere completes the missing steps. A charge that lands on an order
 * closed meanwhile (a late attempt) is recorded as a refund to make.
 */
export async function chargePayment(
  deps: Pick<FulfilmentDeps, 'orders' | 'gateway' | 'audit'>,
  orderId: string,
  now: Date,
): Promise<void> {
  const order = await loadOrder(deps.orders, orderId);
  let chargeId: string | undefined;
  if (canPay(order)) {
    const { token } = order.payment;
    if (!token) throw new ProvisioningImpossibleError(`Order ${orderId} has no payment token to charge.`);
    const key = chargeKeyOf(orderId);
    const result =
      (await deps.gateway.findCharge(key)) ??
      (await deps.gateway.charge({
        idempotencyKey: key,
        amountCents: order.totals.grossCents,
        currency: 'EUR',
        method: order.payment.method,
        token,
        description: `PEC ${order.mailbox.address} (${order.years} anni)`,
      }));
    if (result.status === 'declined') {
      await deps.audit.record({ orderId, event: 'payment-declined', at: now, detail: { reason: result.reason } });
      throw new PaymentDeclinedError(`The payment was declined: ${result.reason}.`);
    }
    chargeId = result.chargeId;
    await deps.orders.markPaid(orderId, now, chargeId);
  }

  // Paid now or by an earlier attempt: what is left is the audit entry.
  const current = await loadOrder(deps.orders, orderId);
  if (current.payment.status === 'paid' && current.chargeId) {
    const at = new Date(current.paidAt ?? now);
    await deps.audit.record({ orderId, event: 'payment-charged', at, detail: { chargeId: current.chargeId } });
    return;
  }
  if (chargeId && isClosedOrder(current.status)) {
    const settled = current.refund
      ? current
      : await recordRefund(deps, current, chargeId, `charged after the order was ${current.status}`, now);
    await auditRefund(deps.audit, settled);
  }
  throw new ProvisioningImpossibleError(`Order ${orderId} cannot be charged in status ${current.status}.`);
}

/**
 * Creates the mailbox on the mail platform and turns the address reservation into an active
 * mailbox, then audits it (also on a retry that finds the mailbox active: the audit may be what failed).
 */
export async function provisionMailbox(
  deps: Pick<FulfilmentDeps, 'orders' | 'mailboxes' | 'platform' | 'audit'>,
  orderId: string,
  now: Date,
): Promise<void> {
  const order = await loadOrder(deps.orders, orderId);
  const { address, type } = order.mailbox;
  const current = await deps.mailboxes.get(address);
  let activatedAt = current?.activatedAt;
  if (current?.orderId !== orderId || current.status !== 'active') {
    assertFulfilling(order);
    if (current?.orderId !== orderId) {
      throw new ProvisioningImpossibleError(`The address ${address} is no longer held by order ${orderId}.`);
    }
    const plan = planFor(type);
    await deps.platform.createMailbox({ address, mailboxGb: plan.mailboxGb, archiveGb: plan.archiveGb });
    const renewalPayment = renewalPaymentOf(order);
    activatedAt = now.toISOString();
    const activated = await deps.mailboxes.activate(address, orderId, {
      activatedAt,
      expiresAt: addYears(now, order.years).toISOString(),
      // A card or PayPal holder renews automatically by default; a transfer has nothing to charge.
      autoRenew: renewalPayment !== undefined,
      ...(renewalPayment ? { renewalPayment } : {}),
    });
    if (!activated)
      throw new ProvisioningImpossibleError(`The address ${address} is no longer held by order ${orderId}.`);
  }
  // The mailbox is active: the order is fulfilled, whatever fails from here on. An audit outage must
  // not turn it into a failed order with a refund while the holder keeps the mailbox: the order
  // remembers the activation instead, and CompleteOrder (which retries, and ends in an operator
  // state if it never can) writes the entry.
  const at = activatedAt ?? now.toISOString();
  try {
    await recordActivation(deps.audit, orderId, address, new Date(at));
  } catch {
    await deps.orders.noteUnauditedActivation(orderId, at);
  }
}

/** A step that provisions or extends a mailbox runs only for a paid order being fulfilled. */
function assertFulfilling(order: { orderId: string; status: OrderStatus }): void {
  if (!orderLifecycle.canMove(order.status, 'fulfil')) {
    throw new ProvisioningImpossibleError(`Order ${order.orderId} is ${order.status}, not paid.`);
  }
}

const recordActivation = (audit: FulfilmentDeps['audit'], orderId: string, address: string, at: Date) =>
  audit.record({ orderId, event: 'mailbox-activated', at, detail: { address } });

/**
 * A paid renewal: the mailbox's expiry moves on by the order's years (from the current expiry, or
 * from now if it has expired), a suspended mailbox runs again, and the holder is told. The mailbox
 * remembers the order, so a retry never adds the years twice; a retry that finds the renewal
 * applied still completes what followed it (platform, audit, the email at most once).
 */
export async function extendMailbox(
  deps: Pick<FulfilmentDeps, 'orders' | 'mailboxes' | 'platform' | 'notifier' | 'audit'>,
  orderId: string,
  now: Date,
): Promise<void> {
  const order = await loadOrder(deps.orders, orderId);
  const { address } = order.mailbox;
  assertFulfilling(order);
  const renewalPayment = renewalPaymentOf(order);
  // Optimistic: a concurrent renewal of the same mailbox changes the expiry, so read it again and retry.
  for (let attempt = 0; attempt < 5; attempt++) {
    const mailbox = await deps.mailboxes.get(address);
    let expiresAt = renewedExpiry(mailbox?.expiresAt, now, order.years).toISOString();
    const result = await deps.mailboxes.extend(address, orderId, {
      previousExpiresAt: mailbox?.expiresAt,
      expiresAt,
      ...(renewalPayment ? { renewalPayment } : {}),
    });
    if (result === 'gone') throw new ProvisioningImpossibleError(`The mailbox ${address} can no longer be renewed.`);
    if (result === 'stale') continue;
    // A suspended mailbox was receive-only: it sends again. Applied by an earlier attempt, whether it
    // was suspended is no longer known, and making an active mailbox send is harmless.
    if (result === 'extended' ? mailbox?.status === 'suspended' : mailbox?.status === 'active') {
      await deps.platform.setReceiveOnly(address, false);
    }
    if (result === 'applied') expiresAt = mailbox?.expiresAt ?? expiresAt;
    await deps.audit.record({ orderId, event: 'mailbox-renewed', at: now, detail: { address, expiresAt } });
    await sendOnce(deps.orders, orderId, 'renewalEmailSentAt', now, () =>
      deps.notifier.renewalConfirmed({ to: order.holder.email, address, orderId, expiresAt }),
    );
    return;
  }
  throw new Error(`The expiry of ${address} kept changing; the renewal will be retried.`);
}

export interface DomainDnsSettings {
  /** The provider's mail exchangers, which the holder's domain must point at. */
  providerMxHosts: string[];
  /** How long after payment the holder has to set the MX records. */
  deadlineSeconds: number;
}

/**
 * PEC on the holder's own domain: the mailbox shows `activating`; it is provisioned once every MX
 * record of the domain points at the provider. The holder is told once which records to set; past
 * the deadline the order fails (and is refunded). The workflow calls this again after a wait.
 */
export async function checkDomainDns(
  deps: Pick<FulfilmentDeps, 'orders' | 'mailboxes' | 'dns' | 'notifier'>,
  settings: DomainDnsSettings,
  orderId: string,
  now: Date,
): Promise<{ ready: boolean }> {
  const order = await loadOrder(deps.orders, orderId);
  const { address } = order.mailbox;
  assertFulfilling(order);
  if (!(await deps.mailboxes.markActivating(address, orderId))) {
    throw new ProvisioningImpossibleError(`The address ${address} is no longer held by order ${orderId}.`);
  }
  const domain = address.slice(address.lastIndexOf('@') + 1);
  if (mxPointsAtProvider(await deps.dns.mx(domain), settings.providerMxHosts)) return { ready: true };

  const deadline = new Date(Date.parse(order.paidAt ?? order.createdAt) + settings.deadlineSeconds * 1000);
  if (now > deadline) {
    throw new DomainNotConfiguredError(
      `The MX records of ${domain} did not point at the provider by ${deadline.toISOString()}.`,
    );
  }
  if (!order.dnsInstructionsSentAt) {
    await sendOnce(deps.orders, orderId, 'dnsInstructionsSentAt', now, () =>
      deps.notifier.domainDnsInstructions({
        to: order.holder.email,
        address,
        domain,
        mxHosts: settings.providerMxHosts,
        deadline: deadline.toISOString(),
      }),
    );
  }
  return { ready: false };
}

export interface FirstAccessSettings {
  /** The password-creation page; the link is `<url>?token=<token>`. */
  passwordSetupUrl: string;
  tokenTtlSeconds: number;
}

/**
 * Emails the holder a single-use link to create the mailbox password. The token is 256 random bits,
 * kept only as its SHA-256.
 */
export async function sendFirstAccessEmail(
  deps: Pick<FulfilmentDeps, 'orders' | 'tokens' | 'notifier'>,
  settings: FirstAccessSettings,
  orderId: string,
  now: Date,
): Promise<void> {
  const order = await loadOrder(deps.orders, orderId);
  if (order.firstAccessEmailSentAt) return;
  await sendOnce(deps.orders, orderId, 'firstAccessEmailSentAt', now, async () => {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + settings.tokenTtlSeconds * 1000).toISOString();
    await deps.tokens.put({ tokenHash: hashToken(token), address: order.mailbox.address, orderId, expiresAt });
    const link = new URL(settings.passwordSetupUrl);
    link.searchParams.set('token', token);
    await deps.notifier.firstAccess({
      to: order.holder.email,
      address: order.mailbox.address,
      link: link.toString(),
      expiresAt,
    });
  });
}

/** The SHA-256 under which a first-access token is stored and looked up. */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Marks the order completed and files it as the contract record of the sale. The audit entry and
 * the document are written on every attempt (each under the same key every time), each attempted
 * even when the other fails: a retry after the order was marked completes whichever is missing.
 */
export async function completeOrder(
  deps: Pick<FulfilmentDeps, 'orders' | 'audit' | 'documents'>,
  orderId: string,
  now: Date,
): Promise<void> {
  await deps.orders.markCompleted(orderId, now);
  const order = await loadOrder(deps.orders, orderId);
  if (order.status !== 'completed') {
    throw new ProvisioningImpossibleError(`Order ${orderId} is ${order.status}: it cannot be completed.`);
  }
  await allEffects(`completing order ${orderId}`, [
    // ProvisionMailbox's own entry, when an audit outage kept it from writing it.
    async () => {
      if (order.unauditedActivationAt) {
        await recordActivation(deps.audit, orderId, order.mailbox.address, new Date(order.unauditedActivationAt));
      }
    },
    () => deps.audit.record({ orderId, event: 'order-completed', at: new Date(order.completedAt ?? now) }),
    () => deps.documents.putOrderDocument(order),
  ]);
}

export type CloseOutcome = 'failed' | 'cancelled';

/**
 * Ends an order that will not be fulfilled. `reason` is the workflow error name (e.g.
 * PaymentDeclinedError, States.Timeout). Each effect is checked on every attempt, so a retried
 * close does what the attempt before did not:
 * 1. the order is marked failed or cancelled (once; a retry finds it closed and goes on);
 * 2. then each effect, attempted even if another fails: money taken is recorded on the order as
 *    a refund to make (a paid order, or a charge found under the order's idempotency key, made by
 *    an attempt whose answer was lost or by a late one); the address is freed; once the money is
 *    settled the holder is told (at most once, with the refund if there is one); the closing and
 *    the refund are audited.
 */
export async function closeOrder(
  deps: Pick<FulfilmentDeps, 'orders' | 'mailboxes' | 'gateway' | 'notifier' | 'audit'>,
  orderId: string,
  outcome: CloseOutcome,
  reason: string,
  now: Date,
): Promise<void> {
  const paymentDeclined = reason === ErrorName.PaymentDeclinedError || reason === ErrorName.PaymentFailed;
  const closed =
    (await deps.orders.close(orderId, outcome, reason, now, paymentDeclined)) ?? (await deps.orders.get(orderId));
  if (!closed || closed.status === 'completed') return;
  if (!isClosedOrder(closed.status)) {
    throw new Error(`Order ${orderId} is still ${closed.status}; closing it will be retried.`);
  }

  const { address } = closed.mailbox;
  let settled: Order | undefined;
  await allEffects(`closing order ${orderId}`, [
    async () => {
      settled = await settlePayment(deps, closed, now);
    },
    () => deps.mailboxes.release(address, orderId),
    // Once the money is settled: the email says whether it is refunded.
    async () => settled && (await tellClosed(deps, settled, now)),
    () =>
      deps.audit.record({
        orderId,
        event: `order-${closed.status}`,
        at: new Date(closed.closedAt ?? now),
        detail: { reason: closed.failureReason ?? reason },
      }),
    async () => settled && (await auditRefund(deps.audit, settled)),
  ]);
}

/** Tells the holder, at most once, that the order failed or was cancelled (and, if paid, that it is refunded). */
function tellClosed(deps: Pick<FulfilmentDeps, 'orders' | 'notifier'>, order: Order, now: Date): Promise<void> {
  const { orderId, kind } = order;
  const { address } = order.mailbox;
  const to = order.holder.email;
  const refundCents = order.refund?.amountCents;
  return sendOnce(deps.orders, orderId, 'closeEmailSentAt', now, () =>
    order.status === 'cancelled'
      ? deps.notifier.orderCancelled({ to, address, orderId, kind, refundCents })
      : deps.notifier.orderFailed({
          to,
          address,
          orderId,
          kind,
          paymentDeclined: order.payment.status === 'failed',
          refundCents,
        }),
  );
}

/**
 * A closed order whose money was taken gets a refund recorded: one marked paid, or one whose charge
 * the gateway knows under the order's idempotency key though the order never learned of it.
 * Answers the order as it now is.
 */
async function settlePayment(
  deps: Pick<FulfilmentDeps, 'orders' | 'gateway'>,
  order: Order,
  now: Date,
): Promise<Order> {
  if (order.refund) return order;
  const reason = `order ${order.status}: ${order.failureReason ?? 'unknown'}`;
  if (order.payment.status === 'paid') return recordRefund(deps, order, order.chargeId ?? 'unknown', reason, now);
  if (order.payment.status === 'pending' && isImmediatePayment(order.payment.method)) {
    const charge = await deps.gateway.findCharge(chargeKeyOf(order.orderId));
    if (charge?.status === 'succeeded') return recordRefund(deps, order, charge.chargeId, reason, now);
  }
  return order;
}

/** Records the refund of what a closed order was charged (the first record stands); answers the order as it now is. */
async function recordRefund(
  deps: Pick<FulfilmentDeps, 'orders'>,
  order: Order,
  chargeId: string,
  reason: string,
  now: Date,
): Promise<Order> {
  const refund: Refund = {
    status: 'required',
    chargeId,
    amountCents: order.totals.grossCents,
    currency: 'EUR',
    reason,
    recordedAt: now.toISOString(),
    // A transfer is given back by hand: to the account the bank's statement said it came from.
    ...(order.paidBy ? { payer: order.paidBy } : {}),
  };
  if (await deps.orders.recordRefund(order.orderId, refund)) {
    return { ...order, payment: { ...order.payment, status: 'refund_required' }, refund };
  }
  return loadOrder(deps.orders, order.orderId);
}

/** The audit entry of an order's refund, if it has one (the same entry on every attempt). */
async function auditRefund(audit: AuditLog, order: Order): Promise<void> {
  if (!order.refund) return;
  // Identifiers and amounts only: who paid (name, IBAN) stays on the order, out of the audit trail.
  const { payer: _payer, ...refund } = order.refund;
  await audit.record({
    orderId: order.orderId,
    event: 'refund-required',
    at: new Date(order.refund.recordedAt),
    detail: { ...refund },
  });
}

/**
 * Runs independent effects of a step one after the other, each even if an earlier one failed, so
 * one failing dependency does not hold back the others; then fails with what failed (the error
 * itself when one did), for the step to be retried.
 */
async function allEffects(what: string, effects: (() => Promise<unknown>)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const effect of effects) {
    try {
      await effect();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} effects failed ${what}.`);
}

/**
 * Sends one of the order's emails at most once: the sending is claimed on the order first, and
 * given back when the email was refused (so that a retry sends it). An email whose outcome is
 * unknown (no answer, or an attempt that died while sending) keeps its claim: it is not sent twice,
 * and an operator can send it again.
 */
async function sendOnce(
  orders: Pick<FulfilmentDeps['orders'], 'claimEmail' | 'releaseEmail'>,
  orderId: string,
  field: OrderEmailField,
  now: Date,
  send: () => Promise<unknown>,
): Promise<void> {
  if (!(await orders.claimEmail(orderId, field, now))) return;
  try {
    await send();
  } catch (error) {
    if (error instanceof EmailOutcomeUnknownError) throw error;
    try {
      await orders.releaseEmail(orderId, field, now);
    } catch (releaseError) {
      throw new AggregateError(
        [error, releaseError],
        `The ${field} email of order ${orderId} failed and its claim could not be given back: it will not be retried.`,
      );
    }
    throw error;
  }
}

/**
 * The wait for a bank transfer or postal slip (a callback state, retried if this function fails):
 * 1. an order already paid (its credit arrived while an earlier attempt's wait was given up) has
 *    nothing to wait for: PaymentAlreadyReceivedError sends the workflow on to activation;
 * 2. the payment instructions are emailed, at most once;
 * 3. the workflow's task token is kept on the order (it never leaves the server), last: once it is
 *    there, a credit can resume the wait and nothing in this attempt can fail any more.
 */
export async function awaitPayment(
  deps: Pick<FulfilmentDeps, 'orders'> & { notifier: Pick<Notifier, 'paymentInstructions'> },
  orderId: string,
  taskToken: string,
  now: Date,
): Promise<void> {
  const order = await loadOrder(deps.orders, orderId);
  assertWaiting(order);
  const method = order.payment.method;
  if (!isImmediatePayment(method)) {
    await sendOnce(deps.orders, orderId, 'paymentInstructionsSentAt', now, () =>
      deps.notifier.paymentInstructions({
        to: order.holder.email,
        orderId,
        address: order.mailbox.address,
        method,
        kind: order.kind,
        grossCents: order.totals.grossCents,
        reference: order.payment.reference,
        deadline: order.paymentDeadline ?? now.toISOString(),
      }),
    );
  }
  if (!(await deps.orders.saveTaskToken(orderId, taskToken))) {
    assertWaiting(await loadOrder(deps.orders, orderId));
    throw new ProvisioningImpossibleError(`Order ${orderId} is no longer waiting for a payment.`);
  }
}

function assertWaiting(order: Order): void {
  if (order.status === 'activating' && order.payment.status === 'paid') {
    throw new PaymentAlreadyReceivedError(`Order ${order.orderId} is paid already: there is nothing to wait for.`);
  }
  if (!orderLifecycle.canMove(order.status, 'await_payment')) {
    throw new ProvisioningImpossibleError(`Order ${order.orderId} is no longer waiting for a payment.`);
  }
}
