import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import type { AuditLog, DocumentStore } from '../use-cases/ports.ts';

/** The audit bucket (audit trail and documents), for the `defineConfig` of a function that writes to it. */
export const auditVariables = { AUDIT_BUCKET: z.string().min(1) };

/** The encrypted, versioned bucket the audit trail and the documents are written to. */
export interface AuditBucket {
  client: S3Client;
  bucket: string;
}

const putJson = ({ client, bucket }: AuditBucket, key: string, body: unknown) =>
  client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(body),
      ContentType: 'application/json',
    }),
  );

/**
 * The audit trail: one JSON object per order event, under `orders/<orderId>/`, so an operator can
 * list an order's history. The key is the event's identity (`<event>.json`, or `<event>/<ref>.json`
 * for an event that may happen more than once), never the time of writing: a retried step rewrites
 * its entry instead of adding a second one (the versioned bucket keeps every write). Entries carry
 * identifiers and outcomes, never holder data, passwords or tokens.
 */
export const s3AuditLog = (bucket: AuditBucket): AuditLog => ({
  async record({ orderId, event, at, ref, detail }) {
    await putJson(bucket, auditKey(orderId, event, ref), {
      orderId,
      event,
      at: at.toISOString(),
      ...(ref === undefined ? {} : { ref }),
      ...(detail ? { detail } : {}),
    });
  },
});

/** Where an order's audit entry lives; the same entry always gets the same key. */
export const auditKey = (orderId: string, event: string, ref?: string) =>
  ref === undefined ? `orders/${orderId}/${event}.json` : `orders/${orderId}/${event}/${ref}.json`;

/**
 * Documents: the record of each completed sale, under `documents/orders/<orderId>.json` in the same
 * encrypted, versioned bucket (holder and billing data included; the payment token or PaymentMethod is not).
 */
export const s3DocumentStore = (bucket: AuditBucket): DocumentStore => ({
  async putOrderDocument(order) {
    const { payment, requestHash: _hash, ...rest } = order;
    const { token: _token, paymentMethod: _paymentMethod, ...paymentWithoutToken } = payment;
    await putJson(bucket, `documents/orders/${order.orderId}.json`, { ...rest, payment: paymentWithoutToken });
  },
});
