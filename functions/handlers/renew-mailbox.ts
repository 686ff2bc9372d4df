import {
  addressParameter,
  createdOrder,
  httpHandler,
  intakeContext,
  withJsonBody,
} from '../adapters/http/http-handler.ts';
import { orderIntakeDeps } from '../adapters/order-intake-deps.ts';
import { RenewalRequestSchema } from '../domain/schemas.ts';
import { placeRenewal } from '../use-cases/renewals.ts';

/** POST /mailboxes/{address}/renewals: a manual renewal order, paid like a new one. */
export const handler = httpHandler(
  withJsonBody(RenewalRequestSchema).extend({ pathParameters: addressParameter }),
  async (event) =>
    createdOrder(await placeRenewal(orderIntakeDeps, event.pathParameters.address, event.body, intakeContext(event))),
);
