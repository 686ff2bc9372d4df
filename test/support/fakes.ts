import type { RateLimit } from '../../functions/domain/access-links.ts';
import {
  type MailboxEvent,
  mailboxLifecycle,
  type OrderEvent,
  orderLifecycle,
  type PaymentEvent,
  paymentLifecycle,
} from '../../functions/domain/lifecycles.ts';
import { ERASED_EMAIL, type Mailbox, type MailboxContact } from '../../functions/domain/mailbox.ts';
import type { Order } from '../../functions/domain/order.ts';
import type { PaymentCredential } from '../../functions/domain/payment-methods.ts';
import type { PlanChoice, Quota, SpaceInUse } from '../../functions/domain/renewal-plan.ts';
import { nextSweepAt } from '../../functions/domain/renewal-policy.ts';
import type { CreditMovement, Reseller, TopUp } from '../../functions/domain/reseller-credit.ts';
import type { ResellerDomain } from '../../functions/domain/reseller-domains.ts';
import type { Enrolment, EnrolmentStatus } from '../../functions/domain/reseller-enrolment.ts';
import type { NextAction } from '../../functions/domain/schemas.ts';
import type { ActivationPromise, BusinessCount, BusinessMetrics } from '../../functions/use-cases/business-metrics.ts';
import type {
  AccessToken,
  AccessTokenRepository,
  ApiKeyIssuer,
  AuditEntry,
  AuditLog,
  ChargeResult,
  DebitedPlacement,
  DnsResolver,
  DocumentStore,
  DomainRenewalNotifier,
  EnrolmentNotifier,
  EnrolmentRepository,
  ListPage,
  ListPosition,
  MailboxListQuery,
  MailboxRepository,
  MailPlatform,
  Notifier,
  OrderListQuery,
  OrderRepository,
  PaymentEventRecord,
  PaymentEventRefund,
  PaymentEventRepository,
  PaymentGateway,
  PaymentRequest,
  RateDecision,
  RateLimiter,
  ResellerDomainRepository,
  ResellerNotifier,
  ResellerRepository,
  StatementFiles,
  SweepStateRepository,
  UploadedDocuments,
  UploadForms,
  WorkflowCallbacks,
  WorkflowStarter,
} from '../../functions/use-cases/ports.ts';

/*
 * In-memory implementations of the use cases' ports, for fast tests of the use cases. The
 * repositories move statuses only where the lifecycles (`domain/lifecycles.ts`) allow, exactly as
 * the DynamoDB repositories' conditions do, so a use case tested here behaves the same on the table.
 * Every read hands out a copy: a use case cannot change what is stored behind the repository's back.
 */

const copy = <T>(value: T): T => structuredClone(value);

/**
 * A page of a list as the storefront indexes give it: `items` ordered by `position` (the sort instant
 * and id of each), newest first, those after `after` only, at most `limit`.
 */
function pageOf<T>(
  items: T[],
  position: (item: T) => ListPosition,
  { limit, after }: { limit: number; after?: ListPosition },
): ListPage<T> {
  const key = (at: ListPosition) => `${at.at}#${at.id}`;
  const sorted = items
    .map((item) => ({ item, key: key(position(item)) }))
    .filter((entry) => after === undefined || entry.key < key(after))
    .sort((a, b) => (a.key < b.key ? 1 : -1));
  const page = sorted.slice(0, limit).map((entry) => copy(entry.item));
  const last = page.at(-1);
  return sorted.length > limit && last ? { items: page, next: position(last) } : { items: page };
}

export class InMemoryOrderRepository implements OrderRepository {
  readonly orders = new Map<string, Order>();
  readonly taskTokens = new Map<string, string>();
  /** PEC on the holder's domain: the wait's token, the checks asked for, and how many when the last check began. */
  readonly dnsWaits = new Map<string, { taskToken?: string; requests: number; started: number }>();
  /** A reseller's order: the initial password's credential, held beside the order until it is finished. */
  readonly credentials = new Map<string, string>();

  async initialPasswordCredential(orderId: string) {
    return this.credentials.get(orderId);
  }

  /** Stores orders as they are, for a test's starting point. */
  seed(...orders: Order[]): this {
    for (const order of orders) this.orders.set(order.orderId, copy(order));
    return this;
  }

  async get(orderId: string) {
    const order = this.orders.get(orderId);
    return order && copy(order);
  }

  async listByStorefront(storefrontId: string, query: OrderListQuery) {
    const orders = [...this.orders.values()].filter(
      (order) => order.storefrontId === storefrontId && (query.status === undefined || order.status === query.status),
    );
    return pageOf(orders, (order) => ({ at: order.createdAt, id: order.orderId }), query);
  }

  async create(order: Order) {
    if (this.orders.has(order.orderId)) return 'exists' as const;
    this.orders.set(order.orderId, copy(order));
    return 'created' as const;
  }

  /** Applies `event` (and `payment`) when the lifecycles allow it from the order's statuses; false otherwise. */
  private move(orderId: string, event: OrderEvent, payment: PaymentEvent | undefined, change: (order: Order) => void) {
    const order = this.orders.get(orderId);
    if (!order) return undefined;
    const status = orderLifecycle.next(order.status, event);
    const paymentStatus = payment ? paymentLifecycle.next(order.payment.status, payment) : order.payment.status;
    if (!status || !paymentStatus) return undefined;
    order.status = status;
    order.payment.status = paymentStatus;
    change(order);
    return order;
  }

  async markPaid(
    orderId: string,
    at: Date,
    chargeId?: string,
    payer?: Order['paidBy'],
    saved?: Order['savedPaymentMethod'],
  ) {
    return !!this.move(orderId, 'pay', 'pay', (order) => {
      order.paidAt = at.toISOString();
      if (chargeId) order.chargeId = chargeId;
      if (payer) order.paidBy = copy(payer);
      if (saved) order.savedPaymentMethod = copy(saved);
    });
  }

  async markPaymentFailed(orderId: string, reason?: string) {
    return !!this.move(orderId, 'decline', 'decline', (order) => {
      if (reason) order.declineReason = reason;
    });
  }

  async markCompleted(orderId: string, at: Date) {
    return !!this.move(orderId, 'complete', undefined, (order) => {
      order.completedAt = at.toISOString();
      this.taskTokens.delete(orderId);
      this.credentials.delete(orderId);
      delete this.dnsWaitOf(orderId).taskToken;
    });
  }

  async close(orderId: string, outcome: 'failed' | 'cancelled', reason: string, at: Date, paymentFailed = false) {
    const closed = this.move(
      orderId,
      outcome === 'failed' ? 'fail' : 'cancel',
      paymentFailed ? 'decline' : undefined,
      (order) => {
        order.failureReason = reason;
        order.closedAt = at.toISOString();
        this.taskTokens.delete(orderId);
        this.credentials.delete(orderId);
        delete this.dnsWaitOf(orderId).taskToken;
      },
    );
    return closed && copy(closed);
  }

