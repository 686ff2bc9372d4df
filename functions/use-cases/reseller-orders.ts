import {
  AddressUnavailableError,
  AutoRenewActiveError,
  ConflictError,
  InsufficientCreditError,
  NotFoundError,
} from '../domain/errors.ts';
import { isMailboxOf, manualRenewalRefusal } from '../domain/mailbox.ts';
import { type Order, toPublicOrder } from '../domain/order.ts';
import { PREPAID_CREDIT } from '../domain/payment-methods.ts';
import { creditBackOf, creditPaidOrder, debitOf, type Reseller } from '../domain/reseller-credit.ts';
import type { PublicOrder, ResellerOrderRequest, ResellerRenewalRequest } from '../domain/schemas.ts';
import {
  ensureWorkflow,
  fingerprint,
  type IntakeContext,
  intakeOrderId,
  replay,
  startWorkflow,
} from './order-intake.ts';
import { ACTIVATION_MARGIN_SECONDS, reservationOf } from './place-order.ts';
import type {
  MailboxRepository,
  OrderRepository,
  ResellerDomainRepository,
  ResellerNotifier,
  ResellerRepository,
  WorkflowStarter,
} from './ports.ts';
import { assertCertifiedDomain } from './reseller-domains.ts';

/*
 * Orders and renewals of a reseller, paid from its prepaid credit as they are placed. The order, its
 * debit (with the balance, never below zero) and, for a new mailbox, the address reservation are one
 * DynamoDB transaction: when the credit is short nothing at all is written (402, the address still
 * free), and when the address is taken nothing is debited. A reserve → debit → release sequence would
 * leave the address held (until its hold ran out) if the process stopped between the steps; one
 * transaction has no in-between.
 */

export interface ResellerIntakeDeps {
  orders: Pick<OrderRepository, 'get' | 'close'>;
  mailboxes: Pick<MailboxRepository, 'get' | 'release'>;
  resellers: Pick<
    ResellerRepository,
    | 'get'
    | 'placeDebitedOrder'
    | 'creditBack'
    | 'rearmLowBalanceNotice'
    | 'claimLowBalanceNotice'
    | 'releaseLowBalanceNotice'
  >;
  workflow: WorkflowStarter;
  paymentWaitSeconds: number;
  /** Tells the reseller when a debit takes its balance below its threshold. */
  resellerNotifier: Pick<ResellerNotifier, 'lowBalance'>;
}

type Placed = { order: PublicOrder; replayed: boolean };

/**
 * A reseller's new mailbox:
 * 1. names the order (an Idempotency-Key replay finds the first one);
 * 2. on the reseller's own domain (`domainPec`), only a domain it has certified (`409 domain_not_certified`
 *    naming `mailbox.address`); the mailbox shares the domain's certification, so it activates at
 *    once, without the DNS wait of a holder's own domain;
 * 3. in one transaction: the order stored paid (`credit`, the reseller's price list), its debit,
 *    the balance lowered (never below zero: else `402 insufficient_credit`), the address reserved;
 * 4. starts the workflow, which activates the mailbox without waiting for a payment.
 */
export async function placeResellerOrder(
  /** `domains`: the reseller's certified domains, for a mailbox on its own domain. */
  deps: ResellerIntakeDeps & { domains: Pick<ResellerDomainRepository, 'get'> },
  reseller: Reseller,
  request: ResellerOrderRequest,
  context: IntakeContext,
): Promise<Placed> {
  const requestHash = fingerprint(request);
  const orderId = intakeOrderId(context);
  const replayed = await replayOf(deps, orderId, requestHash, context);
  if (replayed) return replayed;
  const { address, type, domainPec } = request.mailbox;
  if (domainPec) await assertCertifiedDomain(deps.domains, reseller.resellerId, address);

  const order = creditPaidOrder(
    {
      orderId,
      storefrontId: context.storefrontId,
      kind: 'new',
      // On a certified domain the MX records were checked when it was certified: no DNS wait.
      mailbox: { address, type, domainPec: false },
      years: request.years,
      holder: request.holder,
      billing: request.billing,
      termsVersion: request.consents.termsVersion,
      requestHash,
      now: context.now,
      paymentWaitSeconds: deps.paymentWaitSeconds,
    },
    reseller.priceList,
  );
  // Its renewals, automatic ones included, are debited from the reseller's credit like this order.
  const reservation = {
    ...reservationOf(request, orderId, context, ACTIVATION_MARGIN_SECONDS),
    renewsFromCredit: true as const,
  };
  return placeDebited(deps, reseller, order, requestHash, context, reservation);
}

/** A reseller's renewal of one of its mailboxes: the renewal order and its debit in one transaction. */
export async function placeResellerRenewal(
  deps: ResellerIntakeDeps,
  reseller: Reseller,
  address: string,
  request: ResellerRenewalRequest,
  context: IntakeContext,
): Promise<Placed> {
  const requestHash = fingerprint({ address, ...request });
  const orderId = intakeOrderId(context);
  const replayed = await replayOf(deps, orderId, requestHash, context);
  if (replayed) return replayed;

  const found = await deps.mailboxes.get(address);
  const mailbox = isMailboxOf(found, context.storefrontId) ? found : undefined;
  const refusal = manualRenewalRefusal(mailbox);
  if (refusal === 'not_found' || !mailbox) throw new NotFoundError(`Mailbox ${address}`, 'mailbox_not_found');
  if (refusal === 'auto_renew_active') throw new AutoRenewActiveError(address);
  if (refusal === 'not_renewable') {
    throw new ConflictError('mailbox_not_renewable', `The mailbox ${address} is still being activated.`);
  }
  const order = creditPaidOrder(
    {
      orderId,
      storefrontId: context.storefrontId,
      kind: 'renewal',
      mailbox: { address, type: mailbox.type, domainPec: mailbox.domainPec },
      years: request.years,
      holder: { email: mailbox.holderEmail },
      billing: {},
      requestHash,
      now: context.now,
      paymentWaitSeconds: deps.paymentWaitSeconds,
    },
    reseller.priceList,
  );
  return placeDebited(deps, reseller, order, requestHash, context);
}

