import { createHash, randomBytes } from 'node:crypto';
import { planFor } from '../domain/catalog.ts';
import { mxPointsAtProvider } from '../domain/domain-dns.ts';
import {
  DomainNotConfiguredError,
  ErrorName,
  PaymentDeclinedError,
  ProvisioningImpossibleError,
} from '../domain/errors.ts';
import { addYears, renewedExpiry } from '../domain/mailbox.ts';
import { isImmediatePayment, type Order } from '../domain/order.ts';
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
 * step may run more than once (Step Functions retries, a Lambda retried after a timeout): each one
 * first looks at where the order is and does only what is still missing.
 */

export interface FulfilmentDeps {
  orders: OrderRepository;
  mailboxes: MailboxRepository;
  gateway: PaymentGateway;
  platform: MailPlatform;
  tokens: AccessTokenRepository;
  notifier: Notifier;
  audit: AuditLog;
  documents: DocumentStore;
  dns: DnsResolver;
}

async function loadOrder(orders: OrderRepository, orderId: string): Promise<Order> {
  const order = await orders.get(orderId);
  if (!order) throw new ProvisioningImpossibleError(`Order ${orderId} does not exist.`);
  return order;
}

/** Charges a card or PayPal order once (the gateway's idempotency key is the order id) and marks it paid. */
export async function chargePayment(
  deps: Pick<FulfilmentDeps, 'orders' | 'gateway' | 'audit'>,
  orderId: string,
  now: Date,
): Promise<void> {
  const order = await loadOrder(deps.orders, orderId);
  if (order.payment.status === 'paid') return;
  if (order.status !== 'pending_payment' || !order.payment.token) {
    throw new ProvisioningImpossibleError(`Order ${orderId} cannot be charged in status ${order.status}.`);
  }
  const result = await deps.gateway.charge({
    idempotencyKey: `order-${orderId}`,
    amountCents: order.totals.grossCents,
    currency: 'EUR',
    method: order.payment.method,
    token: order.payment.token,
    description: `PEC ${order.mailbox.address} (${order.years} anni)`,
  });
  if (result.status === 'declined') {
    await deps.audit.record({ orderId, event: 'payment-declined', at: now, detail: { reason: result.reason } });
    throw new PaymentDeclinedError(`The payment was declined: ${result.reason}.`);
  }
  await deps.orders.markPaid(orderId, now, result.chargeId);
  await deps.audit.record({ orderId, event: 'payment-charged', at: now, detail: { chargeId: result.chargeId } });
}

/** Creates the mailbox on the mail platform and turns the address reservation into an active mailbox. */
export async function provisionMailbox(
  deps: Pick<FulfilmentDeps, 'orders' | 'mailboxes' | 'platform' | 'audit'>,
  orderId: string,
  now: Date,
): Promise<void> {
  const order = await loadOrder(deps.orders, orderId);
  const { address, type } = order.mailbox;
  const current = await deps.mailboxes.get(address);
  if (current?.orderId === orderId && current.status === 'active') return;
  if (order.status !== 'activating') {
    throw new ProvisioningImpossibleError(`Order ${orderId} is ${order.status}, not paid.`);
  }
  if (current?.orderId !== orderId) {
    throw new ProvisioningImpossibleError(`The address ${address} is no longer held by order ${orderId}.`);
  }
  const plan = planFor(type);
  await deps.platform.createMailbox({ address, mailboxGb: plan.mailboxGb, archiveGb: plan.archiveGb });
  const immediate = isImmediatePayment(order.payment.method);
  const activated = await deps.mailboxes.activate(address, orderId, {
    activatedAt: now.toISOString(),
    expiresAt: addYears(now, order.years).toISOString(),
    // A card or PayPal holder renews automatically by default; a transfer has nothing to charge.
    autoRenew: immediate && order.payment.token !== undefined,
    ...(immediate && order.payment.token
      ? { renewalPayment: { method: order.payment.method, token: order.payment.token } }
      : {}),
  });
  if (!activated)
    throw new ProvisioningImpossibleError(`The address ${address} is no longer held by order ${orderId}.`);
  await deps.audit.record({ orderId, event: 'mailbox-activated', at: now, detail: { address } });
}

/**
 * A paid renewal: the mailbox's expiry moves on by the order's years (from the current expiry, or
 * from now if it has expired), a suspended mailbox runs again, and the holder is told. The mailbox
 * remembers the order, so a retry never adds the years twice.
 */
