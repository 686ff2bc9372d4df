import { refundDeadline } from '../domain/attention.ts';
import { catalog, planFor } from '../domain/catalog.ts';
import { type DnsPollPolicy, mxPointsAtProvider, nextDnsPollSeconds } from '../domain/domain-dns.ts';
import {
  DnsCheckRequestedError,
  DomainNotConfiguredError,
  EmailOutcomeUnknownError,
  ErrorName,
  OrderCancelledError,
  PaymentAlreadyReceivedError,
  PaymentDeclinedError,
  PaymentRequiresActionError,
  ProvisioningImpossibleError,
} from '../domain/errors.ts';
import { canPay, isClosedOrder, type OrderStatus, orderLifecycle } from '../domain/lifecycles.ts';
import { addYears, renewedExpiry } from '../domain/mailbox.ts';
import {
  CANCELLED_BY_STOREFRONT,
  type Order,
  type OrderEmailField,
  type Refund,
  renewalPaymentOf,
} from '../domain/order.ts';
import {
  AUTHENTICATION_REQUIRED,
  credentialOf,
  isCreditPayment,
  isImmediatePayment,
  PREPAID_CREDIT,
} from '../domain/payment-methods.ts';
import { hasExtraGb, NO_EXTRA_GB, type PlanChoice, quotaOf } from '../domain/renewal-plan.ts';
import { LAST_CHARGE_ATTEMPT, nextChargeAttemptAt } from '../domain/renewal-policy.ts';
import { issueAccessLink, type LinkSettings } from './access-links.ts';
import { BusinessCount, type BusinessMetrics } from './business-metrics.ts';
import type {
  AccessTokenRepository,
  AuditLog,
  ChargeResult,
  DnsResolver,
  DocumentStore,
  MailboxRepository,
  MailPlatform,
  Notifier,
  OrderConfirmation,
  OrderRepository,
  OrderSummary,
  PaymentGateway,
  PaymentInstructions,
  ResellerRepository,
} from './ports.ts';
import { creditBackOrder } from './reseller-orders.ts';

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
  dns: Pick<DnsResolver, 'mx'>;
  /** Where the transitions are counted (absent: nothing is, as in tests that do not look). */
  metrics?: BusinessMetrics;
  /** The storefront's renewal page for a mailbox (the email of a declined automatic renewal names it). */
  renewalLink: (storefrontId: string, address: string) => string;
}

async function loadOrder(orders: OrderRepository, orderId: string): Promise<Order> {
  const order = await orders.get(orderId);
  if (!order) throw new ProvisioningImpossibleError(`Order ${orderId} does not exist.`);
  return order;
}

/** The provider's idempotency key for creating an order's payment: one order has at most one. */
export const chargeKeyOf = (orderId: string) => `order-${orderId}`;
/** The idempotency key of the one confirmation of that payment. */
export const confirmKeyOf = (orderId: string) => `order-${orderId}-confirm`;
/** The provider's idempotency key for the customer an order's payment saves its method on: one per order. */
export const customerKeyOf = (orderId: string) => `order-${orderId}-customer`;

/**
 * Charges a card or PayPal order once and marks it paid:
 * 1. the provider's payment is created (no money is taken yet; the order's idempotency key gives
 *    the same one again) and kept on the order before anything else, unless an attempt before did;
 * 2. what became of a kept payment is asked (an attempt that confirmed it and then timed out or
 *    failed is settled by asking, never by guessing); one never attempted is confirmed, once;
 * 3. a payment waiting for the holder (3-D Secure, PayPal's approval) keeps what the holder must do
 *    on the order (it shows `requires_action`) and throws PaymentRequiresActionError: the workflow
 *    waits (AwaitAuthentication) and then runs this step again, which finds the outcome by asking;
 * 4. the order is marked paid with the charge id and the payment method the provider saved with it
 *    (what automatic renewals charge), and the charge is audited; a declined payment is marked
 *    failed with the provider's reason.
 * A retry after a failure anywhere completes the missing steps. A charge that lands on an order
 * closed meanwhile (a late attempt) is recorded as a refund to make. An off-session order (an
 * automatic renewal) charges the saved method while the holder is away: one that would need them
 * to authenticate is declined (`authentication_required`), it never waits for them.
 */
