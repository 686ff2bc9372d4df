import { firstAccessLinkSettings, firstAccessLinkVariables } from '../adapters/access-link-settings.ts';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { ses } from '../adapters/clients/ses.ts';
import { dynamoAccessTokenRepository } from '../adapters/dynamodb/access-token-repository.ts';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { dynamoRateLimiter } from '../adapters/dynamodb/rate-limiter.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { addressParameter, httpHandler, storefrontOf, withPathParameters } from '../adapters/http/http-handler.ts';
import { senderOf, senderVariables, sesNotifier } from '../adapters/ses-notifier.ts';
import { defineConfig } from '../config.ts';
import { sendNewFirstAccessLink } from '../use-cases/access-links.ts';

const config = defineConfig({
  ...tableVariables,
  ...senderVariables,
  ...firstAccessLinkVariables,
});
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const settings = firstAccessLinkSettings(config);
const deps = {
  mailboxes: dynamoMailboxRepository(table),
  tokens: dynamoAccessTokenRepository(table),
  limiter: dynamoRateLimiter(table),
  notifier: sesNotifier(senderOf(ses, config)),
};

/** POST /mailboxes/{address}/first-access-link: emails the holder a new first-access link (202). */
export const handler = httpHandler(withPathParameters(addressParameter), async (event) => {
  const request = { address: event.pathParameters.address, storefrontId: storefrontOf(event) };
  await sendNewFirstAccessLink(deps, request, settings, new Date());
  return { status: 202 };
});
