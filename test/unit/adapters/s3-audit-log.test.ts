import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { s3AuditLog } from '../../../functions/adapters/s3-audit-log.ts';

const s3 = mockClient(S3Client);
const bucket = { client: new S3Client({}), bucket: 'pec-audit-123456789012' };
const audit = s3AuditLog(bucket);
beforeEach(() => {
  s3.on(PutObjectCommand).resolves({});
});
afterEach(() => {
  s3.reset();
});

const at = new Date('2025-03-15T09:30:00.123Z');

/** The one PutObject input the test caused. */
function put() {
  const calls = s3.commandCalls(PutObjectCommand);
  expect(calls).toHaveLength(1);
  return calls[0]?.args[0].input;
}

describe('S3 audit log', () => {
  it('writes one JSON object per event under the order, named by the event (never by the time of writing)', async () => {
    await audit.record({ orderId: '5390075470AB', event: 'payment-charged', at, detail: { chargeId: 'ch_1' } });

    const input = put();
    expect(input?.Bucket).toBe('pec-audit-123456789012');
    expect(input?.Key).toBe('orders/5390075470AB/payment-charged.json');
    expect(input?.ContentType).toBe('application/json');
    expect(JSON.parse(String(input?.Body))).toEqual({
      orderId: '5390075470AB',
      event: 'payment-charged',
      at: '2025-03-15T09:30:00.123Z',
      detail: { chargeId: 'ch_1' },
    });
  });

  it('writes a retried entry under the same key, so a retry replaces it instead of adding one', async () => {
    await audit.record({ orderId: '5390075470AB', event: 'order-completed', at });
    await audit.record({ orderId: '5390075470AB', event: 'order-completed', at: new Date(at.getTime() + 5000) });

    const keys = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key);
    expect(keys).toEqual(['orders/5390075470AB/order-completed.json', 'orders/5390075470AB/order-completed.json']);
  });

  it('gives an event that may happen more than once one key per ref', async () => {
    await audit.record({ orderId: '5390075470AB', event: 'payment-event', ref: 'evt_1', at });
    await audit.record({ orderId: '5390075470AB', event: 'payment-event', ref: 'evt_2', at });

    const calls = s3.commandCalls(PutObjectCommand);
    expect(calls.map((call) => call.args[0].input.Key)).toEqual([
      'orders/5390075470AB/payment-event/evt_1.json',
      'orders/5390075470AB/payment-event/evt_2.json',
    ]);
    expect(JSON.parse(String(calls[0]?.args[0].input.Body))).toMatchObject({ ref: 'evt_1' });
  });

  it('leaves the detail out when there is none', async () => {
    await audit.record({ orderId: '5390075470AB', event: 'order-completed', at });

    expect(JSON.parse(String(put()?.Body))).toEqual({
      orderId: '5390075470AB',
      event: 'order-completed',
      at: '2025-03-15T09:30:00.123Z',
    });
  });

  it('lets an S3 failure reach the caller', async () => {
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));

    await expect(audit.record({ orderId: '5390075470AB', event: 'order-completed', at })).rejects.toMatchObject({
      name: 'AccessDenied',
    });
  });
});
