import { resetLinkSettings, resetLinkVariables } from '../adapters/access-link-settings.ts';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { ses } from '../adapters/clients/ses.ts';
import { dynamoAccessTokenRepository } from '../adapters/dynamodb/access-token-repository.ts';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { dynamoRateLimiter } from '../adapters/dynamodb/rate-limiter.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { httpHandler, withJsonBody } from '../adapters/http/http-handler.ts';
import { senderOf, senderVariables, sesNotifier } from '../adapters/ses-notifier.ts';
import { defineConfig } from '../config.ts';
import { PasswordResetRequestSchema } from '../domain/schemas.ts';
import { requestPasswordReset } from '../use-cases/access-links.ts';

const config = defineConfig({
  ...tableVariables,
  ...senderVariables,
  ...resetLinkVariables,
});
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const settings = resetLinkSettings(config);
const deps = {
  mailboxes: dynamoMailboxRepository(table),
  tokens: dynamoAccessTokenRepository(table),
  limiter: dynamoRateLimiter(table),
  notifier: sesNotifier(senderOf(ses, config)),
};

/** POST /password-reset: 202 whether or not the mailbox exists; the holder of one with a password gets a link. */
export const handler = httpHandler(withJsonBody(PasswordResetRequestSchema), async (event) => {
  await requestPasswordReset(deps, event.body.address, settings, new Date());
  return { status: 202 };
});
