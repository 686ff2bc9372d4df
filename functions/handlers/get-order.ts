import * as z from 'zod';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { httpHandler, withPathParameters } from '../adapters/http/http-handler.ts';
import { getOrder } from '../use-cases/queries.ts';

/** GET /orders/{orderId} */
export const handler = httpHandler(
  withPathParameters(z.object({ orderId: z.string().min(1).max(64) })),
  async (event) => ({
    status: 200,
    body: await getOrder(dynamoOrderRepository, event.pathParameters.orderId),
  }),
);
