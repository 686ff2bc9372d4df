import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { httpHandler, orderIdParameter, withPathParameters } from '../adapters/http/http-handler.ts';
import { getOrder } from '../use-cases/queries.ts';

/** GET /orders/{orderId} */
export const handler = httpHandler(withPathParameters(orderIdParameter), async (event) => ({
  status: 200,
  body: await getOrder(dynamoOrderRepository, event.pathParameters.orderId),
}));
