import { ConflictError, ErrorName, NotFoundError } from '../domain/errors.ts';
import {
  CANCELLED_BY_STOREFRONT,
  isCancellableByStorefront,
  isOrderOf,
  type Order,
  toPublicOrder,
} from '../domain/order.ts';
import { isImmediatePayment } from '../domain/payment-methods.ts';
import type { PublicOrder } from '../domain/schemas.ts';
import { ensureWorkflow, type WorkflowStartDeps } from './order-intake.ts';
import type { OrderRepository, WorkflowCallbacks } from './ports.ts';

export interface CancelOrderDeps extends Pick<WorkflowStartDeps, 'workflow' | 'paymentWaitSeconds'> {
  orders: Pick<OrderRepository, 'get' | 'cancelWaiting' | 'getTaskToken'>;
  callbacks: Pick<WorkflowCallbacks, 'fail'>;
}

/**
 * A storefront cancels its order while it waits for a bank transfer or postal slip:
 * 1. another storefront's order is not found, exactly like a missing one;
 * 2. one conditional write moves the order to `cancelled`, only from `pending_payment` with its
 *    payment still pending (`storefront_cancel` in the lifecycles): a credit registered at the same
 *    moment either came first (the order is paid: 409 `order_not_cancellable`) or finds the order
 *    cancelled (an anomaly, refund-required). A card or PayPal order, being charged, is not
 *    cancellable either;
 * 3. the wait ends: its task token is failed with OrderCancelledError, which the workflow routes to
 *    CancelOrder, the closing every cancelled order goes through (the address freed, the holder
 *    told, the audit entry), once. A workflow not yet waiting finds the order cancelled when it
 *    gets there and goes the same way; if no execution runs at all, one is started to close it.
 * The answer is the order as cancelled, without waiting for the closing. Cancelling a cancelled
 * order answers it again (200), and ends the wait if an earlier request stopped before doing so.
 */
export async function cancelOrder(
  deps: CancelOrderDeps,
  orderId: string,
  storefrontId: string,
  now: Date,
): Promise<PublicOrder> {
  const order = await deps.orders.get(orderId);
  if (!isOrderOf(order, storefrontId)) throw new NotFoundError(`Order ${orderId}`, 'order_not_found');
  const cancelled = order.status === 'cancelled' ? order : await cancelWaiting(deps, order, now);
  if (cancelled.failureReason === CANCELLED_BY_STOREFRONT) await endWait(deps, cancelled, now);
  return toPublicOrder(cancelled);
}

/** The conditional write; when it is refused, the order as it now is tells why (or that it is cancelled already). */
async function cancelWaiting(deps: CancelOrderDeps, order: Order, now: Date): Promise<Order> {
  if (isCancellableByStorefront(order)) {
    const cancelled = await deps.orders.cancelWaiting(order.orderId, CANCELLED_BY_STOREFRONT, now);
    if (cancelled) return cancelled;
  }
  const current = (await deps.orders.get(order.orderId)) ?? order;
  if (current.status === 'cancelled') return current;
  throw new ConflictError('order_not_cancellable', notCancellable(current));
}

function notCancellable(order: Order): string {
  const why =
    order.status === 'pending_payment'
      ? isImmediatePayment(order.payment.method)
        ? `its ${order.payment.method} payment is being charged`
        : 'its payment was reported failed, and it is being closed'
      : order.status === 'activating'
        ? 'it is paid and its mailbox is being activated'
        : `it is ${order.status}`;
  return `Order ${order.orderId} cannot be cancelled: ${why}. Only an order still waiting for a bank transfer or postal slip can.`;
}

/**
 * Ends the order's wait for its credit, so that its workflow closes it now rather than at the
 * payment deadline. Nothing to do once the closing has told the holder.
 */
async function endWait(deps: CancelOrderDeps, order: Order, now: Date): Promise<void> {
  if (order.closeEmailSentAt) return;
  const token = await deps.orders.getTaskToken(order.orderId);
  if (token) {
    const ended = await deps.callbacks.fail(token, ErrorName.OrderCancelledError, 'Cancelled by the storefront.');
    if (ended === 'resumed') return;
  }
  // No wait to end: the workflow is on its way to one (it will find the order cancelled), between
  // attempts, or closing already; only if no execution runs at all is one started, to close it.
  await ensureWorkflow(deps, order, now);
}
