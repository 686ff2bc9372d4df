import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { s3 } from '../adapters/clients/s3.ts';
import { ses } from '../adapters/clients/ses.ts';
import { dnsResolver, dnsVariables } from '../adapters/dns-resolver.ts';
import { dynamoResellerDomainRepository } from '../adapters/dynamodb/reseller-domain-repository.ts';
import { dynamoMailPlatform } from '../adapters/dynamodb-mail-platform.ts';
import { createdOrder, httpHandler, intakeContext, withJsonBody } from '../adapters/http/http-handler.ts';
import { orderIntakeDeps, orderIntakeVariables } from '../adapters/order-intake-deps.ts';
import { auditVariables } from '../adapters/s3-audit-log.ts';
import { s3UploadedDocuments, s3UploadForms } from '../adapters/s3-upload-forms.ts';
import { senderOf, senderVariables } from '../adapters/ses-notifier.ts';
import { sesResellerNotifier } from '../adapters/ses-reseller-notifier.ts';
import { defineConfig } from '../config.ts';
import { CreateOrderRequestSchema, parseOrThrow, ResellerOrderRequestSchema } from '../domain/schemas.ts';
import { placeOrder } from '../use-cases/place-order.ts';
import { placeResellerOrder } from '../use-cases/reseller-orders.ts';

const config = defineConfig({ ...orderIntakeVariables, ...dnsVariables, ...senderVariables, ...auditVariables });
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const documents = { client: s3, bucket: config.AUDIT_BUCKET };
// An order waits for DNS only to refuse a domain that does not exist: a short budget, then it goes on.
const deps = {
  ...orderIntakeDeps(config),
  /** A reseller's certified domains: its mailboxes on its own domain need one. */
  domains: dynamoResellerDomainRepository(table),
  /** A reseller's order: its documents' upload forms, and whether a replay's documents arrived. */
  uploads: s3UploadForms(documents),
  documents: s3UploadedDocuments(documents),
  /** Turns a reseller's initial password into the platform's credential as the order is placed. */
  platform: dynamoMailPlatform(table),
  dns: dnsResolver({ servers: config.DNS_SERVERS, timeoutMs: 1000 }),
  resellerNotifier: sesResellerNotifier(senderOf(ses, config)),
};

/**
 * POST /orders: validates the order (an own domain must exist in DNS), reserves the address, starts the
 * order workflow. A reseller's key orders without `payment`: the order is debited from its credit, and
 * answered with the upload forms of its documents.
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
