import { ConflictError, NotFoundError } from '../domain/errors.ts';
import { isMailboxOf } from '../domain/mailbox.ts';
import type { MailboxRepository, OrderRepository, WorkflowCallbacks } from './ports.ts';

export interface DnsCheckDeps {
  mailboxes: Pick<MailboxRepository, 'get'>;
  orders: Pick<OrderRepository, 'requestDnsCheck'>;
  callbacks: Pick<WorkflowCallbacks, 'succeed'>;
}

/**
 * `POST /mailboxes/{address}/dns-check`: the holder says the MX records are set, so the waiting
 * workflow checks the domain now instead of at its next poll.
 * 1. the mailbox must be this storefront's (another storefront's is not found, as a missing one),
 *    on the holder's own domain and `activating`: else `409 not_waiting_for_dns`;
 * 2. the check is recorded on the order, which answers the token of the wait in progress;
 * 3. that wait is ended (SendTaskSuccess), and the workflow checks the domain at once.
 * Safe to repeat and to race: a check asked for while a check runs is seen by that check's wait,
 * which then checks again instead of waiting; a token already used (a wait ended by a timeout or by
 * another request) is a check under way already.
 */
export async function requestDnsCheck(
  deps: DnsCheckDeps,
  input: { address: string; storefrontId: string },
): Promise<void> {
  const { address, storefrontId } = input;
  const mailbox = await deps.mailboxes.get(address);
  if (!isMailboxOf(mailbox, storefrontId) || mailbox.status === 'reserved')
    throw new NotFoundError(`Mailbox ${address}`, 'mailbox_not_found');
  const notWaiting = () =>
    new ConflictError(
      'not_waiting_for_dns',
      `The mailbox ${address} is not waiting for the MX records of its domain (it is ${mailbox.status}).`,
    );
  if (!mailbox.domainPec || mailbox.status !== 'activating') throw notWaiting();

  const wait = await deps.orders.requestDnsCheck(mailbox.orderId);
  if (!wait) throw notWaiting();
  if (wait.taskToken) await deps.callbacks.succeed(wait.taskToken, { dnsCheckRequested: true });
}
