import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoResellerRepository } from '../adapters/dynamodb/reseller-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { httpHandler, storefrontOf, withQuery } from '../adapters/http/http-handler.ts';
import { defineConfig } from '../config.ts';
import { ResellerCreditQuerySchema } from '../domain/schemas.ts';
import { resellerCredit } from '../use-cases/reseller-credit.ts';

const config = defineConfig(tableVariables);
const resellers = dynamoResellerRepository({ client: dynamoDb, tableName: config.TABLE_NAME });

/** GET /reseller/credit?limit=&cursor=: the reseller's balance and movements, newest first. */
export const handler = httpHandler(withQuery(ResellerCreditQuerySchema), async (event) => ({
  status: 200,
  body: await resellerCredit(resellers, storefrontOf(event), event.queryStringParameters),
}));
