import { createHash } from 'node:crypto';
import { AutoRenewActiveError, ConflictError, NotFoundError } from '../domain/errors.ts';
import {
  autoRenewRefusal,
  isMailboxOf,
  type Mailbox,
  manualRenewalRefusal,
  toPublicMailbox,
} from '../domain/mailbox.ts';
import { type Order, orderIdFromBytes, pendingOrder, toPublicOrder } from '../domain/order.ts';
import {
  choiceRefusal,
  hasExtraGb,
  NO_EXTRA_GB,
  type PlanChoice,
  type PlanRefusal,
  renewalChoice,
  shrinks,
  usageRefusal,
} from '../domain/renewal-plan.ts';
import { type ChargeAttempt, DEFAULT_RENEWAL_YEARS } from '../domain/renewal-policy.ts';
import type { PublicMailbox, PublicOrder, RenewalRequest } from '../domain/schemas.ts';
import {
  fingerprint,
  type IntakeContext,
  intakeOrderId,
  replay,
  resumeWorkflow,
  startWorkflow,
} from './order-intake.ts';
import type { MailboxRepository, MailPlatform, OrderRepository, WorkflowStarter } from './ports.ts';

export interface RenewalDeps {
  orders: OrderRepository;
  mailboxes: Pick<MailboxRepository, 'get'>;
  workflow: WorkflowStarter;
  /** What the mailbox holds, read when a renewal would leave it less room. */
  platform: Pick<MailPlatform, 'usage'>;
  paymentWaitSeconds: number;
}

/**
 * A manual renewal for 1 to 5 years:
 * 1. the mailbox must exist and run (active, or suspended within its grace period), without
 *    automatic renewal (that would charge the card a second time);
 * 2. what it buys for the new period is decided: the plan (the current one, or an upgrade or a
 *    downgrade) and the extra GB (asked for, or the current ones kept); a choice the mailbox cannot
 *    have is refused (409 naming the field), and one that leaves less room than now is checked
 *    against the space in use on the mail platform (a downgrade that does not fit is a 409);
 * 3. a `renewal` order is stored with that plan, its extra GB and their totals, its RF reference,
 *    and the billing identifier asked for or the mailbox's;
 * 4. the order workflow takes it from there: payment, then ExtendMailbox moves the expiry on and
 *    applies the plan and extra GB (type and quota).
 */
export async function placeRenewal(
  deps: RenewalDeps,
  address: string,
  request: RenewalRequest,
  context: IntakeContext,
): Promise<{ order: PublicOrder; replayed: boolean }> {
  const requestHash = fingerprint({ address, ...request });
  const orderId = intakeOrderId(context);
  if (context.idempotencyKey) {
    const existing = await deps.orders.get(orderId);
    if (existing) return replay(deps, existing, requestHash, context.now);
  }

  const found = await deps.mailboxes.get(address);
  // Another storefront's mailbox is not found, exactly like one that does not exist.
  const mailbox = isMailboxOf(found, context.storefrontId) ? found : undefined;
  const refusal = manualRenewalRefusal(mailbox);
  if (refusal === 'not_found' || !mailbox) throw new NotFoundError(`Mailbox ${address}`, 'mailbox_not_found');
  if (refusal === 'auto_renew_active') throw new AutoRenewActiveError(address);
  if (refusal === 'not_renewable') {
    throw new ConflictError('mailbox_not_renewable', `The mailbox ${address} is still being activated.`);
  }

  const choice = renewalChoice(mailbox, request);
  await assertPlanAllowed(deps, mailbox, choice);

  const order = pendingOrder({
    orderId,
    storefrontId: context.storefrontId,
    kind: 'renewal',
    mailbox: { address, type: choice.type, domainPec: mailbox.domainPec },
    years: request.years,
    ...(hasExtraGb(choice.extraGb) ? { extraGb: choice.extraGb } : {}),
    payment: request.payment,
    holder: { email: mailbox.holderEmail },
    billing: request.billing ?? mailbox.billing ?? {},
    requestHash,
    now: context.now,
    paymentWaitSeconds: deps.paymentWaitSeconds,
  });
  if ((await deps.orders.create(order)) === 'exists') {
    const existing = await deps.orders.get(orderId);
    if (existing) return replay(deps, existing, requestHash, context.now);
  }
  await startWorkflow(deps, order, context.now, async () => {});
  return { order: toPublicOrder(order), replayed: false };
}

