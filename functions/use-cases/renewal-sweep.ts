import type { Mailbox } from '../domain/mailbox.ts';
import { reminderKey, sweepAction, sweepMonths } from '../domain/renewal-policy.ts';
import type { AuditLog, MailboxRepository, MailPlatform, Notifier, OrderRepository, WorkflowStarter } from './ports.ts';
import { placeAutoRenewal } from './renewals.ts';

export interface SweepDeps {
  mailboxes: Pick<MailboxRepository, 'byExpiryMonth' | 'markReminded' | 'suspend' | 'markDeleted'>;
  orders: OrderRepository;
  workflow: WorkflowStarter;
  platform: Pick<MailPlatform, 'setReceiveOnly' | 'deleteMailbox'>;
  notifier: Pick<Notifier, 'expiryReminder'>;
  audit: AuditLog;
  paymentWaitSeconds: number;
}

export interface SweepResult {
  reminders: number;
  autoRenewals: number;
  suspended: number;
  deleted: number;
  /** The automatic renewal orders this sweep started (their workflows run on after it). */
  startedOrders: string[];
}

const DAY_MS = 24 * 3600 * 1000;
const PARALLEL = 8;

/**
 * The scheduled renewal sweep, as of `at`: every mailbox in the expiry index from two years back to
 * three months ahead gets what the renewal policy says (reminder, automatic renewal, suspension,
 * deletion). Every action is a conditional write first, so two sweeps never do the same thing twice.
 */
export async function runRenewalSweep(deps: SweepDeps, at: Date): Promise<SweepResult> {
  const result: SweepResult = { reminders: 0, autoRenewals: 0, suspended: 0, deleted: 0, startedOrders: [] };
  const failures: { address: string; error: unknown }[] = [];
  for (const month of sweepMonths(at)) {
    const mailboxes = await deps.mailboxes.byExpiryMonth(month);
    for (let i = 0; i < mailboxes.length; i += PARALLEL) {
      await Promise.all(
        mailboxes
          .slice(i, i + PARALLEL)
          .map((mailbox) =>
            sweepOne(deps, mailbox, at, result).catch((error: unknown) =>
              failures.push({ address: mailbox.address, error }),
            ),
          ),
      );
    }
  }
  // One mailbox's trouble does not stop the others; the sweep then fails as a whole, so the schedule
  // retries it, and what was done already is skipped by its conditions.
  if (failures.length > 0) {
    throw new AggregateError(
      failures.map((failure) => failure.error),
      `The renewal sweep failed for ${failures.length} mailbox(es): ${failures.map((f) => f.address).join(', ')}`,
    );
  }
  return result;
}

async function sweepOne(deps: SweepDeps, mailbox: Mailbox, at: Date, result: SweepResult): Promise<void> {
  const action = sweepAction(mailbox, at);
  const { address, expiresAt } = mailbox;
  if (action.kind === 'none' || !expiresAt) return;
  const audit = (event: string, detail?: Record<string, unknown>) =>
    // One entry per event and expiry: a repeated sweep rewrites it, a later expiry gets its own.
    deps.audit.record({
      orderId: mailbox.orderId,
      event,
      ref: expiresAt,
      at,
      detail: { address, expiresAt, ...detail },
    });

  if (action.kind === 'remind') {
    if (!(await deps.mailboxes.markReminded(address, reminderKey(expiresAt, action.stage)))) return;
    const daysLeft = Math.ceil((Date.parse(expiresAt) - at.getTime()) / DAY_MS);
    await deps.notifier.expiryReminder({ to: mailbox.holderEmail, address, expiresAt, daysLeft });
    result.reminders++;
  } else if (action.kind === 'auto-renew') {
    const { orderId, created } = await placeAutoRenewal(deps, mailbox, at);
    if (created) {
      result.autoRenewals++;
      result.startedOrders.push(orderId);
      await audit('auto-renewal-started', { renewalOrderId: orderId });
    }
  } else if (action.kind === 'suspend') {
    // The platform first: a mailbox shown suspended is receive-only for sure.
    await deps.platform.setReceiveOnly(address, true);
    if (await deps.mailboxes.suspend(address, expiresAt)) {
      result.suspended++;
      await audit('mailbox-suspended');
    }
  } else {
    await deps.platform.deleteMailbox(address);
    if (await deps.mailboxes.markDeleted(address, expiresAt)) {
      result.deleted++;
      await audit('mailbox-deleted');
    }
  }
}
