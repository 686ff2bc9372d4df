import type { Order } from '../domain/order.ts';
import { ORDER_DOCUMENT_MAX_BYTES, ORDER_UPLOAD_SECONDS } from '../domain/order-documents.ts';
import type { OrderDocumentName, PublicOrder } from '../domain/schemas.ts';
import type { UploadedDocuments, UploadForms } from './ports.ts';

/*
 * The documents of a reseller's order as the reseller sees them: whether each has arrived (S3 is asked
 * when the order is read, so nothing has to tell the order about an upload) and, in the answer of
 * POST /orders, the presigned form to upload each one still missing.
 */

/** Where to ask whether a document arrived; with `forms`, the upload forms to give for those that did not. */
export interface DocumentsDeps {
  documents: UploadedDocuments;
  forms?: { uploads: UploadForms; now: Date };
}

/**
 * The `documents` of an order's public view: undefined for an order without documents (a storefront's,
 * a renewal). With `forms`, each document not yet received gets a new upload form, valid
 * ORDER_UPLOAD_SECONDS from `forms.now`.
 */
export async function documentsOf(
  deps: DocumentsDeps,
  order: Pick<Order, 'documents'>,
): Promise<PublicOrder['documents']> {
  const expected = order.documents;
  if (!expected) return undefined;
  const { forms } = deps;
  const view = async (name: OrderDocumentName) => {
    const { key, contentType } = expected[name];
    const received = await deps.documents.received(key);
    if (received || !forms) return { contentType, received };
    const expiresAt = new Date(forms.now.getTime() + ORDER_UPLOAD_SECONDS * 1000).toISOString();
    const form = await forms.uploads.form({
      key,
      contentType,
      maxBytes: ORDER_DOCUMENT_MAX_BYTES,
      expiresSeconds: ORDER_UPLOAD_SECONDS,
    });
    return { contentType, received, upload: { ...form, maxBytes: ORDER_DOCUMENT_MAX_BYTES, expiresAt } };
  };
  const [signedContract, identityDocument] = await Promise.all([view('signedContract'), view('identityDocument')]);
  return { signedContract, identityDocument };
}

/** An order's public view with its documents, when it has any. */
export async function withDocuments(
  deps: DocumentsDeps,
  order: Pick<Order, 'documents'>,
  view: PublicOrder,
): Promise<PublicOrder> {
  const documents = await documentsOf(deps, order);
  return documents ? { ...view, documents } : view;
}
