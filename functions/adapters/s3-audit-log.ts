import { PutObjectCommand } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { defineConfig } from '../config.ts';
import type { AuditLog, DocumentStore } from '../use-cases/ports.ts';
import { s3 } from './clients/s3.ts';

const config = defineConfig({ AUDIT_BUCKET: z.string().min(1) });

const putJson = (key: string, body: unknown) =>
  s3.send(
    new PutObjectCommand({
      Bucket: config.AUDIT_BUCKET,
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
export const s3AuditLog: AuditLog = {
  async record({ orderId, event, at, ref, detail }) {
    await putJson(auditKey(orderId, event, ref), {
      orderId,
      event,
      at: at.toISOString(),
      ...(ref === undefined ? {} : { ref }),
      ...(detail ? { detail } : {}),
    });
  },
};

/** Where an order's audit entry lives; the same entry always gets the same key. */
export const auditKey = (orderId: string, event: string, ref?: string) =>
  ref === undefined ? `orders/${orderId}/${event}.json` : `orders/${orderId}/${event}/${ref}.json`;

/**
 * Documents: the record of each completed sale, under `documents/orders/<orderId>.json` in the same
 * encrypted, versioned bucket (holder and billing data included; the payment token is not).
 */
export const s3DocumentStore: DocumentStore = {
  async putOrderDocument(order) {
    const { payment, requestHash: _hash, ...rest } = order;
    const { token: _token, ...paymentWithoutToken } = payment;
    await putJson(`documents/orders/${order.orderId}.json`, { ...rest, payment: paymentWithoutToken });
  },
};
