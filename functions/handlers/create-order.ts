import { dnsResolver, dnsVariables } from '../adapters/dns-resolver.ts';
import { createdOrder, httpHandler, intakeContext, withJsonBody } from '../adapters/http/http-handler.ts';
import { orderIntakeDeps, orderIntakeVariables } from '../adapters/order-intake-deps.ts';
import { defineConfig } from '../config.ts';
import { CreateOrderRequestSchema } from '../domain/schemas.ts';
import { placeOrder } from '../use-cases/place-order.ts';

const config = defineConfig({ ...orderIntakeVariables, ...dnsVariables });
// An order waits for DNS only to refuse a domain that does not exist: a short budget, then it goes on.
const deps = { ...orderIntakeDeps(config), dns: dnsResolver({ servers: config.DNS_SERVERS, timeoutMs: 1000 }) };

/** POST /orders: validates the order (an own domain must exist in DNS), reserves the address, starts the order workflow. */
export const handler = httpHandler(withJsonBody(CreateOrderRequestSchema), async (event) =>
  createdOrder(await placeOrder(deps, event.body, intakeContext(event))),
);
