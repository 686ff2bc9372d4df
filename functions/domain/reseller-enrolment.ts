import type { RateLimit } from './access-links.ts';
import type { EnrolmentRequest, PublicEnrolment } from './schemas.ts';

/*
 * A company's enrolment as a reseller: it applies (`POST /resellers`) with its data and uploads the
 * signed adhesion form and an identity document; an operator approves it (the reseller, its key and
 * its first deposit to pay are created) or rejects it with a reason. Decided once.
 *
 * An approval has several steps outside one transaction (an API key in API Gateway, the reseller and
 * its first top-up in DynamoDB), so it is claimed first: `pending_documents` → `approving` (who, when)
 * → `approved`. Every step after the claim is idempotent (the key found by its name, the reseller and
 * the top-up by ids derived from the enrolment), so an approval that stopped half-way is finished by
 * approving again; a rejection of an enrolment being approved is refused.
 */

/** Applications per source IP: a public route, so a few an hour are enough for a real applicant. */
export const ENROLMENT_LIMIT: RateLimit = { name: 'reseller-enrolment', requests: 5, windowSeconds: 3600 };
/** The largest document an applicant may upload (S3 refuses a larger one: the form's policy says so). */
export const ENROLMENT_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024;
/** How long an upload form is valid. */
export const ENROLMENT_UPLOAD_SECONDS = 3600;
/** The first deposit the guide asks for: 200 euro, net of VAT, which becomes the opening credit. */
export const OPENING_DEPOSIT_CENTS = 20_000;
/** The price list a new reseller is put on. */
export const ENROLMENT_PRICE_LIST = 'reseller';

/**
 * How long an approval's claim is its own: longer than the approving function may run (10 s) and
 * than API Gateway waits for it (29 s), so an approval taken over after it stopped cannot still be
 * running. Within it, another approval is refused (409) instead of racing it to create a second key.
 */
export const APPROVAL_CLAIM_SECONDS = 60;

export const ENROLMENT_STATUSES = ['pending_documents', 'approving', 'approved', 'rejected'] as const;
export type EnrolmentStatus = (typeof ENROLMENT_STATUSES)[number];
/** The enrolments an operator still has to decide (an approval that stopped half-way is finished by approving again). */
export const AWAITING_DECISION: readonly EnrolmentStatus[] = ['pending_documents', 'approving'];

/** An enrolment as stored: the applicant's data and where its documents go. */
export interface Enrolment extends EnrolmentRequest {
  enrolmentId: string;
  status: EnrolmentStatus;
  createdAt: string;
  /** The S3 key of each document (under `documents/`, kept 10 years like the other contract records). */
  documentKeys: Record<keyof EnrolmentRequest['documents'], string>;
  /** The operator whose approval claimed the enrolment, and when (`approving`). */
  approvingBy?: string;
  approvingAt?: string;
  decidedAt?: string;
  decidedBy?: string;
  reason?: string;
  resellerId?: string;
  openingTopUpId?: string;
}

/** Where an enrolment's document is uploaded to. */
export const enrolmentDocumentKey = (enrolmentId: string, document: string) =>
  `documents/enrolments/${enrolmentId}/${document}`;

/** A new application, waiting for its documents and an operator's decision. */
export function newEnrolment(request: EnrolmentRequest, enrolmentId: string, now: Date): Enrolment {
  return {
    ...request,
    enrolmentId,
    status: 'pending_documents',
    createdAt: now.toISOString(),
    documentKeys: {
      adhesionForm: enrolmentDocumentKey(enrolmentId, 'adhesion-form'),
      identityDocument: enrolmentDocumentKey(enrolmentId, 'identity-document'),
    },
  };
}

/** Only an enrolment still pending can be decided. */
export const isDecidable = (enrolment: Pick<Enrolment, 'status'>) => enrolment.status === 'pending_documents';

/**
 * What approving an enrolment does at `now`: `claim` a pending one; `resume` one whose approval
 * stopped half-way (its claim older than APPROVAL_CLAIM_SECONDS); `wait` while another approval
 * holds a fresh claim; `refuse` a decided one.
 */
export function approvalStep(
  enrolment: Pick<Enrolment, 'status' | 'approvingAt'>,
  now: Date,
): 'claim' | 'resume' | 'wait' | 'refuse' {
  if (enrolment.status === 'pending_documents') return 'claim';
  if (enrolment.status !== 'approving') return 'refuse';
  const claimedAt = Date.parse(enrolment.approvingAt ?? '');
  return Number.isNaN(claimedAt) || now.getTime() - claimedAt >= APPROVAL_CLAIM_SECONDS * 1000 ? 'resume' : 'wait';
}

/** The name of the API key an approved enrolment's reseller gets: one per enrolment, found again by it. */
export const resellerKeyName = (enrolmentId: string) => `reseller-${enrolmentId}`;

/** What the opening top-up's id is derived from (hashed into an id by the use case): one per enrolment. */
export const openingTopUpSeed = (enrolmentId: string) => `enrolment-opening-top-up\n${enrolmentId}`;

/** What the applicant and the operators are shown: no documents' keys, no contacts. */
export function toPublicEnrolment(enrolment: Enrolment): PublicEnrolment {
  return {
    enrolmentId: enrolment.enrolmentId,
    status: enrolment.status,
    companyName: enrolment.company.companyName,
    createdAt: enrolment.createdAt,
    ...(enrolment.status === 'approving'
      ? { approvingBy: enrolment.approvingBy ?? '', approvingAt: enrolment.approvingAt ?? '' }
      : {}),
    ...(enrolment.resellerId ? { resellerId: enrolment.resellerId } : {}),
    ...(enrolment.reason ? { reason: enrolment.reason } : {}),
  };
}
