import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { ses } from '../adapters/clients/ses.ts';
import { dynamoMailPlatform } from '../adapters/dynamodb-mail-platform.ts';
import {
  addressParameter,
  createdOrder,
  httpHandler,
  intakeContext,
  withJsonBody,
} from '../adapters/http/http-handler.ts';
import { orderIntakeDeps, orderIntakeVariables } from '../adapters/order-intake-deps.ts';
import { senderOf, senderVariables } from '../adapters/ses-notifier.ts';
import { sesResellerNotifier } from '../adapters/ses-reseller-notifier.ts';
import { defineConfig } from '../config.ts';
import { parseOrThrow, RenewalRequestSchema, ResellerRenewalRequestSchema } from '../domain/schemas.ts';
import { placeRenewal } from '../use-cases/renewals.ts';
import { placeResellerRenewal } from '../use-cases/reseller-orders.ts';

const config = defineConfig({ ...orderIntakeVariables, ...senderVariables });
// The platform's accounts are in the same table: a downgrade reads the space in use there.
const deps = {
  ...orderIntakeDeps(config),
  platform: dynamoMailPlatform({ client: dynamoDb, tableName: config.TABLE_NAME }),
  resellerNotifier: sesResellerNotifier(senderOf(ses, config)),
};

/** POST /mailboxes/{address}/renewals: a manual renewal order, paid like a new one (a reseller's: from its credit). */
export const handler = httpHandler(
  withJsonBody(z.unknown()).extend({ pathParameters: addressParameter }),
  async (event) => {
    const context = intakeContext(event);
    const { address } = event.pathParameters;
    const reseller = await deps.resellers.get(context.storefrontId);
    return createdOrder(
      reseller
        ? await placeResellerRenewal(
            deps,
            reseller,
            address,
            parseOrThrow(ResellerRenewalRequestSchema, event.body),
            context,
          )
        : await placeRenewal(deps, address, parseOrThrow(RenewalRequestSchema, event.body), context),
    );
  },
);
