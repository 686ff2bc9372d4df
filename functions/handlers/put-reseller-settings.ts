import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoResellerRepository } from '../adapters/dynamodb/reseller-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { httpHandler, storefrontOf, withJsonBody } from '../adapters/http/http-handler.ts';
import { defineConfig } from '../config.ts';
import { ResellerSettingsRequestSchema } from '../domain/schemas.ts';
import { updateResellerSettings } from '../use-cases/reseller-credit.ts';

const config = defineConfig(tableVariables);
const resellers = dynamoResellerRepository({ client: dynamoDb, tableName: config.TABLE_NAME });

/** PUT /reseller/settings: the reseller's low-balance threshold. */
export const handler = httpHandler(withJsonBody(ResellerSettingsRequestSchema), async (event) => ({
  status: 200,
  body: await updateResellerSettings(resellers, storefrontOf(event), event.body),
}));