export async function extendMailbox(
  deps: Pick<FulfilmentDeps, 'orders' | 'mailboxes' | 'platform' | 'notifier' | 'audit'>,
  orderId: string,
  now: Date,
): Promise<void> {
  const order = await loadOrder(deps.orders, orderId);
  const { address } = order.mailbox;
  if (order.status !== 'activating')
    throw new ProvisioningImpossibleError(`Order ${orderId} is ${order.status}, not paid.`);
  const immediate = isImmediatePayment(order.payment.method);
  // Optimistic: a concurrent renewal of the same mailbox changes the expiry, so read it again and retry.
  for (let attempt = 0; attempt < 5; attempt++) {
    const mailbox = await deps.mailboxes.get(address);
    const expiresAt = renewedExpiry(mailbox?.expiresAt, now, order.years).toISOString();
    const result = await deps.mailboxes.extend(address, orderId, {
      previousExpiresAt: mailbox?.expiresAt,
      expiresAt,
      ...(immediate && order.payment.token
        ? { renewalPayment: { method: order.payment.method, token: order.payment.token } }
        : {}),
    });
    if (result === 'applied') return;
    if (result === 'gone') throw new ProvisioningImpossibleError(`The mailbox ${address} can no longer be renewed.`);
    if (result === 'extended') {
      // A suspended mailbox was receive-only: it sends again.
      if (mailbox?.status === 'suspended') await deps.platform.setReceiveOnly(address, false);
      await deps.audit.record({ orderId, event: 'mailbox-renewed', at: now, detail: { address, expiresAt } });
      await deps.notifier.renewalConfirmed({ to: order.holder.email, address, orderId, expiresAt });
      return;
    }
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
  if (order.status !== 'activating')
    throw new ProvisioningImpossibleError(`Order ${orderId} is ${order.status}, not paid.`);
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
    await deps.notifier.domainDnsInstructions({
      to: order.holder.email,
      address,
      domain,
      mxHosts: settings.providerMxHosts,
      deadline: deadline.toISOString(),
    });
    await deps.orders.markSent(orderId, 'dnsInstructionsSentAt', now);
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
  await deps.orders.markSent(orderId, 'firstAccessEmailSentAt', now);
}

/** The SHA-256 under which a first-access token is stored and looked up. */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Marks the order completed and files it as the contract record of the sale. */
export async function completeOrder(
  deps: Pick<FulfilmentDeps, 'orders' | 'audit' | 'documents'>,
  orderId: string,
  now: Date,
): Promise<void> {
  if (await deps.orders.markCompleted(orderId, now)) {
    await deps.audit.record({ orderId, event: 'order-completed', at: now });
  }
  // Also on a retry after the order was marked: the document may be what failed the first time.
  const order = await loadOrder(deps.orders, orderId);
  if (order.status === 'completed') await deps.documents.putOrderDocument(order);
}

export type CloseOutcome = 'failed' | 'cancelled';

/**
 * Ends an order that will not be fulfilled: marks it failed or cancelled, frees its address and
 * tells the holder. `reason` is the workflow error name (an `ErrorName`, or e.g. States.Timeout).
 */
export async function closeOrder(
  deps: Pick<FulfilmentDeps, 'orders' | 'mailboxes' | 'notifier' | 'audit'>,
  orderId: string,
  outcome: CloseOutcome,
  reason: string,
  now: Date,
): Promise<void> {
  const paymentDeclined = reason === ErrorName.PaymentDeclinedError || reason === ErrorName.PaymentFailed;
  const closed = await deps.orders.close(orderId, outcome, reason, paymentDeclined);
  const order = closed ?? (await deps.orders.get(orderId));
  if (!order || order.status === 'completed') return;
  await deps.mailboxes.release(order.mailbox.address, orderId);
  if (!closed) return; // closed by an earlier attempt of this step, which told the holder
  const { address } = order.mailbox;
  const to = order.holder.email;
  const kind = order.kind;
  if (outcome === 'cancelled') await deps.notifier.orderCancelled({ to, address, orderId, kind });
  else await deps.notifier.orderFailed({ to, address, orderId, kind, paymentDeclined });
  await deps.audit.record({ orderId, event: `order-${outcome}`, at: now, detail: { reason } });
  if (order.payment.status === 'paid') {
    // Paid but not provisioned: the money must go back. Refunds are an operator task for now.
    await deps.audit.record({ orderId, event: 'refund-required', at: now, detail: { chargeId: order.chargeId } });
  }
}

/**
 * The wait for a bank transfer or postal slip: keeps the workflow's task token on the order (it never
 * leaves the server) and emails the payment instructions once.
 */
export async function awaitPayment(
  deps: Pick<FulfilmentDeps, 'orders' | 'notifier'>,
  orderId: string,
  taskToken: string,
  now: Date,
): Promise<void> {
  if (!(await deps.orders.saveTaskToken(orderId, taskToken))) {
    throw new ProvisioningImpossibleError(`Order ${orderId} is no longer waiting for a payment.`);
  }
  const order = await loadOrder(deps.orders, orderId);
  if (order.paymentInstructionsSentAt) return;
  const method = order.payment.method;
  if (method !== 'bank_transfer' && method !== 'postal_slip') return;
  await deps.notifier.paymentInstructions({
    to: order.holder.email,
    orderId,
    address: order.mailbox.address,
    method,
    kind: order.kind,
    grossCents: order.totals.grossCents,
    reference: order.payment.reference,
    deadline: order.paymentDeadline ?? now.toISOString(),
  });
  await deps.orders.markSent(orderId, 'paymentInstructionsSentAt', now);
}
