import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { addressParameter, httpHandler, withJsonBody } from '../adapters/http/http-handler.ts';
import { AutoRenewRequestSchema } from '../domain/schemas.ts';
import { setAutoRenew } from '../use-cases/renewals.ts';

/** PUT /mailboxes/{address}/auto-renew: `{ "enabled": bool }`. */
export const handler = httpHandler(
  withJsonBody(AutoRenewRequestSchema).extend({ pathParameters: addressParameter }),
  async (event) => ({
    status: 200,
    body: await setAutoRenew(dynamoMailboxRepository, event.pathParameters.address, event.body.enabled),
  }),
);