/** The stored order of a replayed Idempotency-Key (its workflow made sure of while it activates), if any. */
async function replayOf(
  deps: ResellerIntakeDeps,
  orderId: string,
  requestHash: string,
  context: IntakeContext,
): Promise<Placed | undefined> {
  if (!context.idempotencyKey) return undefined;
  const existing = await deps.orders.get(orderId);
  return existing ? replayDebited(deps, existing, requestHash, context.now) : undefined;
}

/**
 * A reseller's order is paid as it is stored, so it never waits for a payment: a replay makes sure
 * its workflow runs while it activates (the request that stored it may have stopped before starting it).
 */
async function replayDebited(deps: ResellerIntakeDeps, existing: Order, requestHash: string, now: Date) {
  const replayed = await replay(deps, existing, requestHash, now);
  if (existing.status === 'activating') await ensureWorkflow(deps, existing, now);
  return replayed;
}

/**
 * Places an order paid from credit (the order, its debit and the balance in one transaction, see
 * `ResellerRepository.placeDebitedOrder`), starts its workflow and tells the reseller of a low balance.
 * The order's id is its key: placing it again debits nothing and answers it `replayed`.
 *
 * @throws {InsufficientCreditError} when the credit does not cover it (nothing written).
 */
export async function placeDebited(
  deps: ResellerIntakeDeps,
  reseller: Reseller,
  order: Order,
  requestHash: string,
  context: Pick<IntakeContext, 'now'>,
  reservation?: ReturnType<typeof reservationOf>,
): Promise<Placed> {
  const { now } = context;
  const placed = await deps.resellers.placeDebitedOrder({
    resellerId: reseller.resellerId,
    order,
    debit: debitOf(order, now),
    ...(reservation ? { reservation: { mailbox: reservation, now } } : {}),
  });
  if (placed === 'order_exists') {
    // A concurrent request with the same Idempotency-Key placed it first.
    const existing = await deps.orders.get(order.orderId);
    if (!existing) throw new Error(`Order ${order.orderId} was placed but cannot be read.`);
    return replayDebited(deps, existing, requestHash, now);
  }
  if (placed === 'address_unavailable') throw new AddressUnavailableError(order.mailbox.address);
  if (placed === 'insufficient_credit') {
    const balance = (await deps.resellers.get(reseller.resellerId))?.balanceCents ?? 0;
    throw new InsufficientCreditError(order.totals.netCents, balance);
  }
  if (placed === 'no_reseller') throw new Error(`Reseller ${reseller.resellerId} has no credit account.`);

  await startWorkflow(deps, order, now, async () => {
    // Closed as failed by startWorkflow: its debit goes back, its address is freed.
    await creditBackOrder(deps, { ...order, status: 'failed' }, now);
    if (reservation) await deps.mailboxes.release(order.mailbox.address, order.orderId);
  });
  await noticeLowBalance(deps, reseller.resellerId, now);
  return { order: toPublicOrder(order), replayed: false };
}

/**
 * After a debit: when the balance is now below the reseller's threshold, the low-balance email of
 * this crossing goes out, once (claimed on the reseller item; the claim is given back if the email
 * cannot be sent, so the next debit tries again). The order is placed whatever happens here: an
 * email must not turn a debited order into an error that a client without Idempotency-Key retries.
 */
async function noticeLowBalance(deps: ResellerIntakeDeps, resellerId: string, now: Date): Promise<void> {
  let claimed = false;
  try {
    claimed = await deps.resellers.claimLowBalanceNotice(resellerId, now);
    if (!claimed) return;
    const reseller = await deps.resellers.get(resellerId);
    if (!reseller) return;
    await deps.resellerNotifier.lowBalance({
      to: reseller.email,
      name: reseller.name,
      balanceCents: reseller.balanceCents,
      thresholdCents: reseller.lowBalanceThresholdCents,
    });
  } catch {
    if (claimed) await deps.resellers.releaseLowBalanceNotice(resellerId, now).catch(() => undefined);
  }
}

/**
 * Gives a closed order paid from credit its debit back, exactly once however often it is asked
 * (the movement is keyed by the order). Answers the order as it now is (payment `refunded`).
 */
export async function creditBackOrder(
  deps: {
    orders: Pick<OrderRepository, 'get'>;
    resellers: Pick<ResellerRepository, 'creditBack' | 'rearmLowBalanceNotice'>;
  },
  order: Order,
  now: Date,
): Promise<Order> {
  if (order.payment.method !== PREPAID_CREDIT || order.payment.status !== 'paid') return order;
  await deps.resellers.creditBack(order.storefrontId, order, creditBackOf(order, now));
  // Back at or above its threshold, the reseller is told again at the next crossing.
  await deps.resellers.rearmLowBalanceNotice(order.storefrontId);
  return (await deps.orders.get(order.orderId)) ?? order;
}