export async function chargePayment(
  deps: Pick<FulfilmentDeps, 'orders' | 'gateway' | 'audit' | 'metrics'>,
  orderId: string,
  now: Date,
): Promise<void> {
  const order = await loadOrder(deps.orders, orderId);
  // Declined by an earlier attempt (its answer lost): the same decline again, nothing asked twice.
  if (order.status === 'pending_payment' && order.payment.status === 'failed') {
    throw new PaymentDeclinedError(`The payment was declined: ${order.declineReason ?? 'declined'}.`);
  }
  let chargeId: string | undefined;
  if (canPay(order)) {
    const result = await takePayment(deps, order, now);
    if (result.status === 'declined') {
      const offSession = order.payment.offSession === true;
      await deps.audit.record({
        orderId,
        event: 'payment-declined',
        at: now,
        detail: { reason: result.reason, ...(offSession ? { offSession } : {}) },
      });
      await deps.orders.markPaymentFailed(orderId, result.reason);
      if (order.kind === 'renewal') deps.metrics?.count(BusinessCount.RenewalsDeclined);
      throw new PaymentDeclinedError(`The payment was declined: ${result.reason}.`);
    }
    chargeId = result.chargeId;
    const { method } = order.payment;
    const saved = result.saved && isImmediatePayment(method) ? { method, ...result.saved } : undefined;
    if (await deps.orders.markPaid(orderId, now, chargeId, undefined, saved)) {
      deps.metrics?.count(BusinessCount.OrdersPaid);
      if (order.kind === 'renewal') deps.metrics?.count(BusinessCount.RenewalsCharged);
    }
  }

  // Paid now or by an earlier attempt: what is left is the audit entry.
  const current = await loadOrder(deps.orders, orderId);
  if (current.payment.status === 'paid' && current.chargeId) {
    const at = new Date(current.paidAt ?? now);
    await deps.audit.record({ orderId, event: 'payment-charged', at, detail: { chargeId: current.chargeId } });
    return;
  }
  if (chargeId && isClosedOrder(current.status)) {
    const recorded = current.refund
      ? current
      : await recordRefund(deps, current, chargeId, `charged after the order was ${current.status}`, now);
    await auditRefund(deps.audit, await giveBack(deps, recorded, now));
  }
  throw new ProvisioningImpossibleError(`Order ${orderId} cannot be charged in status ${current.status}.`);
}

/** Steps 1 to 3 of chargePayment: the payment's outcome, succeeded or declined (or the wait for the holder). */
async function takePayment(
  deps: Pick<FulfilmentDeps, 'orders' | 'gateway' | 'audit'>,
  order: Order,
  now: Date,
): Promise<Exclude<ChargeResult, { status: 'requires_action' }>> {
  const { orderId } = order;
  const { method, offSession, customerId } = order.payment;
  const credential = credentialOf(order.payment);
  if (!isImmediatePayment(method) || !credential) {
    throw new ProvisioningImpossibleError(`Order ${orderId} has no card or PayPal payment to charge.`);
  }
  // Off-session, only a method saved on a customer can be charged (a mailbox saved before customers were).
  if (offSession && !customerId) return { status: 'declined', reason: 'no_saved_payment_method' };
  let paymentId = order.providerPaymentId;
  let result = paymentId ? await deps.gateway.findPayment(paymentId) : undefined;
  if (!paymentId) {
    paymentId = await deps.gateway.createPayment({
      orderId,
      idempotencyKey: chargeKeyOf(orderId),
      amountCents: order.totals.grossCents,
      currency: 'EUR',
      method,
      description: `PEC ${order.mailbox.address} (${order.years} anni)`,
      // The holder pays now: the method is saved for automatic renewals. Off-session: the saved one.
      ...(offSession
        ? { customerId }
        : { saveFor: { idempotencyKey: customerKeyOf(orderId), email: order.holder.email } }),
    });
    // Kept before it is confirmed: money is only ever asked for on a payment the order knows.
    if (!(await deps.orders.savePaymentId(orderId, paymentId))) {
      throw new ProvisioningImpossibleError(`Order ${orderId} no longer waits for its payment.`);
    }
  }
  result ??= await deps.gateway.confirmPayment(paymentId, {
    idempotencyKey: confirmKeyOf(orderId),
    credential,
    ...(offSession ? { offSession } : {}),
  });
  if (result.status !== 'requires_action') return result;
  // The holder is away: a payment that needs them is a declined renewal, never a wait; it is
  // cancelled, so it can take no money later.
  if (offSession) {
    const cancelled = await deps.gateway.cancelPayment(paymentId);
    if (cancelled.status !== 'requires_action') {
      return cancelled.status === 'declined' ? { status: 'declined', reason: AUTHENTICATION_REQUIRED } : cancelled;
    }
  }

  // The holder must act: the order shows what to do, and the workflow waits (AwaitAuthentication).
  await deps.audit.record({ orderId, event: 'payment-requires-action', at: now, detail: { paymentId } });
  if (!(await deps.orders.savePaymentId(orderId, paymentId, result.nextAction))) {
    throw new ProvisioningImpossibleError(`Order ${orderId} no longer waits for its payment.`);
  }
  throw new PaymentRequiresActionError(`The payment of order ${orderId} waits for the holder to authenticate it.`);
}

