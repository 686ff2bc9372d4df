import type { RateLimit } from './access-links.ts';
import type { EnrolmentRequest, PublicEnrolment } from './schemas.ts';

/*
 * A company's enrolment as a reseller: it applies (`POST /resellers`) with its data and uploads the
 * signed adhesion form and an identity document; an operator approves it (the reseller, its key and
 * its first deposit to pay are created) or rejects it with a reason. Decided once.
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

export const ENROLMENT_STATUSES = ['pending_documents', 'approved', 'rejected'] as const;
export type EnrolmentStatus = (typeof ENROLMENT_STATUSES)[number];

/** An enrolment as stored: the applicant's data and where its documents go. */
export interface Enrolment extends EnrolmentRequest {
  enrolmentId: string;
  status: EnrolmentStatus;
  createdAt: string;
  /** The S3 key of each document (under `documents/`, kept 10 years like the other contract records). */
  documentKeys: Record<keyof EnrolmentRequest['documents'], string>;
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

/** What the applicant and the operators are shown: no documents' keys, no contacts. */
export function toPublicEnrolment(enrolment: Enrolment): PublicEnrolment {
  return {
    enrolmentId: enrolment.enrolmentId,
    status: enrolment.status,
    companyName: enrolment.company.companyName,
    createdAt: enrolment.createdAt,
    ...(enrolment.resellerId ? { resellerId: enrolment.resellerId } : {}),
    ...(enrolment.reason ? { reason: enrolment.reason } : {}),
  };
}
