import { createHash } from 'node:crypto';
import { ConflictError, NotFoundError } from '../domain/errors.ts';
import type { EnrolmentList, OperatorResellersQuery } from '../domain/operator-schemas.ts';
import { orderIdFromBytes } from '../domain/order.ts';
import { movementIdOf, pendingTopUp, toPublicTopUp } from '../domain/reseller-credit.ts';
import {
  APPROVAL_CLAIM_SECONDS,
  AWAITING_DECISION,
  approvalStep,
  ENROLMENT_DOCUMENT_MAX_BYTES,
  ENROLMENT_LIMIT,
  ENROLMENT_PRICE_LIST,
  ENROLMENT_UPLOAD_SECONDS,
  type Enrolment,
  isDecidable,
  newEnrolment,
  OPENING_DEPOSIT_CENTS,
  openingTopUpSeed,
  resellerKeyName,
  toPublicEnrolment,
} from '../domain/reseller-enrolment.ts';
import { ENROLMENT_DOCUMENTS, type EnrolmentRequest, type PublicEnrolment } from '../domain/schemas.ts';
import { throttle } from './access-links.ts';
import { readCursor, writeCursor } from './lists.ts';
import type {
  ApiKeyIssuer,
  AuditLog,
  EnrolmentNotifier,
  EnrolmentRepository,
  RateLimiter,
  ResellerRepository,
  UploadForms,
} from './ports.ts';

/**
 * POST /resellers: a company applies to resell.
 * 1. at most ENROLMENT_LIMIT applications per source IP (the route is public);
 * 2. the application is stored `pending_documents`, its data already validated like a company holder's;
 * 3. answered with one presigned upload form per document (type and size fixed by S3's policy).
 */
export async function applyForResale(
  deps: { enrolments: EnrolmentRepository; limiter: RateLimiter; uploads: UploadForms },
  request: EnrolmentRequest,
  context: { sourceIp: string; now: Date; randomBytes: Uint8Array },
): Promise<PublicEnrolment> {
  await throttle(deps.limiter, ENROLMENT_LIMIT, context.sourceIp, context.now, 'applications');
  const enrolment = newEnrolment(request, orderIdFromBytes(context.randomBytes), context.now);
  await deps.enrolments.create(enrolment);
  const expiresAt = new Date(context.now.getTime() + ENROLMENT_UPLOAD_SECONDS * 1000).toISOString();
  const uploads = Object.fromEntries(
    await Promise.all(
      ENROLMENT_DOCUMENTS.map(async (document) => {
        const form = await deps.uploads.form({
          key: enrolment.documentKeys[document],
          contentType: request.documents[document].contentType,
          maxBytes: ENROLMENT_DOCUMENT_MAX_BYTES,
          expiresSeconds: ENROLMENT_UPLOAD_SECONDS,
        });
        return [document, { ...form, maxBytes: ENROLMENT_DOCUMENT_MAX_BYTES, expiresAt }] as const;
      }),
    ),
  );
  return { ...toPublicEnrolment(enrolment), uploads };
}

export interface DecisionDeps {
  enrolments: EnrolmentRepository;
  audit: AuditLog;
  notifier: EnrolmentNotifier;
}

async function enrolmentOf(enrolments: EnrolmentRepository, enrolmentId: string): Promise<Enrolment> {
  const enrolment = await enrolments.get(enrolmentId);
  if (!enrolment) throw new NotFoundError(`Enrolment ${enrolmentId}`);
  return enrolment;
}

const notPending = (enrolment: Pick<Enrolment, 'enrolmentId' | 'status'>) =>
  new ConflictError('enrolment_not_pending', `Enrolment ${enrolment.enrolmentId} was already ${enrolment.status}.`);

const beingApproved = (enrolment: Pick<Enrolment, 'enrolmentId' | 'approvingBy'>) =>
  new ConflictError(
    'enrolment_being_approved',
    `Enrolment ${enrolment.enrolmentId} is being approved by ${enrolment.approvingBy ?? 'another operator'}; ` +
      `if that approval stopped, approve again in ${APPROVAL_CLAIM_SECONDS} seconds to finish it.`,
  );