  async cancelWaiting(orderId: string, reason: string, at: Date) {
    // The task token stays, for the cancellation to end the wait with it.
    const cancelled = this.move(orderId, 'storefront_cancel', 'storefront_cancel', (order) => {
      order.failureReason = reason;
      order.closedAt = at.toISOString();
    });
    return cancelled && copy(cancelled);
  }

  async recordRefund(orderId: string, refund: NonNullable<Order['refund']>, dueAt = refund.recordedAt) {
    if (this.orders.get(orderId)?.refund) return false;
    const recorded = !!this.move(orderId, 'refund', 'refund', (order) => {
      order.refund = refund;
    });
    if (recorded) this.attention.set(orderId, dueAt);
    return recorded;
  }

  async markRefunded(orderId: string, refund: NonNullable<Order['refund']>) {
    const marked = !!this.move(orderId, 'refunded', 'refunded', (order) => {
      order.refund = refund;
    });
    if (marked) this.attention.delete(orderId);
    return marked;
  }

  /** When each order with a refund recorded needs a person; an order leaves it once settled. */
  readonly attention = new Map<string, string>();
  /** The orders settled (`settleAttention`), in order. */
  readonly settled: string[] = [];

  async settleAttention(orderId: string) {
    const order = this.orders.get(orderId);
    if (!order || !['completed', 'failed', 'cancelled'].includes(order.status)) return;
    if (order.payment.status === 'refund_required') return;
    this.attention.delete(orderId);
    this.settled.push(orderId);
  }

  async claimEmail(orderId: string, field: Parameters<OrderRepository['claimEmail']>[1], at: Date) {
    const order = this.orders.get(orderId);
    if (!order || order[field]) return false;
    order[field] = at.toISOString();
    return true;
  }

  async noteUnauditedActivation(orderId: string, activatedAt: string) {
    const order = this.orders.get(orderId);
    if (order) order.unauditedActivationAt = activatedAt;
  }

  async releaseEmail(orderId: string, field: Parameters<OrderRepository['releaseEmail']>[1], at: Date) {
    const order = this.orders.get(orderId);
    if (order?.[field] === at.toISOString()) delete order[field];
  }

  async savePaymentId(orderId: string, providerPaymentId: string, nextAction?: Order['nextAction']) {
    const order = this.orders.get(orderId);
    if (!order || (order.providerPaymentId ?? providerPaymentId) !== providerPaymentId) return false;
    if (
      !orderLifecycle.canMove(order.status, 'await_payment') ||
      !paymentLifecycle.canMove(order.payment.status, 'pay')
    )
      return false;
    order.providerPaymentId = providerPaymentId;
    if (nextAction) order.nextAction = nextAction;
    return true;
  }

  async saveTaskToken(orderId: string, taskToken: string) {
    const moved = this.move(orderId, 'await_payment', undefined, () => {});
    if (moved) this.taskTokens.set(orderId, taskToken);
    return !!moved;
  }

  async getTaskToken(orderId: string) {
    return this.taskTokens.get(orderId);
  }

  private dnsWaitOf(orderId: string) {
    const wait = this.dnsWaits.get(orderId) ?? { requests: 0, started: 0 };
    this.dnsWaits.set(orderId, wait);
    return wait;
  }

  async startDnsCheck(orderId: string) {
    return !!this.move(orderId, 'await_dns', undefined, () => {
      const wait = this.dnsWaitOf(orderId);
      wait.started = wait.requests;
    });
  }

  async saveDnsTaskToken(orderId: string, taskToken: string) {
    const order = this.orders.get(orderId);
    if (!order || !orderLifecycle.canMove(order.status, 'await_dns')) return 'not_waiting' as const;
    const wait = this.dnsWaitOf(orderId);
    if (wait.requests !== wait.started) return 'check_requested' as const;
    wait.taskToken = taskToken;
    return 'saved' as const;
  }

  async requestDnsCheck(orderId: string) {
    const order = this.orders.get(orderId);
    if (!order || !orderLifecycle.canMove(order.status, 'await_dns')) return undefined;
    const wait = this.dnsWaitOf(orderId);
    wait.requests++;
    return wait.taskToken ? { taskToken: wait.taskToken } : {};
  }
}

export class InMemoryMailboxRepository implements MailboxRepository {
  readonly mailboxes = new Map<string, Mailbox>();

  seed(...mailboxes: Mailbox[]): this {
    for (const mailbox of mailboxes) this.mailboxes.set(mailbox.address, copy(mailbox));
    return this;
  }

  async get(address: string) {
    const mailbox = this.mailboxes.get(address);
    return mailbox && copy(mailbox);
  }

  async listByStorefront(storefrontId: string, query: MailboxListQuery) {
    const { status, expiresBefore } = query;
    const mailboxes = [...this.mailboxes.values()].filter(
      (mailbox) =>
        mailbox.storefrontId === storefrontId &&
        mailbox.status !== 'reserved' &&
        (status === undefined || mailbox.status === status) &&
        (expiresBefore === undefined || (mailbox.expiresAt !== undefined && mailbox.expiresAt < expiresBefore)),
    );
    return pageOf(
      mailboxes,
      (mailbox) => ({
        at: expiresBefore === undefined ? mailbox.orderedAt : (mailbox.expiresAt as string),
        id: mailbox.address,
      }),
      query,
    );
  }

  /** The mailbox `event` may move now (its status a source of the event), with the status it moves to. */
  private movable(address: string, event: MailboxEvent) {
    const mailbox = this.mailboxes.get(address);
    const to = mailboxLifecycle.next(mailbox?.status ?? 'absent', event);
    return to === undefined ? undefined : { mailbox, to };
  }

  /** Whether `reserve` would hold the address for this reservation now (nothing written). */
  canReserve(reservation: Mailbox, now: Date): boolean {
    const move = this.movable(reservation.address, 'reserve');
    if (!move) return false;
    const held = move.mailbox;
    return !(
      held?.status === 'reserved' &&
      held.orderId !== reservation.orderId &&
      !(held.holdUntil && held.holdUntil < now.toISOString())
    );
  }

  async reserve(reservation: Mailbox, now: Date) {
    if (!this.canReserve(reservation, now)) return false;
    this.mailboxes.set(reservation.address, copy(reservation));
    return true;
  }

  async release(address: string, orderId: string) {
    if (this.movable(address, 'release') && this.mailboxes.get(address)?.orderId === orderId) {
      this.mailboxes.delete(address);
    }
  }