/**
 * The wait for the holder to authenticate a card payment (3-D Secure) or approve a PayPal one (a
 * callback state, bounded; the Stripe webhook resumes it):
 * 1. an order paid meanwhile has nothing to wait for (PaymentAlreadyReceivedError: back to
 *    ChargePayment, which records the charge); one no longer waiting, nothing either;
 * 2. the workflow's task token is kept on the order, for the webhook to resume the wait;
 * 3. then the provider is asked what became of the payment: a webhook that came before the token was
 *    kept found none to resume, so what it reported is found here (succeeded: back to
 *    ChargePayment; declined: the order fails), and nothing is missed whichever comes first.
 */
export async function awaitAuthentication(
  deps: Pick<FulfilmentDeps, 'orders' | 'gateway'>,
  orderId: string,
  taskToken: string,
): Promise<void> {
  const order = await loadOrder(deps.orders, orderId);
  const paymentId = order.providerPaymentId;
  if (order.payment.status === 'paid') {
    throw new PaymentAlreadyReceivedError(`Order ${orderId} is paid already: there is nothing to wait for.`);
  }
  if (!paymentId || !canPay(order) || !(await deps.orders.saveTaskToken(orderId, taskToken))) {
    throw new ProvisioningImpossibleError(`Order ${orderId} no longer waits for its payment.`);
  }
  const result = await deps.gateway.findPayment(paymentId);
  if (result?.status === 'succeeded') {
    throw new PaymentAlreadyReceivedError(
      `The payment of order ${orderId} went through: there is nothing to wait for.`,
    );
  }
  if (result?.status === 'declined') {
    throw new PaymentDeclinedError(`The payment was declined: ${result.reason}.`);
  }
}

/**
 * Confirms a new card or PayPal order to the holder (what was ordered, the total, what happens
 * next), at most once. The workflow sends it before the charge: it confirms the order placed,
 * whatever the charge then does (a declined charge gets an email of its own), and an email that
 * cannot go out never holds back the order (the workflow goes on to the charge). Other orders have
 * a confirmation of their own: a transfer's or slip's is its payment instructions, a renewal's the
 * renewal email at completion (a card renewal completes within moments).
 */
export async function sendOrderConfirmation(
  deps: Pick<FulfilmentDeps, 'orders' | 'notifier'>,
  orderId: string,
  now: Date,
): Promise<void> {
  const order = await loadOrder(deps.orders, orderId);
  const confirmation = orderConfirmationOf(order);
  if (!confirmation || order.orderConfirmationSentAt) return;
  await sendOnce(deps.orders, orderId, 'orderConfirmationSentAt', now, () =>
    deps.notifier.orderConfirmation(confirmation),
  );
}

/** The confirmation a new card or PayPal order has (sent before its charge); undefined for any other order. */
export function orderConfirmationOf(order: Order): OrderConfirmation | undefined {
  const { method } = order.payment;
  if (order.kind !== 'new' || !isImmediatePayment(method)) return undefined;
  return { ...summaryOf(order), method };
}

/** The payment instructions of a bank transfer or postal slip order (its confirmation too); undefined for a card or PayPal one. */
export function paymentInstructionsOf(order: Order, now: Date): PaymentInstructions | undefined {
  const { method } = order.payment;
  if (!isCreditPayment(method)) return undefined;
  return {
    ...summaryOf(order),
    method,
    reference: order.payment.reference,
    deadline: order.paymentDeadline ?? now.toISOString(),
  };
}

