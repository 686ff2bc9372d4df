import { createHash } from 'node:crypto';
import { IdempotencyKeyReusedError } from '../domain/errors.ts';
import { orderLifecycle } from '../domain/lifecycles.ts';
import { type Order, orderIdFromBytes, toPublicOrder } from '../domain/order.ts';
import type { OrderRepository, WorkflowStarter } from './ports.ts';

/*
 * What every order intake shares (new mailboxes and renewals): naming the order so an
 * Idempotency-Key replay finds it, telling a replay from a reused key, starting the workflow.
 */

export interface IntakeContext {
  now: Date;
  /** The storefront calling (its API key's id): it owns what it orders, and its Idempotency-Keys are its own. */
  storefrontId: string;
  idempotencyKey?: string;
  /** Entropy for a new order id (used when there is no Idempotency-Key). */
  randomBytes: Uint8Array;
}

/** The order id: derived from the Idempotency-Key when there is one, random otherwise. */
export function intakeOrderId(context: IntakeContext): string {
  return context.idempotencyKey
    ? orderIdFromBytes(sha256(`${context.storefrontId}\n${context.idempotencyKey}`))
    : orderIdFromBytes(context.randomBytes);
}

/** What starting an order's workflow needs. */
export interface WorkflowStartDeps {
  orders: Pick<OrderRepository, 'close'>;
  workflow: WorkflowStarter;
  /** How long a bank transfer or postal slip order waits for its credit. */
  paymentWaitSeconds: number;
}

/** The workflow's input for an order: the payment wait is what is left of it until the order's deadline. */
function workflowInput(deps: Pick<WorkflowStartDeps, 'paymentWaitSeconds'>, order: Order, now: Date) {
  const deadline = order.paymentDeadline ? Date.parse(order.paymentDeadline) : undefined;
  const paymentWaitSeconds =
    deadline === undefined ? deps.paymentWaitSeconds : Math.max(1, Math.ceil((deadline - now.getTime()) / 1000));
  return {
    orderId: order.orderId,
    kind: order.kind,
    domainPec: order.mailbox.domainPec,
    payment: { method: order.payment.method },
    paymentWaitSeconds,
  };
}

/** Starts a new order's workflow; if it cannot start, the order is closed (and `onFailure` undoes the rest). */
export async function startWorkflow(
  deps: WorkflowStartDeps,
  order: Order,
  now: Date,
  onFailure: () => Promise<void>,
): Promise<void> {
  try {
    await deps.workflow.startOrder(order.orderId, workflowInput(deps, order, now));
  } catch (error) {
    // Without a workflow nothing would ever finish this order: close it now.
    await deps.orders.close(order.orderId, 'failed', 'workflow_not_started', now);
    await onFailure();
    throw error;
  }
}

/**
 * An order found again (a replayed request, a repeated sweep) that still waits for its payment gets
 * its workflow running again if its execution ended without finishing it (stopped, timed out,
 * failed while closing): otherwise it would stay pending and hold its address. A restart that fails
 * is reported to the caller, who may retry; the order is left as it is (an earlier run may have
 * charged it, and only the workflow's closing settles that).
 */
export async function resumeWorkflow(
  deps: Pick<WorkflowStartDeps, 'workflow' | 'paymentWaitSeconds'>,
  existing: Order,
  now: Date,
): Promise<void> {
  if (!orderLifecycle.canMove(existing.status, 'await_payment')) return;
  await ensureWorkflow(deps, existing, now);
}

/**
 * Makes sure an execution of the order's workflow runs: one is started (under the next free name)
 * unless one is running. The workflow looks at where the order is before acting, so a run started
 * for an order that moved on meanwhile (a cancelled one) goes straight to its closing.
 */
export const ensureWorkflow = (
  deps: Pick<WorkflowStartDeps, 'workflow' | 'paymentWaitSeconds'>,
  order: Order,
  now: Date,
): Promise<void> => deps.workflow.startOrder(order.orderId, workflowInput(deps, order, now));

/** The stored order for a replayed request (its workflow resumed if need be), or IdempotencyKeyReusedError when the body differs. */
export async function replay(
  deps: Pick<WorkflowStartDeps, 'workflow' | 'paymentWaitSeconds'>,
  existing: Order,
  requestHash: string,
  now: Date,
) {
  if (existing.requestHash !== requestHash) throw new IdempotencyKeyReusedError();
  await resumeWorkflow(deps, existing, now);
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