  async markActivating(address: string, orderId: string) {
    const move = this.movable(address, 'await_dns');
    if (!move?.mailbox || move.mailbox.orderId !== orderId || move.to === 'absent') return false;
    move.mailbox.status = move.to;
    delete move.mailbox.holdUntil;
    return true;
  }

  async activate(
    address: string,
    orderId: string,
    fields: Pick<Mailbox, 'activatedAt' | 'expiresAt' | 'autoRenew' | 'renewalPayment' | 'billing' | 'renewalYears'>,
  ) {
    const move = this.movable(address, 'activate');
    if (!move?.mailbox || move.mailbox.orderId !== orderId || move.to === 'absent') return false;
    Object.assign(move.mailbox, copy(fields), { status: move.to });
    delete move.mailbox.holdUntil;
    return true;
  }

  async markPasswordSet(address: string) {
    const mailbox = this.mailboxes.get(address);
    if (mailbox?.passwordSet !== false) return false;
    mailbox.passwordSet = true;
    return true;
  }

  async extend(
    address: string,
    orderId: string,
    change: {
      previousExpiresAt: string | undefined;
      expiresAt: string;
      renewalPayment?: Mailbox['renewalPayment'];
      plan?: PlanChoice;
    },
  ) {
    const move = this.movable(address, 'renew');
    const mailbox = this.mailboxes.get(address);
    if (mailbox?.renewalOrders?.has(orderId)) return 'applied' as const;
    if (!move?.mailbox || move.to === 'absent') return 'gone' as const;
    if (move.mailbox.expiresAt !== change.previousExpiresAt) return 'stale' as const;
    move.mailbox.status = move.to;
    move.mailbox.expiresAt = change.expiresAt;
    if (change.renewalPayment) move.mailbox.renewalPayment = copy(change.renewalPayment);
    if (change.plan) Object.assign(move.mailbox, { type: change.plan.type, extraGb: copy(change.plan.extraGb) });
    move.mailbox.renewalOrders = new Set([...(move.mailbox.renewalOrders ?? []), orderId]);
    return 'extended' as const;
  }

  async setAutoRenew(address: string, enabled: boolean, storefrontId: string) {
    const move = this.movable(address, 'set_auto_renew');
    if (!move?.mailbox || move.mailbox.storefrontId !== storefrontId) return undefined;
    if (enabled && !move.mailbox.renewalPayment && !move.mailbox.renewsFromCredit) return undefined;
    move.mailbox.autoRenew = enabled;
    return copy(move.mailbox);
  }

  /** Due addresses as the index would hold them: by the day of `nextSweepAt`, in one partition per day. */
  async listDue({ days, until, limit, after }: Parameters<MailboxRepository['listDue']>[0]) {
    const due = [...this.mailboxes.values()]
      .map((mailbox) => ({ mailbox, at: nextSweepAt(mailbox)?.toISOString() }))
      .filter((entry): entry is { mailbox: Mailbox; at: string } => entry.at !== undefined)
      .filter(({ at }) => days.includes(at.slice(0, 10)) && at <= until)
      .map(({ mailbox, at }) => `${at}#${mailbox.address}`)
      .sort();
    const from = after?.sortKey === undefined ? 0 : due.findIndex((key) => key > (after.sortKey as string));
    const page = (from < 0 ? [] : due.slice(from, from + limit)).map((key) => key.slice(key.indexOf('#') + 1));
    const last = from < 0 ? undefined : due[from + limit - 1];
    return from >= 0 && from + limit < due.length && last
      ? { addresses: page, next: { partition: 0, sortKey: last } }
      : { addresses: page };
  }

  async markStageDone(address: string, expiresAt: string, key: string) {
    const mailbox = this.mailboxes.get(address);
    if (!mailbox || mailbox.expiresAt !== expiresAt || mailbox.stagesDone?.has(key)) return false;
    mailbox.stagesDone = new Set([...(mailbox.stagesDone ?? []), key]);
    return true;
  }

  /** The in-memory "index" is computed when listed: always as the mailbox is. */
  async reschedule(_address: string) {}

  async suspend(address: string, expiresAt: string) {
    return this.moveAt(address, 'suspend', expiresAt);
  }

  async markDeleted(address: string, expiresAt: string) {
    const deleted = this.moveAt(address, 'delete', expiresAt);
    const mailbox = this.mailboxes.get(address);
    if (deleted && mailbox) {
      mailbox.autoRenew = false;
      mailbox.passwordSet = false;
      delete mailbox.renewalPayment;
      mailbox.holderEmail = ERASED_EMAIL;
      delete mailbox.contact;
    }
    return deleted;
  }

  async markContactUndeliverable(address: string, holderEmail: string, contact: MailboxContact) {
    const mailbox = this.mailboxes.get(address);
    if (!mailbox || mailbox.holderEmail !== holderEmail || mailbox.contact) return false;
    mailbox.contact = { ...contact };
    return true;
  }

  private moveAt(address: string, event: MailboxEvent, expiresAt: string) {
    const move = this.movable(address, event);
    if (!move?.mailbox || move.mailbox.expiresAt !== expiresAt || move.to === 'absent') return false;
    move.mailbox.status = move.to;
    return true;
  }
}

/** Tokens by hash, and each mailbox's current link per purpose (which a new token replaces), as the table keeps them. */
export class InMemoryAccessTokenRepository implements AccessTokenRepository {
  readonly tokens = new Map<string, AccessToken>();
  readonly links = new Map<string, { tokenHash: string; expiresAt: string; usedAt?: string }>();

  private linkOf = (token: AccessToken) => `${token.address}#${token.purpose}`;

  async issue(token: AccessToken) {
    if (this.tokens.has(token.tokenHash)) throw new Error(`Token ${token.tokenHash} exists`);
    this.tokens.set(token.tokenHash, copy(token));
    this.links.set(this.linkOf(token), { tokenHash: token.tokenHash, expiresAt: token.expiresAt });
  }

  async claim(tokenHash: string, now: Date) {
    const token = this.tokens.get(tokenHash);
    if (!token) return { result: 'unknown' as const };
    const link = this.links.get(this.linkOf(token));
    if (link?.tokenHash !== tokenHash) return { result: 'revoked' as const };
    if (link.usedAt) return { result: 'used' as const };
    if (link.expiresAt <= now.toISOString()) return { result: 'expired' as const };
    link.usedAt = now.toISOString();
    return { result: 'claimed' as const, token: copy(token) };
  }

  async unclaim(token: AccessToken) {
    const link = this.links.get(this.linkOf(token));
    if (link?.tokenHash === token.tokenHash) delete link.usedAt;
  }
}

/** Rate limits as a log of the requests let through, per limit and subject. */
export class InMemoryRateLimiter implements RateLimiter {
  readonly log = new Map<string, number[]>();