/** The opening top-up's id: derived from the enrolment, so a resumed approval finds the same one. */
const openingTopUpIdOf = (enrolmentId: string) =>
  orderIdFromBytes(createHash('sha256').update(openingTopUpSeed(enrolmentId)).digest());

/**
 * Claims the approval of an enrolment for this operator, or takes over one that stopped half-way:
 * a conditional write (`pending_documents`, or `approving` with the claim read), so of two
 * approvals, or an approval and a rejection, exactly one goes on. Answers the claimed enrolment.
 */
async function claimApproval(
  enrolments: EnrolmentRepository,
  enrolmentId: string,
  operator: string,
  now: Date,
): Promise<Enrolment> {
  const enrolment = await enrolmentOf(enrolments, enrolmentId);
  const step = approvalStep(enrolment, now);
  if (step === 'refuse') throw notPending(enrolment);
  if (step === 'wait') throw beingApproved(enrolment);
  const claim = { status: 'approving' as const, approvingBy: operator, approvingAt: now.toISOString() };
  const from =
    step === 'claim' ? { status: enrolment.status } : { status: enrolment.status, approvingAt: enrolment.approvingAt };
  if ((await enrolments.decide(enrolmentId, claim, from)) === 'not_pending') {
    // Another decision or approval wrote between the read and this write: answer as it now stands.
    const current = await enrolmentOf(enrolments, enrolmentId);
    throw current.status === 'approving' ? beingApproved(current) : notPending(current);
  }
  return { ...enrolment, ...claim };
}

/**
 * POST /operator/resellers/{resellerId}/approve (the id is the enrolment's until it is approved):
 * 1. the approval is claimed on the enrolment (`approving`, who and when; a condition, see
 *    `claimApproval`): a decided enrolment is 409, one another approval is working on is 409 too,
 *    one whose approval stopped more than APPROVAL_CLAIM_SECONDS ago is taken over and finished;
 * 2. the reseller's API key `reseller-<enrolmentId>` is found by its name or created (in AWS a key
 *    on the resellers' usage plan), its id the reseller's id;
 * 3. the reseller is enrolled with an empty ledger (once: `exists` after), and its first deposit
 *    (200 euro + VAT) is a bank-transfer top-up whose id derives from the enrolment, with its RF
 *    reference, credited as any top-up when the transfer is registered;
 * 4. audited with the operator (one entry), the applicant emailed what to pay (again, if an
 *    approval stopped after it: at least once, never lost);
 * 5. the enrolment is marked approved (condition: still `approving`); the key is answered.
 */
