import { ENROLMENT_DOCUMENT_MAX_BYTES, ENROLMENT_UPLOAD_SECONDS } from './reseller-enrolment.ts';
import type { OrderDocumentName, OrderDocumentsRequest } from './schemas.ts';

/*
 * The documents a reseller uploads with each order (the guide's "contratto firmato" and the holder's
 * identity document), through presigned S3 forms as an enrolment's: the same content types, the same
 * size limit, the same validity. The order records where each goes; activation does not wait for
 * them (the reseller answers for them, as it does for the holder's data), and the order's status
 * shows whether each has arrived.
 */

/** The largest document a reseller may upload (S3 refuses a larger one: the form's policy says so). */
export const ORDER_DOCUMENT_MAX_BYTES = ENROLMENT_DOCUMENT_MAX_BYTES;
/** How long an order's upload form is valid; a replay of the order (same Idempotency-Key) gives new forms. */
export const ORDER_UPLOAD_SECONDS = ENROLMENT_UPLOAD_SECONDS;

/** Where one document of an order is expected, with the content type its form allows. */
export interface ExpectedDocument {
  key: string;
  contentType: OrderDocumentsRequest[OrderDocumentName]['contentType'];
}

export type OrderDocuments = Record<OrderDocumentName, ExpectedDocument>;

const FILE_NAMES: Record<OrderDocumentName, string> = {
  signedContract: 'signed-contract',
  identityDocument: 'identity-document',
};

/**
 * Where an order's document is uploaded to: under `documents/` (kept 10 years with the other contract
 * records), beside the order's own document `documents/orders/<orderId>.json`.
 */
export const orderDocumentKey = (orderId: string, document: OrderDocumentName) =>
  `documents/orders/${orderId}/${FILE_NAMES[document]}`;

/** The documents an order expects, from what the reseller declared. */
export function expectedDocuments(orderId: string, request: OrderDocumentsRequest): OrderDocuments {
  return {
    signedContract: {
      key: orderDocumentKey(orderId, 'signedContract'),
      contentType: request.signedContract.contentType,
    },
    identityDocument: {
      key: orderDocumentKey(orderId, 'identityDocument'),
      contentType: request.identityDocument.contentType,
    },
  };
}