  async hit(limit: RateLimit, subject: string, now: Date): Promise<RateDecision> {
    const key = `${limit.name}#${subject}`;
    const windowMs = limit.windowSeconds * 1000;
    const recent = (this.log.get(key) ?? []).filter((at) => at > now.getTime() - windowMs);
    if (recent.length >= limit.requests) {
      const retryAfterSeconds = Math.ceil((Math.min(...recent) + windowMs - now.getTime()) / 1000);
      return { allowed: false, retryAfterSeconds };
    }
    this.log.set(key, [...recent, now.getTime()]);
    return { allowed: true };
  }
}

const SEALED = 'sealed:';

/** The mail platform's accounts, by address. */
export class InMemoryMailPlatform implements MailPlatform {
  readonly accounts = new Map<
    string,
    { mailboxGb: number; archiveGb: number; receiveOnly: boolean; password?: string }
  >();

  async createMailbox(input: { address: string; mailboxGb: number; archiveGb: number; credential?: string }) {
    const { address, mailboxGb, archiveGb, credential } = input;
    const password = credential?.startsWith(SEALED) ? credential.slice(SEALED.length) : undefined;
    if (!this.accounts.has(address)) {
      this.accounts.set(address, { mailboxGb, archiveGb, receiveOnly: false, ...(password ? { password } : {}) });
    }
  }

  /** A recognisable stand-in for the platform's hash: the tests read back which password an account got. */
  async credentialOf(password: string) {
    return `${SEALED}${password}`;
  }

  async setPassword(address: string, password: string) {
    const account = this.accounts.get(address);
    if (!account) throw new Error(`No account ${address}`);
    account.password = password;
  }

  async setReceiveOnly(address: string, receiveOnly: boolean) {
    const account = this.accounts.get(address);
    if (account) account.receiveOnly = receiveOnly;
  }

  async deleteMailbox(address: string) {
    this.accounts.delete(address);
  }

  /** The space each account uses, as the mail servers would report it; set by the tests. */
  readonly inUse = new Map<string, SpaceInUse>();

  async usage(address: string) {
    return copy(this.inUse.get(address) ?? { mailboxBytes: 0, archiveBytes: 0 });
  }

  async setQuota(address: string, quota: Quota) {
    const account = this.accounts.get(address);
    if (account) Object.assign(account, { mailboxGb: quota.mailboxGb, archiveGb: quota.archiveGb });
  }
}

type Sent = { [Email in keyof Notifier]: { email: Email; input: Parameters<Notifier[Email]>[0] } }[keyof Notifier];

/** Records every email instead of sending it. */
export class RecordingNotifier implements Notifier {
  readonly sent: Sent[] = [];

  private record(sent: Sent) {
    this.sent.push(copy(sent));
    return Promise.resolve(`msg-${this.sent.length}`);
  }

  /** The emails of one kind, their inputs in the order sent. */
  of<Email extends keyof Notifier>(email: Email): Parameters<Notifier[Email]>[0][] {
    return this.sent.filter((sent) => sent.email === email).map((sent) => sent.input as Parameters<Notifier[Email]>[0]);
  }

  orderConfirmation = (input: Parameters<Notifier['orderConfirmation']>[0]) =>
    this.record({ email: 'orderConfirmation', input });
  firstAccess = (input: Parameters<Notifier['firstAccess']>[0]) => this.record({ email: 'firstAccess', input });
  passwordReset = (input: Parameters<Notifier['passwordReset']>[0]) => this.record({ email: 'passwordReset', input });
  orderFailed = (input: Parameters<Notifier['orderFailed']>[0]) => this.record({ email: 'orderFailed', input });
  orderCancelled = (input: Parameters<Notifier['orderCancelled']>[0]) =>
    this.record({ email: 'orderCancelled', input });
  renewalConfirmed = (input: Parameters<Notifier['renewalConfirmed']>[0]) =>
    this.record({ email: 'renewalConfirmed', input });
  expiryReminder = (input: Parameters<Notifier['expiryReminder']>[0]) =>
    this.record({ email: 'expiryReminder', input });
  chargeNotice = (input: Parameters<Notifier['chargeNotice']>[0]) => this.record({ email: 'chargeNotice', input });
  renewalDeclined = (input: Parameters<Notifier['renewalDeclined']>[0]) =>
    this.record({ email: 'renewalDeclined', input });
  domainDnsInstructions = (input: Parameters<Notifier['domainDnsInstructions']>[0]) =>
    this.record({ email: 'domainDnsInstructions', input });
  paymentInstructions = (input: Parameters<Notifier['paymentInstructions']>[0]) =>
    this.record({ email: 'paymentInstructions', input });
}

/** The audit trail, keyed like the S3 one: recording an entry again replaces it. */
export class RecordingAuditLog implements AuditLog {
  readonly entries = new Map<string, AuditEntry>();

  async record(entry: AuditEntry) {
    this.entries.set(`${entry.orderId}/${entry.event}/${entry.ref ?? ''}`, copy(entry));
  }

  /** The events recorded for an order, in the order first recorded. */
  eventsOf(orderId: string): string[] {
    return [...this.entries.values()].filter((entry) => entry.orderId === orderId).map((entry) => entry.event);
  }
}

export class RecordingDocuments implements DocumentStore {
  readonly documents = new Map<string, Order>();

  async putOrderDocument(order: Order) {
    this.documents.set(order.orderId, copy(order));
  }
}

/** A workflow starter that records the orders started, one running execution per order. */
export class RecordingWorkflow implements WorkflowStarter {
  readonly started: { orderId: string; input: Record<string, unknown> }[] = [];

  async startOrder(orderId: string, input: Record<string, unknown>) {
    if (this.started.some((start) => start.orderId === orderId)) return;
    this.started.push({ orderId, input: copy(input) });
  }
}

/** Payment events by id, as the table keeps them: recorded once, then finished with what they did. */
export class InMemoryPaymentEventRepository implements PaymentEventRepository {
  readonly events = new Map<
    string,
    {
      event: Parameters<PaymentEventRepository['record']>[0];
      result?: { outcome: string; anomaly: boolean; refund?: PaymentEventRefund };
    }
  >();

  async record(event: Parameters<PaymentEventRepository['record']>[0]): Promise<PaymentEventRecord> {
    const known = this.events.get(event.id);
    if (!known) {
      this.events.set(event.id, { event: copy(event) });
      return 'new';
    }
    return known.result ? 'done' : 'seen';
  }

  async finish(eventId: string, result: { outcome: string; anomaly: boolean; refund?: PaymentEventRefund }) {
    const known = this.events.get(eventId);
    if (known && !known.result) known.result = copy(result);
  }
}

/** The workflow's task tokens as Step Functions answers them: a token resumes its wait once. */
export class RecordingCallbacks implements WorkflowCallbacks {
  readonly calls: { token: string; outcome: 'succeed' | 'fail'; detail: unknown }[] = [];