export async function approveEnrolment(
  deps: DecisionDeps & {
    apiKeys: ApiKeyIssuer;
    resellers: Pick<ResellerRepository, 'enrol' | 'createTopUp' | 'getTopUp'>;
  },
  action: { enrolmentId: string; operator: string },
  context: { now: Date },
): Promise<PublicEnrolment> {
  const { now } = context;
  const enrolment = await claimApproval(deps.enrolments, action.enrolmentId, action.operator, now);
  const key = await deps.apiKeys.findOrCreate(resellerKeyName(enrolment.enrolmentId));
  await deps.resellers.enrol(
    {
      resellerId: key.id,
      name: enrolment.company.companyName,
      email: enrolment.company.email,
      priceList: ENROLMENT_PRICE_LIST,
      lowBalanceThresholdCents: 0,
      createdAt: now.toISOString(),
    },
    {
      movementId: movementIdOf('deposit', 'enrolment'),
      kind: 'deposit',
      amountCents: 0,
      at: now.toISOString(),
    },
  );
  const proposed = pendingTopUp({
    topUpId: openingTopUpIdOf(enrolment.enrolmentId),
    resellerId: key.id,
    amountCents: OPENING_DEPOSIT_CENTS,
    method: 'bank_transfer',
    requestHash: `enrolment:${enrolment.enrolmentId}`,
    now,
  });
  const stored =
    (await deps.resellers.createTopUp(proposed)) === 'created'
      ? proposed
      : ((await deps.resellers.getTopUp(proposed.topUpId)) ?? proposed);
  // The opening deposit is always a transfer (pending, then credited): never a card's, never declined.
  const { payment, status } = stored;
  const topUp = status !== 'declined' && 'reference' in payment ? { ...stored, status, payment } : proposed;
  await deps.audit.record({
    orderId: `enrolment-${enrolment.enrolmentId}`,
    event: 'operator-approve',
    at: now,
    detail: { operator: action.operator, resellerId: key.id, openingTopUpId: topUp.topUpId },
  });
  await deps.notifier.enrolmentApproved({
    to: enrolment.company.email,
    name: enrolment.company.companyName,
    grossCents: topUp.totals.grossCents,
    reference: topUp.payment.reference,
  });
  const decision = {
    status: 'approved' as const,
    decidedAt: now.toISOString(),
    decidedBy: action.operator,
    resellerId: key.id,
    openingTopUpId: topUp.topUpId,
  };
  const approved = await deps.enrolments.decide(enrolment.enrolmentId, decision, {
    status: 'approving',
    approvingAt: enrolment.approvingAt,
  });
  if (approved === 'not_pending') throw beingApproved(await enrolmentOf(deps.enrolments, enrolment.enrolmentId));
  return {
    ...toPublicEnrolment({ ...enrolment, ...decision }),
    apiKey: key.value,
    topUp: toPublicTopUp(topUp),
  };
}

/** POST /operator/resellers/{resellerId}/reject `{ reason }`: decided once, audited, the applicant told why. */
export async function rejectEnrolment(
  deps: DecisionDeps,
  action: { enrolmentId: string; operator: string; reason: string },
  now: Date,
): Promise<PublicEnrolment> {
  const enrolment = await enrolmentOf(deps.enrolments, action.enrolmentId);
  if (enrolment.status === 'approving') throw beingApproved(enrolment);
  if (!isDecidable(enrolment)) throw notPending(enrolment);
  const decision = {
    status: 'rejected' as const,
    decidedAt: now.toISOString(),
    decidedBy: action.operator,
    reason: action.reason,
  };
  if ((await deps.enrolments.decide(enrolment.enrolmentId, decision)) === 'not_pending') {
    const current = await enrolmentOf(deps.enrolments, enrolment.enrolmentId);
    throw current.status === 'approving' ? beingApproved(current) : notPending(current);
  }
  await deps.audit.record({
    orderId: `enrolment-${enrolment.enrolmentId}`,
    event: 'operator-reject',
    at: now,
    detail: { operator: action.operator, reason: action.reason },
  });
  await deps.notifier.enrolmentRejected({
    to: enrolment.company.email,
    name: enrolment.company.companyName,
    reason: action.reason,
  });
  return toPublicEnrolment({ ...enrolment, ...decision });
}

/** The operator lists are one list each: their cursors are tagged for the operators, not a storefront. */
const OPERATORS = 'operators';

/**
 * GET /operator/resellers?status=pending: the enrolments awaiting a decision (and the approvals
 * that stopped half-way, to approve again), longest waiting first, one page at a time.
 */
export async function listPendingEnrolments(
  enrolments: Pick<EnrolmentRepository, 'list'>,
  query: OperatorResellersQuery,
): Promise<EnrolmentList> {
  const filters = { status: query.status };
  const after = readCursor(query.cursor, OPERATORS, filters);
  const page = await enrolments.list(AWAITING_DECISION, { limit: query.limit, ...(after ? { after } : {}) });
  return {
    items: page.items.map(toPublicEnrolment),
    nextCursor: page.next ? writeCursor(OPERATORS, filters, page.next) : null,
  };
}
