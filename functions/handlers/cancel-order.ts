import { stepFunctions } from '../adapters/clients/step-functions.ts';
import { httpHandler, orderIdParameter, storefrontOf, withPathParameters } from '../adapters/http/http-handler.ts';
import { orderIntakeDeps, orderIntakeVariables } from '../adapters/order-intake-deps.ts';
import { stepFunctionsCallbacks } from '../adapters/step-functions-callbacks.ts';
import { defineConfig } from '../config.ts';
import { cancelOrder } from '../use-cases/cancel-order.ts';

const deps = {
  ...orderIntakeDeps(defineConfig(orderIntakeVariables)),
  callbacks: stepFunctionsCallbacks(stepFunctions),
};

/** POST /orders/{orderId}/cancel: the storefront lets go of an order still waiting for its transfer or slip. */
export const handler = httpHandler(withPathParameters(orderIdParameter), async (event) => ({
  status: 200,
  body: await cancelOrder(deps, event.pathParameters.orderId, storefrontOf(event), new Date()),
}));