  async succeed(taskToken: string, output: Record<string, unknown>) {
    return this.answer(taskToken, 'succeed', output);
  }

  async fail(taskToken: string, error: string, cause: string) {
    return this.answer(taskToken, 'fail', { error, cause });
  }

  private answer(token: string, outcome: 'succeed' | 'fail', detail: unknown): 'resumed' | 'closed' {
    const used = this.calls.some((call) => call.token === token);
    this.calls.push({ token, outcome, detail: copy(detail) });
    return used ? 'closed' : 'resumed';
  }
}

/**
 * DNS as the tests set it: a domain is known (with its MX hosts, possibly none) or does not exist;
 * `failing` makes every look-up fail as a resolver in trouble does (SERVFAIL, a timeout).
 */
export class InMemoryDns implements DnsResolver {
  readonly zones = new Map<string, string[]>();
  readonly nameServers = new Map<string, string[]>();
  failing = false;
  readonly asked: string[] = [];

  set(domain: string, mx: string[], ns: string[] = []): this {
    this.zones.set(domain, [...mx]);
    this.nameServers.set(domain, [...ns]);
    return this;
  }

  async ns(domain: string) {
    this.asked.push(domain);
    if (this.failing) throw Object.assign(new Error(`queryNs ESERVFAIL ${domain}`), { code: 'ESERVFAIL' });
    return [...(this.nameServers.get(domain) ?? [])];
  }

  async mx(domain: string) {
    this.asked.push(domain);
    if (this.failing) throw Object.assign(new Error(`queryMx ESERVFAIL ${domain}`), { code: 'ESERVFAIL' });
    return (this.zones.get(domain) ?? []).map((exchange, index) => ({ exchange, priority: 10 * (index + 1) }));
  }

  async existence(domain: string) {
    this.asked.push(domain);
    if (this.failing) return 'unknown' as const;
    return this.zones.has(domain) ? ('exists' as const) : ('missing' as const);
  }
}

/** What the in-memory gateway answers for a credential: Stripe's test ids, as the stand-in has them. */
export type PaymentDecision = (credential: PaymentCredential) => ChargeResult;

const byTestId: PaymentDecision = (credential) => {
  const id = 'paymentMethod' in credential ? credential.paymentMethod : credential.token;
  if (id.includes('authenticationRequired')) {
    return { status: 'requires_action', nextAction: { type: 'use_stripe_sdk', clientSecret: 'secret' } };
  }
  if (/declined/i.test(id)) return { status: 'declined', reason: 'card_declined' };
  return { status: 'succeeded', chargeId: 'unset' };
};

/** The order or top-up a payment pays for. */
const paidBy = (request: PaymentRequest) => ('topUpId' in request ? request.topUpId : request.orderId);

/**
 * A payment provider in memory, as the PaymentGateway port describes it: a payment per idempotency
 * key, confirmed once (a second confirmation answers the first outcome), cancellable while it waits
 * for the holder. `calls` lists every call, for tests that count them.
 */
export class InMemoryPaymentGateway implements PaymentGateway {
  readonly payments = new Map<string, { request: PaymentRequest; result?: ChargeResult; confirmations: number }>();
  readonly calls: string[] = [];
  readonly #byKey = new Map<string, string>();

  constructor(private readonly decide: PaymentDecision = byTestId) {}

  async createPayment(request: PaymentRequest) {
    this.calls.push('createPayment');
    const known = this.#byKey.get(request.idempotencyKey);
    if (known) return known;
    const id = `pi_${this.payments.size + 1}_${paidBy(request)}`;
    this.#byKey.set(request.idempotencyKey, id);
    this.payments.set(id, { request: copy(request), confirmations: 0 });
    return id;
  }

  async confirmPayment(
    paymentId: string,
    confirmation: { idempotencyKey: string; credential: PaymentCredential; offSession?: boolean },
  ) {
    this.calls.push('confirmPayment');
    const payment = this.#payment(paymentId);
    if (!payment.result) {
      payment.confirmations++;
      const { credential } = confirmation;
      const result = this.decide(credential);
      // What a customer keeps: the PaymentMethod used (one made from a token has an id of its own).
      const customerId = payment.request.customerId ?? (payment.request.saveFor && `cus_${paidBy(payment.request)}`);
      const paymentMethod = 'paymentMethod' in credential ? credential.paymentMethod : `pm_from_${credential.token}`;
      const saved = customerId ? { saved: { customerId, paymentMethod } } : {};
      if (result.status === 'succeeded') payment.result = { status: 'succeeded', chargeId: paymentId, ...saved };
      else if (result.status === 'requires_action' && confirmation.offSession) {
        payment.result = { status: 'declined', reason: 'authentication_required' };
      } else payment.result = result;
    }
    return copy(payment.result);
  }

  async findPayment(paymentId: string) {
    this.calls.push('findPayment');
    const result = this.#payment(paymentId).result;
    return result && copy(result);
  }

  async cancelPayment(paymentId: string) {
    this.calls.push('cancelPayment');
    const payment = this.#payment(paymentId);
    if (!payment.result || payment.result.status === 'requires_action') {
      payment.result = { status: 'declined', reason: 'abandoned' };
    }
    return copy(payment.result);
  }

  /** Refunds a succeeded payment once per idempotency key; `refunds` lists them (`refundOutcome` decides). */
  readonly refunds = new Map<string, { paymentId: string; refundId: string }>();
  refundOutcome: 'succeeded' | 'pending' | 'failed' = 'succeeded';

  async refundPayment(paymentId: string, refund: { idempotencyKey: string }) {
    this.calls.push('refundPayment');
    if (this.#payment(paymentId).result?.status !== 'succeeded') throw new Error(`${paymentId} took no money`);
    const known = this.refunds.get(refund.idempotencyKey);
    const refundId = known?.refundId ?? `re_${this.refunds.size + 1}`;
    this.refunds.set(refund.idempotencyKey, { paymentId, refundId });
    return { refundId, status: this.refundOutcome };
  }

  /** The holder finishes 3-D Secure on a payment waiting for it: it succeeds. */
  authenticate(paymentId: string) {
    const { request } = this.#payment(paymentId);
    const saved = request.saveFor
      ? { saved: { customerId: `cus_${paidBy(request)}`, paymentMethod: 'pm_authenticated' } }
      : {};
    this.#payment(paymentId).result = { status: 'succeeded', chargeId: paymentId, ...saved };
  }

  /** Seeds a payment already made for an order, with its outcome (undefined: created, never confirmed). */
  seed(paymentId: string, orderId: string, result?: ChargeResult) {
    const request: PaymentRequest = {
      orderId,
      idempotencyKey: `order-${orderId}`,
      amountCents: 610,
      currency: 'EUR',
      method: 'card',
      description: 'seeded',
    };
    this.payments.set(paymentId, { request, confirmations: result ? 1 : 0, ...(result ? { result } : {}) });
    this.#byKey.set(request.idempotencyKey, paymentId);
    return this;
  }

  #payment(paymentId: string) {
    const payment = this.payments.get(paymentId);
    if (!payment) throw new Error(`No such payment: ${paymentId}`);
    return payment;
  }
}

