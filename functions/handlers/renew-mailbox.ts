import {
  addressParameter,
  createdOrder,
  httpHandler,
  intakeContext,
  withJsonBody,
} from '../adapters/http/http-handler.ts';
import { orderIntakeDeps, orderIntakeVariables } from '../adapters/order-intake-deps.ts';
import { defineConfig } from '../config.ts';
import { RenewalRequestSchema } from '../domain/schemas.ts';
import { placeRenewal } from '../use-cases/renewals.ts';

const deps = orderIntakeDeps(defineConfig(orderIntakeVariables));

/** POST /mailboxes/{address}/renewals: a manual renewal order, paid like a new one. */
export const handler = httpHandler(
  withJsonBody(RenewalRequestSchema).extend({ pathParameters: addressParameter }),
  async (event) =>
    createdOrder(await placeRenewal(deps, event.pathParameters.address, event.body, intakeContext(event))),
);
