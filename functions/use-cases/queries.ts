import { NotFoundError } from '../domain/errors.ts';
import { isAddressFree, isMailboxOf, toPublicMailbox } from '../domain/mailbox.ts';
import { isOrderOf, toPublicOrder } from '../domain/order.ts';
import type { PublicMailbox, PublicOrder } from '../domain/schemas.ts';
import { withDocuments } from './order-documents.ts';
import type { MailboxRepository, OrderRepository, UploadedDocuments } from './ports.ts';

/** Whether a new order could take the address now, and if not, why. */
export async function checkAvailability(
  mailboxes: Pick<MailboxRepository, 'get'>,
  address: string,
  now: Date,
): Promise<{ address: string; available: boolean; reason?: string }> {
  const mailbox = await mailboxes.get(address);
  if (isAddressFree(mailbox, now)) return { address, available: true };
  return { address, available: false, reason: mailbox?.status === 'reserved' ? 'reserved' : 'taken' };
}

/** A storefront's order; another storefront's is not found, exactly like one that does not exist. */
export async function getOrder(
  orders: Pick<OrderRepository, 'get'>,
  orderId: string,
  storefrontId: string,
  /** Where a reseller's order's documents are looked for (without it, they are not shown). */
  documents?: UploadedDocuments,
): Promise<PublicOrder> {
  const order = await orders.get(orderId);
  if (!isOrderOf(order, storefrontId)) throw new NotFoundError(`Order ${orderId}`, 'order_not_found');
  const view = toPublicOrder(order);
  return documents ? withDocuments({ documents }, order, view) : view;
}

/** A storefront's mailbox; another storefront's is not found, exactly like one that does not exist. */
export async function getMailbox(
  mailboxes: Pick<MailboxRepository, 'get'>,
  address: string,
  storefrontId: string,
): Promise<PublicMailbox> {
  const mailbox = await mailboxes.get(address);
  const view = isMailboxOf(mailbox, storefrontId) ? toPublicMailbox(mailbox) : undefined;
  if (!view) throw new NotFoundError(`Mailbox ${address}`, 'mailbox_not_found');
  return view;
}