/** The statements bucket: files by key; a refused file is copied under `rejected/` with its problems. */
export class InMemoryStatementFiles implements StatementFiles {
  readonly files = new Map<string, string>();
  readonly rejected = new Map<string, { text: string; problems: { path: string; message: string }[] }>();

  put(key: string, text: string): this {
    this.files.set(key, text);
    return this;
  }

  async read(key: string) {
    const text = this.files.get(key);
    if (text === undefined) throw Object.assign(new Error(`NoSuchKey: ${key}`), { name: 'NoSuchKey' });
    return { key, text };
  }

  async reject(key: string, problems: { path: string; message: string }[]) {
    const rejectedKey = `rejected/${key.replace(/^incoming\//, '')}`;
    this.rejected.set(rejectedKey, { text: (await this.read(key)).text, problems: copy(problems) });
    return rejectedKey;
  }
}

/** Business metrics as the use cases count them: each count and latency, in order. */
export class RecordingMetrics implements BusinessMetrics {
  readonly counts: { metric: BusinessCount; value: number }[] = [];
  readonly latencies: { milliseconds: number; promise: ActivationPromise }[] = [];

  count(metric: BusinessCount, value = 1) {
    this.counts.push({ metric, value });
  }

  paymentToActive(milliseconds: number, promise: ActivationPromise) {
    this.latencies.push({ milliseconds, promise });
  }

  /** The names counted, in order. */
  get names(): BusinessCount[] {
    return this.counts.map(({ metric }) => metric);
  }
}

/** A storefront's renewal page, as the `pec:renewalLinks` setting would name it. */
export const fakeRenewalLink = (storefrontId: string, address: string) =>
  `https://shop.example/${storefrontId}/renew?address=${encodeURIComponent(address)}`;

/** The renewal sweep's record of the last day swept through. */
export class InMemorySweepState implements SweepStateRepository {
  day: string | undefined;

  async sweptThrough() {
    return this.day;
  }

  async recordSwept(day: string) {
    if (this.day === undefined || this.day < day) this.day = day;
  }
}

/**
 * Resellers and their ledger in memory, with the order and mailbox fakes the placement of a debited
 * order writes to: every change is checked whole before anything is written (as one transaction).
 */
export class InMemoryResellerRepository implements ResellerRepository {
  readonly resellers = new Map<string, Reseller>();
  /** Every movement, by reseller then movement id. */
  readonly ledger = new Map<string, Map<string, CreditMovement>>();

  constructor(
    readonly orders: InMemoryOrderRepository,
    readonly mailboxes: InMemoryMailboxRepository,
  ) {}

  private movementsOf(resellerId: string) {
    let movements = this.ledger.get(resellerId);
    if (!movements) {
      movements = new Map();
      this.ledger.set(resellerId, movements);
    }
    return movements;
  }

  async get(resellerId: string) {
    const reseller = this.resellers.get(resellerId);
    return reseller && copy(reseller);
  }

  async enrol(reseller: Omit<Reseller, 'balanceCents'>, deposit: CreditMovement) {
    if (this.resellers.has(reseller.resellerId)) return 'exists' as const;
    this.resellers.set(reseller.resellerId, { ...copy(reseller), balanceCents: deposit.amountCents });
    this.movementsOf(reseller.resellerId).set(deposit.movementId, copy(deposit));
    return 'created' as const;
  }

  async placeDebitedOrder(input: {
    resellerId: string;
    order: Order;
    debit: CreditMovement;
    reservation?: { mailbox: Mailbox; now: Date };
    initialPasswordCredential?: string;
  }): Promise<DebitedPlacement> {
    const { resellerId, order, debit, reservation, initialPasswordCredential } = input;
    const reseller = this.resellers.get(resellerId);
    const movements = this.movementsOf(resellerId);
    if (this.orders.orders.has(order.orderId) || movements.has(debit.movementId)) return 'order_exists';
    if (!reseller) return 'no_reseller';
    if (reseller.balanceCents < debit.amountCents) return 'insufficient_credit';
    // The reservation's own rule, applied synchronously: nothing else runs before the writes below.
    if (reservation && !this.mailboxes.canReserve(reservation.mailbox, reservation.now)) return 'address_unavailable';
    if (reservation) this.mailboxes.mailboxes.set(reservation.mailbox.address, copy(reservation.mailbox));
    this.orders.orders.set(order.orderId, copy(order));
    if (initialPasswordCredential) this.orders.credentials.set(order.orderId, initialPasswordCredential);
    movements.set(debit.movementId, copy(debit));
    reseller.balanceCents -= debit.amountCents;
    return 'placed';
  }

  async creditBack(resellerId: string, order: Order, movement: CreditMovement) {
    const movements = this.movementsOf(resellerId);
    if (movements.has(movement.movementId)) return 'already' as const;
    const stored = this.orders.orders.get(order.orderId);
    const reseller = this.resellers.get(resellerId);
    if (
      !stored ||
      !reseller ||
      stored.payment.method !== 'credit' ||
      !orderLifecycle.canMove(stored.status, 'credit_back') ||
      !paymentLifecycle.canMove(stored.payment.status, 'credit_back')
    ) {
      return 'not_closed' as const;
    }
    stored.payment.status = paymentLifecycle.next(stored.payment.status, 'credit_back') ?? stored.payment.status;
    stored.refund = {
      status: 'refunded',
      chargeId: movement.movementId,
      amountCents: movement.amountCents,
      currency: 'EUR',
      reason: `credited back to the reseller: order ${stored.status}`,
      recordedAt: movement.at,
      refundedAt: movement.at,
    };
    movements.set(movement.movementId, copy(movement));
    reseller.balanceCents += movement.amountCents;
    return 'credited' as const;
  }

  async credit(resellerId: string, movement: CreditMovement) {
    const reseller = this.resellers.get(resellerId);
    if (!reseller) throw new Error(`No reseller ${resellerId}`);
    const movements = this.movementsOf(resellerId);
    if (movements.has(movement.movementId)) return 'already' as const;
    movements.set(movement.movementId, copy(movement));
    reseller.balanceCents += movement.amountCents;
    return 'credited' as const;
  }

  async movements(resellerId: string, query: { limit: number; after?: ListPosition }) {
    return pageOf([...this.movementsOf(resellerId).values()], (m) => ({ at: m.at, id: m.movementId }), query);
  }