/** Refuses (409 naming the field) a plan or extra GB the mailbox cannot have, or whose room the space in use exceeds. */
async function assertPlanAllowed(deps: Pick<RenewalDeps, 'platform'>, mailbox: Mailbox, next: PlanChoice) {
  const current = { type: mailbox.type, extraGb: mailbox.extraGb ?? NO_EXTRA_GB };
  const refusal =
    choiceRefusal(mailbox, next) ??
    (shrinks(current, next) ? usageRefusal(current, next, await deps.platform.usage(mailbox.address)) : undefined);
  if (refusal) throw conflictOf(refusal);
}

const conflictOf = ({ code, path, message }: PlanRefusal) => new ConflictError(code, message, [{ path, message }]);

/** Switches automatic renewal; enabling needs the card or PayPal token of an earlier payment. */
export async function setAutoRenew(
  mailboxes: Pick<MailboxRepository, 'get' | 'setAutoRenew'>,
  address: string,
  enabled: boolean,
  storefrontId: string,
): Promise<PublicMailbox> {
  const found = await mailboxes.get(address);
  const refusal = autoRenewRefusal(isMailboxOf(found, storefrontId) ? found : undefined, enabled);
  if (refusal === 'not_found') throw new NotFoundError(`Mailbox ${address}`, 'mailbox_not_found');
  if (refusal === 'no_payment_method') {
    throw new ConflictError(
      'payment_method_required',
      'Automatic renewal needs a card or PayPal payment to charge: renew once by card or PayPal first.',
    );
  }
  const updated = await mailboxes.setAutoRenew(address, enabled, storefrontId);
  const view = updated && toPublicMailbox(updated);
  // The mailbox changed between the read and the write (deleted, for instance): report it as it is now.
  if (!view) throw new NotFoundError(`Mailbox ${address}`, 'mailbox_not_found');
  return view;
}

/**
 * The id of an automatic renewal order: named after (address, expiry, attempt), so however often the
 * sweep runs, one attempt of one term is one order (attempt 1, the charge, keeps the name it had
 * before retries existed).
 */
export function autoRenewalOrderId(address: string, expiresAt: string, attempt: number): string {
  const name = `auto-renew\n${address}\n${expiresAt}${attempt === 1 ? '' : `\n${attempt}`}`;
  return orderIdFromBytes(createHash('sha256').update(name).digest());
}

/**
 * The automatic renewal of a mailbox for its current expiry: a renewal order for the years chosen in
 * the order (`renewalYears`), charged off-session (the holder is away) to the payment method saved with the provider. `attempt` 2 to 4 are the
 * retries after a decline. Answers the order id, and whether this call created it.
 */
export async function placeAutoRenewal(
  deps: Omit<RenewalDeps, 'mailboxes' | 'platform'>,
  mailbox: Mailbox,
  now: Date,
  attempt: ChargeAttempt = 1,
): Promise<{ orderId: string; created: boolean }> {
  if (!mailbox.renewalPayment || !mailbox.expiresAt)
    throw new Error(`${mailbox.address} has nothing to renew automatically`);
  const orderId = autoRenewalOrderId(mailbox.address, mailbox.expiresAt, attempt);
  const order: Order = {
    ...pendingOrder({
      orderId,
      storefrontId: mailbox.storefrontId,
      kind: 'renewal',
      mailbox: { address: mailbox.address, type: mailbox.type, domainPec: mailbox.domainPec },
      years: mailbox.renewalYears ?? DEFAULT_RENEWAL_YEARS,
      // The same plan and extra GB again, invoiced as the mailbox's first order was.
      ...(hasExtraGb(mailbox.extraGb) ? { extraGb: mailbox.extraGb } : {}),
      payment: { ...mailbox.renewalPayment, offSession: true },
      holder: { email: mailbox.holderEmail },
      billing: mailbox.billing ?? {},
      requestHash: fingerprint({ autoRenew: mailbox.address, expiresAt: mailbox.expiresAt, attempt }),
      now,
      paymentWaitSeconds: deps.paymentWaitSeconds,
    }),
    autoRenewal: { expiresAt: mailbox.expiresAt, attempt },
  };
  const created = (await deps.orders.create(order)) === 'created';
  if (created) {
    await startWorkflow(deps, order, now, async () => {});
  } else {
    // A repeated sweep: finishes a start that failed, or restarts a run that ended with the order waiting.
    const existing = await deps.orders.get(orderId);
    if (existing) await resumeWorkflow(deps, existing, now);
  }
  return { orderId, created };
}
