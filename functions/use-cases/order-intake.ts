import { createHash } from 'node:crypto';
import { IdempotencyKeyReusedError } from '../domain/errors.ts';
import { type Order, orderIdFromBytes, toPublicOrder } from '../domain/order.ts';
import type { OrderRepository, WorkflowStarter } from './ports.ts';

/*
 * What every order intake shares (new mailboxes and renewals): naming the order so an
 * Idempotency-Key replay finds it, telling a replay from a reused key, starting the workflow.
 */

export interface IntakeContext {
  now: Date;
  /** Who is calling (the API key's id): Idempotency-Keys are scoped to one storefront. */
  clientId: string;
  idempotencyKey?: string;
  /** Entropy for a new order id (used when there is no Idempotency-Key). */
  randomBytes: Uint8Array;
}

/** The order id: derived from the Idempotency-Key when there is one, random otherwise. */
export function intakeOrderId(context: IntakeContext): string {
  return context.idempotencyKey
    ? orderIdFromBytes(sha256(`${context.clientId}\n${context.idempotencyKey}`))
    : orderIdFromBytes(context.randomBytes);
}

/** Starts the order's workflow; if it cannot start, the order is closed (and `onFailure` undoes the rest). */
export async function startWorkflow(
  deps: { orders: Pick<OrderRepository, 'close'>; workflow: WorkflowStarter; paymentWaitSeconds: number },
  order: Order,
  onFailure: () => Promise<void>,
): Promise<void> {
  try {
    await deps.workflow.startOrder(order.orderId, {
      orderId: order.orderId,
      kind: order.kind,
      domainPec: order.mailbox.domainPec,
      payment: { method: order.payment.method },
      paymentWaitSeconds: deps.paymentWaitSeconds,
    });
  } catch (error) {
    // Without a workflow nothing would ever finish this order: close it now.
    await deps.orders.close(order.orderId, 'failed', 'workflow_not_started');
    await onFailure();
    throw error;
  }
}

/** The stored order for a replayed request, or IdempotencyKeyReusedError when the body differs. */
export function replay(existing: Order, requestHash: string) {
  if (existing.requestHash !== requestHash) throw new IdempotencyKeyReusedError();
  return { order: toPublicOrder(existing), replayed: true };
}

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/** A hash of the request that does not depend on the order of its JSON keys. */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