/** What the order's confirmation says was ordered; the conditions' document is linked when it is the one in force. */
function summaryOf(order: Order): OrderSummary {
  const { address, type, domainPec } = order.mailbox;
  const accepted = order.consents?.termsVersion;
  return {
    to: order.holder.email,
    orderId: order.orderId,
    kind: order.kind,
    address,
    type,
    domainPec,
    years: order.years,
    totals: order.totals,
    ...(hasExtraGb(order.extraGb) ? { extraGb: order.extraGb } : {}),
    ...(accepted
      ? { terms: { version: accepted, ...(accepted === catalog.terms.version ? { url: catalog.terms.url } : {}) } }
      : {}),
  };
}

/**
 * Creates the mailbox on the mail platform and turns the address reservation into an active
 * mailbox, then audits it (also on a retry that finds the mailbox active: the audit may be what failed).
 * A reseller's order that chose the initial password creates the account with its credential (held
 * with the order, read here: never in the workflow's input or output) and the mailbox shows its
 * password set.
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
    const credential = order.initialPasswordByReseller
      ? await deps.orders.initialPasswordCredential(orderId)
      : undefined;
    if (order.initialPasswordByReseller && !credential) {
      throw new ProvisioningImpossibleError(
        `Order ${orderId} no longer holds the initial password it was placed with.`,
      );
    }
    await deps.platform.createMailbox({
      address,
      mailboxGb: plan.mailboxGb,
      archiveGb: plan.archiveGb,
      ...(credential ? { credential } : {}),
    });
    const renewalPayment = renewalPaymentOf(order);
    activatedAt = now.toISOString();
    const activated = await deps.mailboxes.activate(address, orderId, {
      activatedAt,
      expiresAt: addYears(now, order.years).toISOString(),
      // A card or PayPal holder renews automatically by default; a transfer has nothing to charge.
      autoRenew: renewalPayment !== undefined,
      ...(renewalPayment ? { renewalPayment } : {}),
      // Kept for the renewals, which are invoiced the same way unless they say otherwise.
      ...(Object.keys(order.billing).length > 0 ? { billing: order.billing } : {}),
      // Automatic renewals renew for the years chosen in the order.
      renewalYears: order.years,
    });
    if (!activated)
      throw new ProvisioningImpossibleError(`The address ${address} is no longer held by order ${orderId}.`);
  }
  // Every attempt (a retry may find the mailbox active and this not yet written).
  if (order.initialPasswordByReseller) await deps.mailboxes.markPasswordSet(address);
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
 * A paid renewal, the step every renewal ends in (manual, automatic, after a retried charge, with a
 * plan change):
 * 1. the mailbox's expiry moves on by the order's years (from the current expiry, or from now if it
 *    has expired), a suspended mailbox runs again, and the plan and extra GB the order bought become
 *    the mailbox's (`type`, `extraGb`), in one conditional write that remembers the order, so a retry
 *    never adds the years twice;
 * 2. the mail platform gets the quota of the plan the mailbox now has (a retry sets it again);
 * 3. the renewal is audited (one entry per order, rewritten by a retry) and the holder gets the
 *    renewal confirmation (new expiry, plan, years, totals), at most once.
 * The plan changes when the renewal is paid, not at the old expiry: for an automatic renewal (charged
 * days before expiry) and a suspended mailbox that is the new period; a manual renewal paid early
 * brings its plan early (an upgrade at once; a downgrade was checked against the space in use).
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
  const bought: PlanChoice = { type: order.mailbox.type, extraGb: order.extraGb ?? NO_EXTRA_GB };
  // Optimistic: a concurrent renewal of the same mailbox changes the expiry, so read it again and retry.
  for (let attempt = 0; attempt < 5; attempt++) {
    const mailbox = await deps.mailboxes.get(address);
    let expiresAt = renewedExpiry(mailbox?.expiresAt, now, order.years).toISOString();
    const result = await deps.mailboxes.extend(address, orderId, {
      previousExpiresAt: mailbox?.expiresAt,
      expiresAt,
      ...(renewalPayment ? { renewalPayment } : {}),
      plan: bought,
    });
    if (result === 'gone') throw new ProvisioningImpossibleError(`The mailbox ${address} can no longer be renewed.`);
    if (result === 'stale') continue;
    // A suspended mailbox was receive-only: it sends again. Applied by an earlier attempt, whether it
    // was suspended is no longer known, and making an active mailbox send is harmless.
    if (result === 'extended' ? mailbox?.status === 'suspended' : mailbox?.status === 'active') {
      await deps.platform.setReceiveOnly(address, false);
    }
    if (result === 'applied') expiresAt = mailbox?.expiresAt ?? expiresAt;
    // The quota of the plan the mailbox has now: this order's, or (applied by an earlier attempt)
    // whatever the latest renewal left. Set every time: an attempt may have stopped before it.
    const plan =
      result === 'extended' || !mailbox ? bought : { type: mailbox.type, extraGb: mailbox.extraGb ?? NO_EXTRA_GB };
    await deps.platform.setQuota(address, quotaOf(plan));
    const changedFrom = result === 'extended' && mailbox && mailbox.type !== bought.type ? mailbox.type : undefined;
    const renewal = {
      address,
      expiresAt,
      type: bought.type,
      ...(changedFrom ? { previousType: changedFrom } : {}),
      ...(hasExtraGb(order.extraGb) ? { extraGb: order.extraGb } : {}),
      years: order.years,
      totals: order.totals,
    };
    await deps.audit.record({ orderId, event: 'mailbox-renewed', at: now, detail: renewal });
    await sendOnce(deps.orders, orderId, 'renewalEmailSentAt', now, () =>
      deps.notifier.renewalConfirmed({ to: order.holder.email, orderId, ...renewal }),
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
  /** How long the workflow waits between two checks. */
  poll: DnsPollPolicy;
}

