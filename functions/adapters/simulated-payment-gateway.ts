import { createHash } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ChargeResult, PaymentGateway } from '../use-cases/ports.ts';
import { type Table, writeIf } from './dynamodb/table.ts';

/**
 * The payment gateway this deployment talks to: a simulation that behaves like a card processor's
 * API (idempotency keys, declines) without moving money. Tokens starting with `tok_declined` are
 * declined; every other `tok_` token is charged; anything else is an invalid token. A real
 * processor plugs in behind the same `PaymentGateway` port.
 *
 * Charges are recorded under their idempotency key with a conditional write, so however often a
 * workflow state retries, one key is charged once and every retry gets the first answer back; and a
 * charge whose answer was lost (a timeout) can be looked up by its key, as a processor's API allows.
 */
export const chargeKey = (idempotencyKey: string) => ({ pk: `CHARGE#${idempotencyKey}`, sk: 'CHARGE' });

export function simulatedPaymentGateway({ client, tableName }: Table): PaymentGateway {
  async function findCharge(idempotencyKey: string): Promise<ChargeResult | undefined> {
    const { Item } = await client.send(
      new GetCommand({ TableName: tableName, Key: chargeKey(idempotencyKey), ConsistentRead: true }),
    );
    return Item?.result as ChargeResult | undefined;
  }

  return {
    async charge(request) {
      const result: ChargeResult = decide(request.token, request.idempotencyKey);
      const recorded = await writeIf(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...chargeKey(request.idempotencyKey),
              amountCents: request.amountCents,
              currency: request.currency,
              method: request.method,
              description: request.description,
              result,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      if (recorded) return result;
      return (await findCharge(request.idempotencyKey)) as ChargeResult;
    },

    findCharge,
  };
}

function decide(token: string, idempotencyKey: string): ChargeResult {
  if (!token.startsWith('tok_')) return { status: 'declined', reason: 'invalid_token' };
  if (token.startsWith('tok_declined')) return { status: 'declined', reason: 'card_declined' };
  const chargeId = `ch_${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)}`;
  return { status: 'succeeded', chargeId };
}
