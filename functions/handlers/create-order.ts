import { createdOrder, httpHandler, intakeContext, withJsonBody } from '../adapters/http/http-handler.ts';
import { orderIntakeDeps, orderIntakeVariables } from '../adapters/order-intake-deps.ts';
import { defineConfig } from '../config.ts';
import { CreateOrderRequestSchema } from '../domain/schemas.ts';
import { placeOrder } from '../use-cases/place-order.ts';

const deps = orderIntakeDeps(defineConfig(orderIntakeVariables));

/** POST /orders: validates the order, reserves the address, starts the order workflow. */
export const handler = httpHandler(withJsonBody(CreateOrderRequestSchema), async (event) =>
  createdOrder(await placeOrder(deps, event.body, intakeContext(event))),
);
