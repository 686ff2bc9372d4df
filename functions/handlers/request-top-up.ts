import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoResellerRepository } from '../adapters/dynamodb/reseller-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { httpHandler, intakeContext, withJsonBody } from '../adapters/http/http-handler.ts';
import { stripeGatewayFrom, withStripeVariables } from '../adapters/stripe-payment-gateway.ts';
import { defineConfig } from '../config.ts';
import { TopUpRequestSchema } from '../domain/schemas.ts';
import { requestTopUp } from '../use-cases/top-ups.ts';

const config = defineConfig(withStripeVariables(tableVariables));
const deps = {
  resellers: dynamoResellerRepository({ client: dynamoDb, tableName: config.TABLE_NAME }),
  gateway: stripeGatewayFrom(config),
};

/**
 * POST /reseller/credit/top-ups: a top-up by bank transfer or postal slip (credited when it is
 * registered), or by card or PayPal (charged at once; a decline is a 402).
 */
export const handler = httpHandler(withJsonBody(TopUpRequestSchema), async (event) => {
  const { topUp, replayed } = await requestTopUp(deps, event.body, intakeContext(event));
  const headers: Record<string, string> = replayed ? { 'idempotent-replayed': 'true' } : {};
  return { status: 201, body: topUp, headers };
});