export type DomainDnsCheck = { ready: true } | { ready: false; waitSeconds: number };

/**
 * PEC on the holder's own domain: the mailbox shows `activating`; it is provisioned once every MX
 * record of the domain points at the provider. The workflow calls this after every wait:
 * 1. the mailbox shows `activating`, and the order notes that a check begins (a check asked for
 *    from now on is not answered by this one, so WaitForDns will not wait for it);
 * 2. the domain's MX records are read: pointing at the provider, the domain is ready; a resolver
 *    that cannot answer is no answer (the next check asks again; the deadline still holds);
 * 3. past the deadline the order fails (and is refunded);
 * 4. the holder is told once which records to set;
 * 5. the answer says how long to wait before the next check: a backoff from
 *    `previousWaitSeconds` (`nextDnsPollSeconds`).
 */
export async function checkDomainDns(
  deps: Pick<FulfilmentDeps, 'orders' | 'mailboxes' | 'dns' | 'notifier'>,
  settings: DomainDnsSettings,
  input: { orderId: string; previousWaitSeconds?: number | undefined },
  now: Date,
): Promise<DomainDnsCheck> {
  const { orderId } = input;
  const order = await loadOrder(deps.orders, orderId);
  const { address } = order.mailbox;
  assertFulfilling(order);
  if (!(await deps.mailboxes.markActivating(address, orderId))) {
    throw new ProvisioningImpossibleError(`The address ${address} is no longer held by order ${orderId}.`);
  }
  if (!(await deps.orders.startDnsCheck(orderId))) {
    throw new ProvisioningImpossibleError(`Order ${orderId} is no longer activating.`);
  }
  const domain = address.slice(address.lastIndexOf('@') + 1);
  const records = await deps.dns.mx(domain).catch(() => []);
  if (mxPointsAtProvider(records, settings.providerMxHosts)) return { ready: true };

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
  const secondsLeft = (deadline.getTime() - now.getTime()) / 1000;
  return { ready: false, waitSeconds: nextDnsPollSeconds(input.previousWaitSeconds, settings.poll, secondsLeft) };
}

/**
 * The wait for the next check of the holder's domain (a callback state whose timeout is the
 * backoff interval): its task token is kept on the order, where `POST .../dns-check` finds it to end
 * the wait early. A check asked for since the last check began means checking again at once
 * (DnsCheckRequestedError, which the workflow catches); an order no longer activating has nothing
 * to wait for.
 */
export async function awaitDomainDns(
  deps: Pick<FulfilmentDeps, 'orders'>,
  orderId: string,
  taskToken: string,
): Promise<void> {
  const saved = await deps.orders.saveDnsTaskToken(orderId, taskToken);
  if (saved === 'check_requested') {
    throw new DnsCheckRequestedError(`A check of order ${orderId}'s domain was asked for: checking again now.`);
  }
  if (saved === 'not_waiting') throw new ProvisioningImpossibleError(`Order ${orderId} is no longer activating.`);
}

