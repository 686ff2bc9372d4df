import { PutObjectCommand } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { defineConfig } from '../config.ts';
import type { AuditLog } from '../use-cases/ports.ts';
import { s3 } from './clients.ts';

const config = defineConfig({ AUDIT_BUCKET: z.string().min(1) });

/**
 * The audit trail: one immutable JSON object per order event, under `orders/<orderId>/`, so an
 * operator can list an order's history in order. Entries carry identifiers and outcomes, never
 * holder data, passwords or tokens.
 */
export const s3AuditLog: AuditLog = {
  async record({ orderId, event, at, detail }) {
    await s3.send(
      new PutObjectCommand({
        Bucket: config.AUDIT_BUCKET,
        Key: `orders/${orderId}/${at.toISOString()}-${event}.json`,
        Body: JSON.stringify({ orderId, event, at: at.toISOString(), ...(detail ? { detail } : {}) }),
        ContentType: 'application/json',
      }),
    );
  },
};
