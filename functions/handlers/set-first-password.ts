import { dynamoAccessTokenRepository } from '../adapters/dynamodb/access-token-repository.ts';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { dynamoMailPlatform } from '../adapters/dynamodb-mail-platform.ts';
import { httpHandler, withJsonBody } from '../adapters/http/http-handler.ts';
import { PasswordSetupRequestSchema } from '../domain/schemas.ts';
import { setFirstPassword } from '../use-cases/set-first-password.ts';

const deps = { tokens: dynamoAccessTokenRepository, mailboxes: dynamoMailboxRepository, platform: dynamoMailPlatform };

/** POST /password-setup: authenticated by its first-access token, not by an API key. */
export const handler = httpHandler(withJsonBody(PasswordSetupRequestSchema), async (event) => {
  await setFirstPassword(deps, event.body, new Date());
  return { status: 204 };
});
