import * as z from 'zod';
import { dynamoAccessTokenRepository } from '../adapters/dynamodb/access-token-repository.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { sesNotifier } from '../adapters/ses-notifier.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { defineConfig, seconds } from '../config.ts';
import { sendFirstAccessEmail } from '../use-cases/order-fulfilment.ts';

const config = defineConfig({
  PASSWORD_SETUP_URL: z.url(),
  ACCESS_TOKEN_TTL_SECONDS: seconds,
});
const settings = { passwordSetupUrl: config.PASSWORD_SETUP_URL, tokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS };
const deps = { orders: dynamoOrderRepository, tokens: dynamoAccessTokenRepository, notifier: sesNotifier };

/** Workflow state SendFirstAccessEmail: emails the single-use link to create the password. */
export const handler = stateHandler(z.object({ orderId: z.string() }), async ({ orderId }) => {
  await sendFirstAccessEmail(deps, settings, orderId, new Date());
});
