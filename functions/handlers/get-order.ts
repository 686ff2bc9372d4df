import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { httpHandler, orderIdParameter, storefrontOf, withPathParameters } from '../adapters/http/http-handler.ts';
import { defineConfig } from '../config.ts';
import { getOrder } from '../use-cases/queries.ts';

const config = defineConfig(tableVariables);
const table = { client: dynamoDb, tableName: config.TABLE_NAME };

/** GET /orders/{orderId} */
export const handler = httpHandler(withPathParameters(orderIdParameter), async (event) => ({
  status: 200,
  body: await getOrder(dynamoOrderRepository(table), event.pathParameters.orderId, storefrontOf(event)),
}));
