import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoAccessTokenRepository } from '../adapters/dynamodb/access-token-repository.ts';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { dynamoMailPlatform } from '../adapters/dynamodb-mail-platform.ts';
import { httpHandler, withJsonBody } from '../adapters/http/http-handler.ts';
import { defineConfig } from '../config.ts';
import { PasswordSetupRequestSchema } from '../domain/schemas.ts';
import { setPasswordFromLink } from '../use-cases/access-links.ts';

const config = defineConfig(tableVariables);
const table = { client: dynamoDb, tableName: config.TABLE_NAME };

const deps = {
  tokens: dynamoAccessTokenRepository(table),
  mailboxes: dynamoMailboxRepository(table),
  platform: dynamoMailPlatform(table),
};

/** POST /password-setup: authenticated by the token of a first-access or password-reset link, not by an API key. */
export const handler = httpHandler(withJsonBody(PasswordSetupRequestSchema), async (event) => {
  await setPasswordFromLink(deps, event.body, new Date());
  return { status: 204 };
});