  async setLowBalanceThreshold(resellerId: string, thresholdCents: number) {
    const reseller = this.resellers.get(resellerId);
    if (!reseller) return undefined;
    reseller.lowBalanceThresholdCents = thresholdCents;
    return copy(reseller);
  }

  async claimLowBalanceNotice(resellerId: string, at: Date) {
    const reseller = this.resellers.get(resellerId);
    if (!reseller || reseller.lowBalanceNotifiedAt || reseller.balanceCents >= reseller.lowBalanceThresholdCents) {
      return false;
    }
    reseller.lowBalanceNotifiedAt = at.toISOString();
    return true;
  }

  readonly topUps = new Map<string, TopUp>();

  async createTopUp(topUp: TopUp) {
    if (this.topUps.has(topUp.topUpId)) return 'exists' as const;
    this.topUps.set(topUp.topUpId, copy(topUp));
    return 'created' as const;
  }

  async getTopUp(topUpId: string) {
    const topUp = this.topUps.get(topUpId);
    return topUp && copy(topUp);
  }

  async creditTopUp(topUp: TopUp, movement: CreditMovement, eventId: string) {
    const movements = this.movementsOf(topUp.resellerId);
    if (movements.has(movement.movementId)) return 'already' as const;
    const stored = this.topUps.get(topUp.topUpId);
    const reseller = this.resellers.get(topUp.resellerId);
    if (stored?.status !== 'pending' || !reseller) return 'not_pending' as const;
    Object.assign(stored, { status: 'credited', creditedAt: movement.at, creditedBy: eventId });
    movements.set(movement.movementId, copy(movement));
    reseller.balanceCents += movement.amountCents;
    return 'credited' as const;
  }

  async saveTopUpPayment(topUpId: string, providerPaymentId: string, nextAction?: NextAction) {
    const stored = this.topUps.get(topUpId);
    if (stored?.status !== 'pending') return false;
    if (stored.providerPaymentId && stored.providerPaymentId !== providerPaymentId) return false;
    stored.providerPaymentId = providerPaymentId;
    if (nextAction) Object.assign(stored.payment, { nextAction: copy(nextAction) });
    return true;
  }

  async declineTopUp(topUpId: string, reason: string) {
    const stored = this.topUps.get(topUpId);
    if (stored?.status !== 'pending') return false;
    Object.assign(stored, { status: 'declined', declineReason: reason });
    return true;
  }

  async releaseLowBalanceNotice(resellerId: string, at: Date) {
    const reseller = this.resellers.get(resellerId);
    if (reseller?.lowBalanceNotifiedAt === at.toISOString()) delete reseller.lowBalanceNotifiedAt;
  }

  async rearmLowBalanceNotice(resellerId: string) {
    const reseller = this.resellers.get(resellerId);
    if (reseller && reseller.balanceCents >= reseller.lowBalanceThresholdCents) delete reseller.lowBalanceNotifiedAt;
  }
}

/** The reseller emails, recorded instead of sent. */
export class RecordingResellerNotifier implements ResellerNotifier, EnrolmentNotifier, DomainRenewalNotifier {
  readonly lowBalances: Parameters<ResellerNotifier['lowBalance']>[0][] = [];

  async lowBalance(input: Parameters<ResellerNotifier['lowBalance']>[0]) {
    this.lowBalances.push(copy(input));
    return `msg-low-balance-${this.lowBalances.length}`;
  }

  readonly creditRenewals: ({ kind: 'notice' | 'declined' } & Partial<
    Parameters<ResellerNotifier['creditRenewalDeclined']>[0]
  > &
    Parameters<ResellerNotifier['creditRenewalNotice']>[0])[] = [];

  async creditRenewalNotice(input: Parameters<ResellerNotifier['creditRenewalNotice']>[0]) {
    this.creditRenewals.push({ kind: 'notice', ...copy(input) });
    return `msg-credit-renewal-${this.creditRenewals.length}`;
  }

  async creditRenewalDeclined(input: Parameters<ResellerNotifier['creditRenewalDeclined']>[0]) {
    this.creditRenewals.push({ kind: 'declined', ...copy(input) });
    return `msg-credit-renewal-${this.creditRenewals.length}`;
  }

  readonly domainRenewalsShort: Parameters<DomainRenewalNotifier['domainRenewalShort']>[0][] = [];

  async domainRenewalShort(input: Parameters<DomainRenewalNotifier['domainRenewalShort']>[0]) {
    this.domainRenewalsShort.push(copy(input));
    return `msg-domain-renewal-short-${this.domainRenewalsShort.length}`;
  }

  readonly enrolmentEmails: { kind: 'approved' | 'rejected'; to: string }[] = [];

  async enrolmentApproved(input: Parameters<EnrolmentNotifier['enrolmentApproved']>[0]) {
    this.enrolmentEmails.push({ kind: 'approved', to: input.to });
    return `msg-enrolment-${this.enrolmentEmails.length}`;
  }

  async enrolmentRejected(input: Parameters<EnrolmentNotifier['enrolmentRejected']>[0]) {
    this.enrolmentEmails.push({ kind: 'rejected', to: input.to });
    return `msg-enrolment-${this.enrolmentEmails.length}`;
  }
}

/** A reseller's domains in memory, debited from the in-memory ledger (all or nothing, as the transaction). */
export class InMemoryResellerDomainRepository implements ResellerDomainRepository {
  readonly domains = new Map<string, ResellerDomain>();
  constructor(private readonly resellers: InMemoryResellerRepository) {}

  async get(domain: string) {
    const found = this.domains.get(domain);
    return found ? { ...found } : undefined;
  }

  /** The wait of each domain: check-now requests, those seen by the last check, the token kept. */
  readonly waits = new Map<string, { requests: number; started: number; taskToken?: string }>();

  async request(domain: ResellerDomain, debit: CreditMovement | undefined) {
    const ledger = this.resellers.ledger.get(domain.resellerId) ?? new Map<string, CreditMovement>();
    if (this.domains.has(domain.domain) || (debit && ledger.has(debit.movementId))) return 'domain_taken' as const;
    const reseller = this.resellers.resellers.get(domain.resellerId);
    if (!reseller) return 'no_reseller' as const;
    if (debit) {
      if (reseller.balanceCents < debit.amountCents) return 'insufficient_credit' as const;
      reseller.balanceCents -= debit.amountCents;
      ledger.set(debit.movementId, debit);
      this.resellers.ledger.set(domain.resellerId, ledger);
    }
    this.domains.set(domain.domain, { ...domain });
    return 'requested' as const;
  }

  async certify(domain: string, at: Date) {
    const found = this.domains.get(domain);
    if (found?.status === 'pending_dns')
      this.domains.set(domain, { ...found, status: 'certified', certifiedAt: at.toISOString() });
    return this.get(domain);
  }