/**
 * Emails the holder a single-use link to create the mailbox password (see `issueAccessLink`: a
 * 256-bit token, kept only as its SHA-256). A reseller's order that chose the initial password sends
 * none: the mailbox has its password (the holder can still ask for a reset).
 */
export async function sendFirstAccessEmail(
  deps: Pick<FulfilmentDeps, 'orders' | 'tokens' | 'notifier'>,
  settings: LinkSettings,
  orderId: string,
  now: Date,
): Promise<void> {
  const order = await loadOrder(deps.orders, orderId);
  if (order.firstAccessEmailSentAt || order.initialPasswordByReseller) return;
  await sendOnce(deps.orders, orderId, 'firstAccessEmailSentAt', now, async () => {
    const address = order.mailbox.address;
    const { link, expiresAt } = await issueAccessLink(deps.tokens, { address, orderId }, 'first_access', settings, now);
    await deps.notifier.firstAccess({ to: order.holder.email, address, link, expiresAt });
  });
}

/**
 * Marks the order completed and files it as the contract record of the sale. The audit entry and
 * the document are written on every attempt (each under the same key every time), each attempted
 * even when the other fails: a retry after the order was marked completes whichever is missing.
 */
export async function completeOrder(
  deps: Pick<FulfilmentDeps, 'orders' | 'audit' | 'documents' | 'metrics'>,
  orderId: string,
  now: Date,
): Promise<void> {
  const marked = await deps.orders.markCompleted(orderId, now);
  const order = await loadOrder(deps.orders, orderId);
  if (order.status !== 'completed') {
    throw new ProvisioningImpossibleError(`Order ${orderId} is ${order.status}: it cannot be completed.`);
  }
  if (marked) countActivation(deps.metrics, order, now);
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
  // Filed and audited: nothing more for anyone to do.
  await deps.orders.settleAttention(orderId);
}

/** A new mailbox's order completed: one more active mailbox, and how long it took from the payment. */
function countActivation(metrics: BusinessMetrics | undefined, order: Order, now: Date): void {
  if (!metrics || order.kind === 'renewal') return;
  metrics.count(BusinessCount.OrdersActivated);
  if (order.paidAt) {
    const completedAt = new Date(order.completedAt ?? now).getTime();
    const promise = order.mailbox.domainPec ? 'ownDomain' : 'generic';
    metrics.paymentToActive(Math.max(0, completedAt - new Date(order.paidAt).getTime()), promise);
  }
}

export type CloseOutcome = 'failed' | 'cancelled';

/** What closing a reseller's order needs: the ledger its debit goes back to (other orders need none). */
export interface ResellerCreditDeps {
  resellers?: Pick<ResellerRepository, 'creditBack' | 'rearmLowBalanceNotice'>;
}

/**
 * Ends an order that will not be fulfilled. `reason` is the workflow error name (e.g.
 * PaymentDeclinedError, States.Timeout). Each effect is checked on every attempt, so a retried
 * close does what the attempt before did not:
 * 1. the order is marked failed or cancelled (once; a retry finds it closed and goes on);
 * 2. then each effect, attempted even if another fails: money taken is recorded on the order as
 *    a refund to make (a paid order, or a payment kept on the order that the provider says
 *    succeeded, by an attempt whose answer was lost or by a late one; one still waiting for the
 *    holder is cancelled first); the address is freed; once the money is
 *    settled the holder is told (at most once, with the refund if there is one); the closing and
 *    the refund are audited.
 */
