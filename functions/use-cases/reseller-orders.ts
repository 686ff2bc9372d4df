import {
  AddressUnavailableError,
  AutoRenewActiveError,
  ConflictError,
  InsufficientCreditError,
  NotFoundError,
} from '../domain/errors.ts';
import { isMailboxOf, manualRenewalRefusal } from '../domain/mailbox.ts';
import type { Order } from '../domain/order.ts';
import { toPublicOrder } from '../domain/order.ts';
import { expectedDocuments } from '../domain/order-documents.ts';
import { PREPAID_CREDIT } from '../domain/payment-methods.ts';
import { creditBackOf, creditPaidOrder, debitOf, type Reseller } from '../domain/reseller-credit.ts';
import type { PublicOrder, ResellerOrderRequest, ResellerRenewalRequest } from '../domain/schemas.ts';
import { withDocuments } from './order-documents.ts';
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
  MailPlatform,
  OrderRepository,
  ResellerDomainRepository,
  ResellerNotifier,
  ResellerRepository,
  UploadedDocuments,
  UploadForms,
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

/** What a reseller's new mailbox needs besides: its documents' upload forms, and the platform's password credential. */
export interface ResellerOrderDeps {
  /** The reseller's certified domains, for a mailbox on its own domain. */
  domains: Pick<ResellerDomainRepository, 'get'>;
  uploads: UploadForms;
  documents: UploadedDocuments;
  platform: Pick<MailPlatform, 'credentialOf'>;
}

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

type Answer = { order: PublicOrder; replayed: boolean };
/** The answer, and the order as stored (whose documents the answer shows). */
type Placed = Answer & { stored: Order };
const answerOf = ({ order, replayed }: Placed): Answer => ({ order, replayed });

/**
 * A reseller's new mailbox:
 * 1. names the order (an Idempotency-Key replay finds the first one);
 * 2. on the reseller's own domain (`domainPec`), only a domain it has certified (`409 domain_not_certified`
 *    naming `mailbox.address`); the mailbox shares the domain's certification, so it activates at
 *    once, without the DNS wait of a holder's own domain;
 * 3. an initial password chosen by the reseller (already checked by the password policy) becomes the
 *    mail platform's credential at once: the plain password goes no further than this function (not
 *    in the order, not in the workflow's input or history, not in the Idempotency-Key fingerprint);
 * 4. in one transaction: the order stored paid (`credit`, the reseller's price list) with where its
 *    documents go (and the credential beside it), its debit, the balance lowered (never below zero:
 *    else `402 insufficient_credit`), the address reserved;
 * 5. starts the workflow, which activates the mailbox without waiting for a payment (nor for the
 *    documents); answers the order with an upload form for each document.
 */
export async function placeResellerOrder(
  deps: ResellerIntakeDeps & ResellerOrderDeps,
  reseller: Reseller,
  request: ResellerOrderRequest,
  context: IntakeContext,
): Promise<Answer> {
  const { initialPassword, ...rest } = request;
  // Whether a password was chosen is part of the request; the password itself is not (a hash of it
  // kept with the order would be a fast, unsalted hash of the holder's password). A replay that
  // chose another password finds the first order, and the first password.
  const requestHash = fingerprint({ ...rest, initialPassword: initialPassword !== undefined });
  const orderId = intakeOrderId(context);
  const replayed = await replayOf(deps, orderId, requestHash, context);
  const forms = { uploads: deps.uploads, now: context.now };
  if (replayed) {
    const order = await withDocuments({ documents: deps.documents, forms }, replayed.stored, replayed.order);
    return { order, replayed: true };
  }
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
  const withExtras: Order = {
    ...order,
    documents: expectedDocuments(orderId, request.documents),
    ...(initialPassword !== undefined ? { initialPasswordByReseller: true } : {}),
  };
  const credential = initialPassword === undefined ? undefined : await deps.platform.credentialOf(initialPassword);
  // Its renewals, automatic ones included, are debited from the reseller's credit like this order.
  const reservation = {
    ...reservationOf(request, orderId, context, ACTIVATION_MARGIN_SECONDS),
    renewsFromCredit: true as const,
  };
  const placed = await placeDebited(deps, reseller, withExtras, requestHash, context, reservation, credential);
  // Debited: nothing from here may fail the answer (a client without Idempotency-Key would order
  // again). A new order's documents cannot have arrived yet, so S3 is not asked; signing the forms
  // is a local computation.
  const nothingYet = { received: async () => false };
  return {
    order: await withDocuments(
      { documents: placed.replayed ? deps.documents : nothingYet, forms },
      placed.stored,
      placed.order,
    ),
    replayed: placed.replayed,
  };
}

/** A reseller's renewal of one of its mailboxes: the renewal order and its debit in one transaction. */
export async function placeResellerRenewal(
  deps: ResellerIntakeDeps,
  reseller: Reseller,
  address: string,
  request: ResellerRenewalRequest,
  context: IntakeContext,
): Promise<Answer> {
  const requestHash = fingerprint({ address, ...request });
  const orderId = intakeOrderId(context);
  const replayed = await replayOf(deps, orderId, requestHash, context);
  if (replayed) return answerOf(replayed);

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
  return answerOf(await placeDebited(deps, reseller, order, requestHash, context));
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
async function replayDebited(
  deps: ResellerIntakeDeps,
  existing: Order,
  requestHash: string,
  now: Date,
): Promise<Placed> {
  const replayed = await replay(deps, existing, requestHash, now);
  if (existing.status === 'activating') await ensureWorkflow(deps, existing, now);
  return { ...replayed, stored: existing };
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
  initialPasswordCredential?: string,
): Promise<Placed> {
  const { now } = context;
  const placed = await deps.resellers.placeDebitedOrder({
    resellerId: reseller.resellerId,
    order,
    debit: debitOf(order, now),
    ...(reservation ? { reservation: { mailbox: reservation, now } } : {}),
    ...(initialPasswordCredential ? { initialPasswordCredential } : {}),
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
  return { order: toPublicOrder(order), replayed: false, stored: order };
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
