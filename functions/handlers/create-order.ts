import { createdOrder, httpHandler, intakeContext, withJsonBody } from '../adapters/http/http-handler.ts';
import { orderIntakeDeps } from '../adapters/order-intake-deps.ts';
import { CreateOrderRequestSchema } from '../domain/schemas.ts';
import { placeOrder } from '../use-cases/place-order.ts';

/** POST /orders: validates the order, reserves the address, starts the order workflow. */
export const handler = httpHandler(withJsonBody(CreateOrderRequestSchema), async (event) =>
  createdOrder(await placeOrder(orderIntakeDeps, event.body, intakeContext(event))),
);