  private waitOf(domain: string) {
    const wait = this.waits.get(domain) ?? { requests: 0, started: 0 };
    this.waits.set(domain, wait);
    return wait;
  }

  async startDnsCheck(domain: string) {
    if (!this.domains.has(domain)) return false;
    const wait = this.waitOf(domain);
    wait.started = wait.requests;
    return true;
  }

  async saveDnsTaskToken(domain: string, taskToken: string) {
    if (this.domains.get(domain)?.status !== 'pending_dns') return 'not_waiting' as const;
    const wait = this.waitOf(domain);
    if (wait.requests !== wait.started) return 'check_requested' as const;
    wait.taskToken = taskToken;
    return 'saved' as const;
  }

  async requestDnsCheck(domain: string) {
    if (!this.domains.has(domain)) return undefined;
    const wait = this.waitOf(domain);
    wait.requests++;
    return wait.taskToken ? { taskToken: wait.taskToken } : {};
  }

  async renew(
    domain: string,
    expiresAt: string,
    next: { expiresAt: string; priceCents: number },
    debit: CreditMovement | undefined,
  ) {
    const found = this.domains.get(domain);
    if (found?.status !== 'certified' || found.expiresAt !== expiresAt) return 'not_due' as const;
    const ledger = this.resellers.ledger.get(found.resellerId) ?? new Map<string, CreditMovement>();
    if (debit) {
      if (ledger.has(debit.movementId)) return 'not_due' as const;
      const reseller = this.resellers.resellers.get(found.resellerId);
      if (!reseller || reseller.balanceCents < debit.amountCents) return 'insufficient_credit' as const;
      reseller.balanceCents -= debit.amountCents;
      ledger.set(debit.movementId, debit);
      this.resellers.ledger.set(found.resellerId, ledger);
    }
    this.domains.set(domain, { ...found, expiresAt: next.expiresAt, priceCents: next.priceCents });
    return 'renewed' as const;
  }

  async markStageDone(domain: string, expiresAt: string, key: string) {
    const found = this.domains.get(domain);
    if (found?.expiresAt !== expiresAt || found.stagesDone?.has(key)) return false;
    this.domains.set(domain, { ...found, stagesDone: new Set([...(found.stagesDone ?? []), key]) });
    return true;
  }

  async lapse(domain: string, expiresAt: string, at: Date) {
    const found = this.domains.get(domain);
    if (found?.status !== 'certified' || found.expiresAt !== expiresAt) return false;
    this.domains.set(domain, { ...found, status: 'lapsed', lapsedAt: at.toISOString() });
    return true;
  }

  async markPurged(domain: string, at: Date) {
    const found = this.domains.get(domain);
    if (found?.status !== 'lapsed' || found.purgedAt) return false;
    this.domains.set(domain, { ...found, purgedAt: at.toISOString() });
    return true;
  }

  readonly rescheduled: string[] = [];

  async reschedule(domain: string) {
    this.rescheduled.push(domain);
  }

  /** Addresses of mailboxes on each reseller's domains (set by the tests). */
  readonly mailboxAddresses = new Map<string, string[]>();

  async mailboxesOn(resellerId: string, domain: string) {
    return (this.mailboxAddresses.get(resellerId) ?? []).filter((address) => address.endsWith(`@${domain}`));
  }

  async list(resellerId: string) {
    return [...this.domains.values()]
      .filter((domain) => domain.resellerId === resellerId)
      .sort((a, b) => b.requestedAt.localeCompare(a.requestedAt));
  }
}

/** Upload forms that name their key, and the documents "uploaded" to them (a test adds the keys). */
export class InMemoryUploads implements UploadForms, UploadedDocuments {
  readonly uploaded = new Set<string>();
  readonly forms: { key: string; contentType: string; maxBytes: number; expiresSeconds: number }[] = [];

  async form(input: { key: string; contentType: string; maxBytes: number; expiresSeconds: number }) {
    this.forms.push(copy(input));
    return { url: 'https://uploads.example/bucket', fields: { key: input.key, 'Content-Type': input.contentType } };
  }

  async received(key: string) {
    return this.uploaded.has(key);
  }
}

/** Enrolments in memory: each decision checked against the status (and the claim) it expects, as the condition. */
export class InMemoryEnrolmentRepository implements EnrolmentRepository {
  readonly enrolments = new Map<string, Enrolment>();

  async create(enrolment: Enrolment) {
    if (this.enrolments.has(enrolment.enrolmentId)) throw new Error(`Enrolment ${enrolment.enrolmentId} exists`);
    this.enrolments.set(enrolment.enrolmentId, copy(enrolment));
  }

  async get(enrolmentId: string) {
    const enrolment = this.enrolments.get(enrolmentId);
    return enrolment && copy(enrolment);
  }

  async decide(
    enrolmentId: string,
    decision: Parameters<EnrolmentRepository['decide']>[1],
    from: Pick<Enrolment, 'status' | 'approvingAt'> = { status: 'pending_documents' },
  ) {
    const stored = this.enrolments.get(enrolmentId);
    if (stored?.status !== from.status || (from.approvingAt !== undefined && stored.approvingAt !== from.approvingAt)) {
      return 'not_pending' as const;
    }
    for (const [name, value] of Object.entries(decision)) {
      if (value !== undefined) Object.assign(stored, { [name]: value });
    }
    return 'decided' as const;
  }

  async list(statuses: readonly EnrolmentStatus[], { limit, after }: { limit: number; after?: ListPosition }) {
    const key = (enrolment: Enrolment) => `${enrolment.createdAt}#${enrolment.enrolmentId}`;
    const sorted = [...this.enrolments.values()]
      .filter((enrolment) => statuses.includes(enrolment.status))
      .filter((enrolment) => after === undefined || key(enrolment) > `${after.at}#${after.id}`)
      .sort((a, b) => (key(a) < key(b) ? -1 : 1));
    const items = sorted.slice(0, limit).map(copy);
    const last = items.at(-1);
    return sorted.length > limit && last ? { items, next: { at: last.createdAt, id: last.enrolmentId } } : { items };
  }
}

/**
 * API keys in memory, as API Gateway keeps them: names are not unique, so creating twice makes two
 * keys. Finding and creating are separate steps with a turn between them, as the two calls are.
 */
export class InMemoryApiKeys implements ApiKeyIssuer {
  readonly keys: { id: string; name: string; value: string }[] = [];

  async findOrCreate(name: string) {
    const found = this.keys.find((key) => key.name === name);
    if (found) return { id: found.id, value: found.value };
    await Promise.resolve();
    const key = { id: `key-${this.keys.length + 1}`, name, value: `rk_test_${this.keys.length + 1}` };
    this.keys.push(key);
    return { id: key.id, value: key.value };
  }
}
