import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoAttentionIndex } from '../adapters/dynamodb/order-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { httpHandler, withQuery } from '../adapters/http/http-handler.ts';
import { defineConfig } from '../config.ts';
import { OperatorOrdersQuerySchema } from '../domain/operator-schemas.ts';
import { listAttentionOrders } from '../use-cases/operator.ts';

const config = defineConfig(tableVariables);
const index = dynamoAttentionIndex({ client: dynamoDb, tableName: config.TABLE_NAME });

/** GET /operator/orders?attention=true&limit=&cursor= (operators, IAM) */
export const handler = httpHandler(withQuery(OperatorOrdersQuerySchema), async (event) => ({
  status: 200,
  body: await listAttentionOrders(index, event.queryStringParameters, new Date()),
}));