export async function closeOrder(
  deps: Pick<FulfilmentDeps, 'orders' | 'mailboxes' | 'gateway' | 'notifier' | 'audit' | 'metrics' | 'renewalLink'> &
    ResellerCreditDeps,
  orderId: string,
  outcome: CloseOutcome,
  reason: string,
  now: Date,
): Promise<void> {
  const paymentDeclined = reason === ErrorName.PaymentDeclinedError || reason === ErrorName.PaymentFailed;
  const justClosed = await deps.orders.close(orderId, outcome, reason, now, paymentDeclined);
  if (justClosed) {
    deps.metrics?.count(outcome === 'failed' ? BusinessCount.OrdersFailed : BusinessCount.OrdersCancelled);
  }
  const closed = justClosed ?? (await deps.orders.get(orderId));
  if (!closed || closed.status === 'completed') return;
  if (!isClosedOrder(closed.status)) {
    throw new Error(`Order ${orderId} is still ${closed.status}; closing it will be retried.`);
  }

  const { address } = closed.mailbox;
  let settled: Order | undefined;
  await allEffects(`closing order ${orderId}`, [
    async () => {
      settled = await settlePayment(deps, closed, now);
      settled = await giveBack(deps, settled, now);
    },
    () => deps.mailboxes.release(address, orderId),
    // The last attempt of an automatic renewal failed: automatic renewal switches off, so that the
    // holder can renew by hand (before the email that says so).
    async () => {
      if (isLastAutoRenewalAttempt(closed)) await deps.mailboxes.setAutoRenew(address, false, closed.storefrontId);
    },
    // Once the money is settled: the email says whether it is refunded.
    async () => settled && (await tellClosed(deps, settled, now)),
    () =>
      deps.audit.record({
        orderId,
        event: `order-${closed.status}`,
        at: new Date(closed.closedAt ?? now),
        detail: {
          reason: closed.failureReason ?? reason,
          ...(closed.declineReason ? { declineReason: closed.declineReason } : {}),
        },
      }),
    async () => settled && (await auditRefund(deps.audit, settled)),
  ]);
  // Every effect done: unless a refund is left to make by hand, nothing more for anyone to do.
  await deps.orders.settleAttention(orderId);
}

const isLastAutoRenewalAttempt = (order: Order) =>
  order.autoRenewal !== undefined && order.autoRenewal.attempt >= LAST_CHARGE_ATTEMPT;

/**
 * Tells the holder, at most once, that the order failed or was cancelled (and, if paid, that it is
 * refunded). A failed automatic renewal (not refunded: nothing was taken) says what happens next:
 * the next attempt, or, after the last one, that automatic renewal is off; with the storefront's
 * renewal page and the day the mailbox stops sending.
 */
