import { ConflictError, NotFoundError } from '../domain/errors.ts';
import { orderIdFromBytes } from '../domain/order.ts';
import { movementIdOf, pendingTopUp, toPublicTopUp } from '../domain/reseller-credit.ts';
import {
  ENROLMENT_DOCUMENT_MAX_BYTES,
  ENROLMENT_LIMIT,
  ENROLMENT_PRICE_LIST,
  ENROLMENT_UPLOAD_SECONDS,
  type Enrolment,
  isDecidable,
  newEnrolment,
  OPENING_DEPOSIT_CENTS,
  toPublicEnrolment,
} from '../domain/reseller-enrolment.ts';
import { ENROLMENT_DOCUMENTS, type EnrolmentRequest, type PublicEnrolment } from '../domain/schemas.ts';
import { throttle } from './access-links.ts';
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

async function pendingEnrolment(enrolments: EnrolmentRepository, enrolmentId: string): Promise<Enrolment> {
  const enrolment = await enrolments.get(enrolmentId);
  if (!enrolment) throw new NotFoundError(`Enrolment ${enrolmentId}`);
  if (!isDecidable(enrolment)) throw notPending(enrolment);
  return enrolment;
}

const notPending = (enrolment: Pick<Enrolment, 'enrolmentId' | 'status'>) =>
  new ConflictError('enrolment_not_pending', `Enrolment ${enrolment.enrolmentId} was already ${enrolment.status}.`);

/**
 * POST /operator/resellers/{resellerId}/approve (the id is the enrolment's until it is approved):
 * 1. the decision is claimed on the enrolment (a condition: decided once, 409 after);
 * 2. the reseller's API key is created (in AWS a key on the resellers' usage plan), its id the reseller's id;
 * 3. the reseller is enrolled with an empty ledger, and its first deposit (200 euro + VAT) is a
 *    bank-transfer top-up with its RF reference, credited as any top-up when the transfer is registered;
 * 4. audited with the operator, the applicant emailed what to pay; the key is answered once.
 */
export async function approveEnrolment(
  deps: DecisionDeps & {
    apiKeys: ApiKeyIssuer;
    resellers: Pick<ResellerRepository, 'enrol' | 'createTopUp'>;
  },
  action: { enrolmentId: string; operator: string },
  context: { now: Date; randomBytes: Uint8Array },
): Promise<PublicEnrolment> {
  const enrolment = await pendingEnrolment(deps.enrolments, action.enrolmentId);
  const key = await deps.apiKeys.create(`reseller-${enrolment.enrolmentId}`);
  const topUp = pendingTopUp({
    topUpId: orderIdFromBytes(context.randomBytes),
    resellerId: key.id,
    amountCents: OPENING_DEPOSIT_CENTS,
    method: 'bank_transfer',
    requestHash: `enrolment:${enrolment.enrolmentId}`,
    now: context.now,
  });
  const decision = {
    status: 'approved' as const,
    decidedAt: context.now.toISOString(),
    decidedBy: action.operator,
    resellerId: key.id,
    openingTopUpId: topUp.topUpId,
  };
  if ((await deps.enrolments.decide(enrolment.enrolmentId, decision)) === 'not_pending') {
    throw notPending(enrolment);
  }
  await deps.resellers.enrol(
    {
      resellerId: key.id,
      name: enrolment.company.companyName,
      email: enrolment.company.email,
      priceList: ENROLMENT_PRICE_LIST,
      lowBalanceThresholdCents: 0,
      createdAt: context.now.toISOString(),
    },
    {
      movementId: movementIdOf('deposit', 'enrolment'),
      kind: 'deposit',
      amountCents: 0,
      at: context.now.toISOString(),
    },
  );
  await deps.resellers.createTopUp(topUp);
  await deps.audit.record({
    orderId: `enrolment-${enrolment.enrolmentId}`,
    event: 'operator-approve',
    at: context.now,
    detail: { operator: action.operator, resellerId: key.id, openingTopUpId: topUp.topUpId },
  });
  await deps.notifier.enrolmentApproved({
    to: enrolment.company.email,
    name: enrolment.company.companyName,
    grossCents: topUp.totals.grossCents,
    reference: topUp.payment.reference,
  });
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
  const enrolment = await pendingEnrolment(deps.enrolments, action.enrolmentId);
  const decision = {
    status: 'rejected' as const,
    decidedAt: now.toISOString(),
    decidedBy: action.operator,
    reason: action.reason,
  };
  if ((await deps.enrolments.decide(enrolment.enrolmentId, decision)) === 'not_pending') {
    throw notPending(enrolment);
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
