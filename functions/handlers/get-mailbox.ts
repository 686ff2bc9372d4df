import * as z from 'zod';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { httpHandler, withPathParameters } from '../adapters/http/http-handler.ts';
import { getMailbox } from '../use-cases/queries.ts';

/** GET /mailboxes/{address}: any address shape is looked up as given, lower-cased. */
const params = z.object({
  address: z
    .string()
    .min(3)
    .max(320)
    .transform((value) => decodeURIComponent(value).trim().toLowerCase()),
});

export const handler = httpHandler(withPathParameters(params), async (event) => ({
  status: 200,
  body: await getMailbox(dynamoMailboxRepository, event.pathParameters.address),
}));
