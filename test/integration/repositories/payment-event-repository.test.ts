import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dynamoPaymentEventRepository,
  paymentEventKey,
} from '../../../functions/adapters/dynamodb/payment-event-repository.ts';
import type { PaymentEventRepository } from '../../../functions/use-cases/ports.ts';
import { type LocalTable, startLocalTable } from '../../support/local-dynamodb.ts';

let table: LocalTable;
let events: PaymentEventRepository;

beforeAll(async () => {
  table = await startLocalTable();
  events = dynamoPaymentEventRepository(table);
});
afterAll(() => table?.stop());

const at = new Date('2025-03-15T09:30:00.000Z');
let counter = 0;

const creditEvent = () => ({
  id: `evt_${Date.now().toString(36)}_${counter++}`,
  type: 'credit.registered',
  orderId: '5390075470AB',
  amountCents: 610,
  currency: 'EUR',
  occurredAt: '2025-03-15T09:29:00.000Z',
});

describe('DynamoDB payment event repository', () => {
  it('answers new the first time, seen until the event is finished, then done', async () => {
    const event = creditEvent();

    expect(await events.record(event, at)).toBe('new');
    expect(await events.record(event, at)).toBe('seen');
    await events.finish(event.id, { outcome: 'order_paid', anomaly: false }, at);
    expect(await events.record(event, at)).toBe('done');

    expect(await table.item(paymentEventKey(event.id))).toMatchObject({
      ...event,
      eventId: event.id,
      status: 'done',
      outcome: 'order_paid',
      anomaly: false,
      receivedAt: at.toISOString(),
      finishedAt: at.toISOString(),
      deliveries: 2,
    });
  });

  it('answers new to exactly one of many concurrent deliveries of an event', async () => {
    const event = creditEvent();

    const answers = await Promise.all(Array.from({ length: 10 }, () => events.record(event, at)));

    expect(answers.filter((answer) => answer === 'new')).toHaveLength(1);
    expect(answers.filter((answer) => answer === 'seen')).toHaveLength(9);
  });

  it('lists anomalies by day for an operator, and only anomalies', async () => {
    const anomaly = { ...creditEvent(), orderId: 'UNKNOWN00000' };
    const normal = creditEvent();
    const day = new Date('2031-01-02T08:00:00.000Z');
    await events.record(anomaly, day);
    await events.record(normal, day);

    await events.finish(anomaly.id, { outcome: 'unknown_order', anomaly: true }, day);
    await events.finish(normal.id, { outcome: 'order_paid', anomaly: false }, day);

    const { Items } = await table.documents.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: 'byExpiry',
        KeyConditionExpression: 'gsi1pk = :day',
        ExpressionAttributeValues: { ':day': 'ANOMALY#2031-01-02' },
      }),
    );
    expect(Items?.map((item) => [item.eventId, item.outcome])).toEqual([[anomaly.id, 'unknown_order']]);
  });

  it('records a credit that pays no order as an anomaly with refund-required, amount, currency and event id', async () => {
    const event = { ...creditEvent(), currency: 'USD' };
    await events.record(event, at);

    await events.finish(
      event.id,
      {
        outcome: 'currency_mismatch',
        anomaly: true,
        refund: { status: 'required', amountCents: 610, currency: 'USD' },
      },
      at,
    );

    expect(await table.item(paymentEventKey(event.id))).toMatchObject({
      outcome: 'currency_mismatch',
      anomaly: true,
      action: 'refund-required',
      refund: { status: 'required', amountCents: 610, currency: 'USD', eventId: event.id },
      gsi1pk: 'ANOMALY#2025-03-15',
    });
  });
});