function tellClosed(
  deps: Pick<FulfilmentDeps, 'orders' | 'notifier' | 'renewalLink'>,
  order: Order,
  now: Date,
): Promise<void> {
  const { orderId, kind, autoRenewal } = order;
  const { address } = order.mailbox;
  const to = order.holder.email;
  // A reseller's order was paid from the reseller's credit, not by the holder: nothing comes back to the holder.
  const refundCents = order.payment.method === PREPAID_CREDIT ? undefined : order.refund?.amountCents;
  if (autoRenewal && order.status === 'failed' && order.payment.status === 'failed' && refundCents === undefined) {
    const nextAttemptAt = nextChargeAttemptAt(autoRenewal.expiresAt, autoRenewal.attempt);
    return sendOnce(deps.orders, orderId, 'closeEmailSentAt', now, () =>
      deps.notifier.renewalDeclined({
        to,
        address,
        orderId,
        expiresAt: autoRenewal.expiresAt,
        renewalLink: deps.renewalLink(order.storefrontId, address),
        ...(nextAttemptAt ? { nextAttemptAt } : {}),
      }),
    );
  }
  return sendOnce(deps.orders, orderId, 'closeEmailSentAt', now, () =>
    order.status === 'cancelled'
      ? deps.notifier.orderCancelled({
          to,
          address,
          orderId,
          kind,
          onRequest: order.failureReason === CANCELLED_BY_STOREFRONT,
          refundCents,
        })
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
 * A closed order whose money was taken gets a refund recorded: one marked paid, or one whose kept
 * payment the provider says succeeded though the order never learned of it.
 * Answers the order as it now is.
 */
async function settlePayment(
  deps: Pick<FulfilmentDeps, 'orders' | 'gateway'> & ResellerCreditDeps,
  order: Order,
  now: Date,
): Promise<Order> {
  if (order.refund) return order;
  // A reseller's order was paid from its credit: the debit goes back to the credit, once.
  if (order.payment.method === PREPAID_CREDIT) {
    if (!deps.resellers) throw new Error(`Order ${order.orderId} was paid from credit: closing it needs the ledger.`);
    return creditBackOrder({ orders: deps.orders, resellers: deps.resellers }, order, now);
  }
  const reason = `order ${order.status}: ${order.failureReason ?? 'unknown'}`;
  if (order.payment.status === 'paid') return recordRefund(deps, order, order.chargeId ?? 'unknown', reason, now);
  // Money is only ever asked for on a payment kept on the order: without one, nothing was taken.
  const paymentId = order.providerPaymentId;
  if (order.payment.status === 'pending' && paymentId) {
    let charge = await deps.gateway.findPayment(paymentId);
    // One still waiting for the holder could take the money later: it is cancelled first.
    if (charge?.status === 'requires_action') charge = await deps.gateway.cancelPayment(paymentId);
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
  // Given back through the provider by `giveBack` (a card or PayPal order's own payment), or by hand.
  const byProvider = isImmediatePayment(order.payment.method) && chargeId === order.providerPaymentId;
  if (await deps.orders.recordRefund(order.orderId, refund, refundDeadline(refund.recordedAt, byProvider))) {
    return { ...order, payment: { ...order.payment, status: 'refund_required' }, refund };
  }
  return loadOrder(deps.orders, order.orderId);
}

/** The provider's idempotency key for an order's refund: an order is refunded once. */
export const refundKeyOf = (orderId: string) => `refund-${orderId}`;

/**
 * Gives back through the provider the money a closed card or PayPal order took (its refund recorded,
 * naming the order's own PaymentIntent), once (the order's refund idempotency key): a refund that
 * succeeds at once marks the order `refunded`; one under way is marked by Stripe's `charge.refunded`
 * event; one the provider refuses stays `refund_required`, for an operator. A bank transfer or postal
 * slip is given back by hand. Answers the order as it now is.
 */
async function giveBack(
  deps: Pick<FulfilmentDeps, 'orders' | 'gateway' | 'metrics'>,
  order: Order,
  now: Date,
): Promise<Order> {
  const { refund, providerPaymentId } = order;
  if (refund?.status !== 'required' || !isImmediatePayment(order.payment.method)) return order;
  if (!providerPaymentId || refund.chargeId !== providerPaymentId) return order;
  const result = await deps.gateway.refundPayment(providerPaymentId, { idempotencyKey: refundKeyOf(order.orderId) });
  if (result.status !== 'succeeded') return order;
  const refunded: Refund = { ...refund, status: 'refunded', refundId: result.refundId, refundedAt: now.toISOString() };
  if (await deps.orders.markRefunded(order.orderId, refunded)) {
    deps.metrics?.count(BusinessCount.OrdersRefunded);
    return { ...order, payment: { ...order.payment, status: 'refunded' }, refund: refunded };
  }
  return loadOrder(deps.orders, order.orderId);
}

/** The audit entries of an order's refund, if it has one: recorded, and made (the same entries on every attempt). */
async function auditRefund(audit: AuditLog, order: Order): Promise<void> {
  if (!order.refund) return;
  // Identifiers and amounts only: who paid (name, IBAN) stays on the order, out of the audit trail.
  const { payer: _payer, ...refund } = order.refund;
  await audit.record({
    orderId: order.orderId,
    event: 'refund-required',
    at: new Date(order.refund.recordedAt),
    detail: { ...refund, status: 'required' },
  });
  if (refund.status === 'refunded') {
    await audit.record({
      orderId: order.orderId,
      event: 'refunded',
      at: new Date(refund.refundedAt ?? refund.recordedAt),
      detail: { ...refund },
    });
  }
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
 *    nothing to wait for: PaymentAlreadyReceivedError sends the workflow on to activation; one its
 *    storefront cancelled meanwhile neither: OrderCancelledError sends it to CancelOrder;
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
  const instructions = paymentInstructionsOf(order, now);
  if (instructions) {
    // The instructions are the order's confirmation too: they summarise what was ordered.
    await sendOnce(deps.orders, orderId, 'paymentInstructionsSentAt', now, () =>
      deps.notifier.paymentInstructions(instructions),
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
  // Cancelled before its wait began (or between two attempts of it): the workflow goes to CancelOrder.
  if (order.status === 'cancelled') {
    throw new OrderCancelledError(`Order ${order.orderId} was cancelled: there is nothing to wait for.`);
  }
  if (!orderLifecycle.canMove(order.status, 'await_payment')) {
    throw new ProvisioningImpossibleError(`Order ${order.orderId} is no longer waiting for a payment.`);
  }
}
