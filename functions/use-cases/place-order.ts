import { splitAddress } from '../domain/address.ts';
import { AddressUnavailableError, ValidationError } from '../domain/errors.ts';
import type { Mailbox } from '../domain/mailbox.ts';
import { pendingOrder, toPublicOrder } from '../domain/order.ts';
import { isImmediatePayment } from '../domain/payment-methods.ts';
import type { CreateOrderRequest, PublicOrder } from '../domain/schemas.ts';
import { BusinessCount, type BusinessMetrics } from './business-metrics.ts';
import { fingerprint, type IntakeContext, intakeOrderId, replay, startWorkflow } from './order-intake.ts';
import type { DnsResolver, MailboxRepository, OrderRepository, WorkflowStarter } from './ports.ts';

export interface PlaceOrderDeps {
  orders: OrderRepository;
  mailboxes: MailboxRepository;
  workflow: WorkflowStarter;
  /** Asked whether the holder's domain exists, for PEC on the holder's own domain. */
  dns: Pick<DnsResolver, 'existence'>;
  /** How long a bank transfer or postal slip order waits for its credit. */
  paymentWaitSeconds: number;
  /** Where placed orders are counted (absent: nothing is). */
  metrics?: BusinessMetrics;
}

export type PlaceOrderContext = IntakeContext;

/** After the workflow's own bound, an unfinished order stops holding its address, whatever happened to it. */
export const ACTIVATION_MARGIN_SECONDS = 24 * 3600;

/**
 * Takes a storefront's order:
 * 1. names the order: from the Idempotency-Key when there is one, so a replay finds the first order;
 * 2. for PEC on the holder's own domain, refuses a domain DNS says does not exist (before any payment);
 * 3. reserves the address with one conditional write (exactly one of any concurrent orders gets it);
 * 4. stores the order, `pending_payment`, with its totals and RF payment reference;
 * 5. starts the order's workflow, named after the order.
 * Every step is safe to repeat, so a retried request completes what a failed one left half done;
 * a replay of an order still waiting for its payment restarts its workflow if that one ended.
 */
export async function placeOrder(
  deps: PlaceOrderDeps,
  request: CreateOrderRequest,
  context: PlaceOrderContext,
): Promise<{ order: PublicOrder; replayed: boolean }> {
  const requestHash = fingerprint(request);
  const orderId = intakeOrderId(context);

  if (context.idempotencyKey) {
    const existing = await deps.orders.get(orderId);
    if (existing) return replay(deps, existing, requestHash, context.now);
  }

  if (request.mailbox.domainPec) await assertDomainExists(deps.dns, request.mailbox.address);

  const immediate = isImmediatePayment(request.payment.method);
  const holdSeconds = (immediate ? 0 : deps.paymentWaitSeconds) + ACTIVATION_MARGIN_SECONDS;
  const { address, type, domainPec } = request.mailbox;
  const reserved = await deps.mailboxes.reserve(reservationOf(request, orderId, context, holdSeconds), context.now);
  if (!reserved) throw new AddressUnavailableError(address);

  const order = pendingOrder({
    orderId,
    storefrontId: context.storefrontId,
    kind: 'new',
    mailbox: { address, type, domainPec },
    years: request.years,
    payment: request.payment,
    holder: request.holder,
    billing: request.billing,
    termsVersion: request.consents.termsVersion,
    requestHash,
    now: context.now,
    paymentWaitSeconds: deps.paymentWaitSeconds,
  });

  if ((await deps.orders.create(order)) === 'exists') {
    // A concurrent request with the same Idempotency-Key stored it first. If that one was for
    // another address, the address this request just reserved is not ours to keep.
    const existing = await deps.orders.get(orderId);
    if (existing) {
      if (existing.mailbox.address !== address) await deps.mailboxes.release(address, orderId);
      return replay(deps, existing, requestHash, context.now);
    }
  }

  await startWorkflow(deps, order, context.now, () => deps.mailboxes.release(address, orderId));
  deps.metrics?.count(BusinessCount.OrdersPlaced);
  return { order: toPublicOrder(order), replayed: false };
}

/** The reservation of a new order's address: held for the order until `holdSeconds` from now. */
export function reservationOf(
  request: Pick<CreateOrderRequest, 'mailbox' | 'holder'>,
  orderId: string,
  context: PlaceOrderContext,
  holdSeconds: number,
): Mailbox {
  const { address, type, domainPec } = request.mailbox;
  return {
    address,
    status: 'reserved',
    storefrontId: context.storefrontId,
    orderId,
    orderedAt: context.now.toISOString(),
    holdUntil: new Date(context.now.getTime() + holdSeconds * 1000).toISOString(),
    type,
    domainPec,
    holderEmail: request.holder.email,
    autoRenew: false,
    passwordSet: false,
  };
}

/**
 * A domain that does not exist in DNS (NXDOMAIN) can never point its MX records at the provider: the
 * order is refused before it is paid. Only that answer refuses it: when DNS cannot be asked (SERVFAIL,
 * a timeout) the order goes on, since a valid customer must not be turned away by a resolver's
 * trouble; a domain that truly does not exist then fails at the DNS deadline, its payment refunded.
 */
export async function assertDomainExists(dns: PlaceOrderDeps['dns'], address: string): Promise<void> {
  const { domain } = splitAddress(address);
  if ((await dns.existence(domain)) !== 'missing') return;
  throw new ValidationError([
    {
      path: 'mailbox.address',
      message:
        `The domain "${domain}" does not exist in DNS: PEC on your own domain needs a registered domain ` +
        '(check its spelling, or register it first).',
    },
  ]);
}
