import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { httpHandler, storefrontOf, withQuery } from '../adapters/http/http-handler.ts';
import { defineConfig } from '../config.ts';
import { ListOrdersQuerySchema } from '../domain/schemas.ts';
import { listOrders } from '../use-cases/lists.ts';

const config = defineConfig(tableVariables);
const table = { client: dynamoDb, tableName: config.TABLE_NAME };

/** GET /orders?status=&limit=&cursor= */
export const handler = httpHandler(withQuery(ListOrdersQuerySchema), async (event) => ({
  status: 200,
  body: await listOrders(dynamoOrderRepository(table), storefrontOf(event), event.queryStringParameters),
}));
