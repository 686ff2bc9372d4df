import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AnomalyIndex, AnomalyRecord, PaymentEventRepository } from '../../use-cases/ports.ts';
import { isConditionFailed, type Table, writeIf } from './table.ts';

/** One item per payment event id: the record that makes every event take effect at most once. */
export const paymentEventKey = (eventId: string) => ({ pk: `PAYMENT_EVENT#${eventId}`, sk: 'PAYMENT_EVENT' });

/** Anomalies are also indexed by day, so an operator can list them (byExpiry's keys are reused as a generic index). */
const anomalyIndex = (at: Date, eventId: string) => anomalyKeys(at.toISOString(), eventId);
const anomalyKeys = (at: string, eventId: string) => ({
  gsi1pk: `ANOMALY#${at.slice(0, 10)}`,
  gsi1sk: `${at}#${eventId}`,
});

/** An anomaly as an operator lists it: what the event was and what became of it. */
const toAnomaly = (item: Record<string, unknown>): AnomalyRecord => ({
  eventId: String(item.eventId),
  type: String(item.type),
  ...(typeof item.orderId === 'string' ? { orderId: item.orderId } : {}),
  amountCents: Number(item.amountCents),
  currency: String(item.currency),
  occurredAt: String(item.occurredAt),
  outcome: String(item.outcome),
  ...(typeof item.action === 'string' ? { action: item.action } : {}),
  ...(item.payer ? { payer: item.payer as NonNullable<AnomalyRecord['payer']> } : {}),
  finishedAt: String(item.finishedAt),
});

/** The anomalies recorded on a day (UTC), in the order they were recorded: one Query of the day's partition. */
export function dynamoAnomalyIndex({ client, tableName }: Table): AnomalyIndex {
  return {
    async onDay(day, { limit, after }) {
      const { Items = [] } = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'byExpiry',
          KeyConditionExpression: 'gsi1pk = :day',
          ExpressionAttributeValues: { ':day': `ANOMALY#${day}` },
          ...(after ? { ExclusiveStartKey: { ...paymentEventKey(after.id), ...anomalyKeys(after.at, after.id) } } : {}),
          Limit: limit + 1,
        }),
      );
      const items = Items.slice(0, limit).map(toAnomaly);
      const last = items.at(-1);
      return Items.length > limit && last ? { items, next: { at: last.finishedAt, id: last.eventId } } : { items };
    },
  };
}

export function dynamoPaymentEventRepository(table: Table): PaymentEventRepository {
  const { client, tableName } = table;
  return {
    async record(event, at) {
      const first = await writeIf(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...paymentEventKey(event.id),
              ...event,
              eventId: event.id,
              status: 'received',
              receivedAt: at.toISOString(),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      if (first) return 'new';
      try {
        // Seen before: count the delivery, and learn whether it already took effect.
        const { Attributes } = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: paymentEventKey(event.id),
            UpdateExpression: 'ADD deliveries :one',
            ExpressionAttributeValues: { ':one': 1 },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return Attributes?.status === 'done' ? 'done' : 'seen';
      } catch (error) {
        if (isConditionFailed(error)) return 'seen';
        throw error;
      }
    },

    async finish(eventId, { outcome, anomaly, refund }, at) {
      const index = anomaly ? anomalyIndex(at, eventId) : undefined;
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: paymentEventKey(eventId),
          UpdateExpression:
            'SET #status = :done, outcome = :outcome, anomaly = :anomaly, finishedAt = :at' +
            (index ? ', gsi1pk = :gsi1pk, gsi1sk = :gsi1sk' : '') +
            (refund ? ', #action = :refundRequired, refund = :refund' : ''),
          ExpressionAttributeNames: { '#status': 'status', ...(refund ? { '#action': 'action' } : {}) },
          ExpressionAttributeValues: {
            ':done': 'done',
            ':outcome': outcome,
            ':anomaly': anomaly,
            ':at': at.toISOString(),
            ...(index ? { ':gsi1pk': index.gsi1pk, ':gsi1sk': index.gsi1sk } : {}),
            ...(refund ? { ':refundRequired': 'refund-required', ':refund': { ...refund, eventId } } : {}),
          },
        }),
      );
    },
  };
}
