import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { ses } from '../adapters/clients/ses.ts';
import { dnsResolver, dnsVariables } from '../adapters/dns-resolver.ts';
import { dynamoResellerDomainRepository } from '../adapters/dynamodb/reseller-domain-repository.ts';
import { createdOrder, httpHandler, intakeContext, withJsonBody } from '../adapters/http/http-handler.ts';
import { orderIntakeDeps, orderIntakeVariables } from '../adapters/order-intake-deps.ts';
import { senderOf, senderVariables } from '../adapters/ses-notifier.ts';
import { sesResellerNotifier } from '../adapters/ses-reseller-notifier.ts';
import { defineConfig } from '../config.ts';
import { CreateOrderRequestSchema, parseOrThrow, ResellerOrderRequestSchema } from '../domain/schemas.ts';
import { placeOrder } from '../use-cases/place-order.ts';
import { placeResellerOrder } from '../use-cases/reseller-orders.ts';

const config = defineConfig({ ...orderIntakeVariables, ...dnsVariables, ...senderVariables });
// An order waits for DNS only to refuse a domain that does not exist: a short budget, then it goes on.
const deps = {
  ...orderIntakeDeps(config),
  /** A reseller's certified domains: its mailboxes on its own domain need one. */
  domains: dynamoResellerDomainRepository({ client: dynamoDb, tableName: config.TABLE_NAME }),
  dns: dnsResolver({ servers: config.DNS_SERVERS, timeoutMs: 1000 }),
  resellerNotifier: sesResellerNotifier(senderOf(ses, config)),
};

/**
 * POST /orders: validates the order (an own domain must exist in DNS), reserves the address, starts the
 * order workflow. A reseller's key orders without `payment`: the order is debited from its credit.
 */
export const handler = httpHandler(withJsonBody(z.unknown()), async (event) => {
  const context = intakeContext(event);
  const reseller = await deps.resellers.get(context.storefrontId);
  return createdOrder(
    reseller
      ? await placeResellerOrder(deps, reseller, parseOrThrow(ResellerOrderRequestSchema, event.body), context)
      : await placeOrder(deps, parseOrThrow(CreateOrderRequestSchema, event.body), context),
  );
});
