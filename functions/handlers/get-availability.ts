import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { httpHandler, withQuery } from '../adapters/http/http-handler.ts';
import { AvailabilityQuerySchema } from '../domain/schemas.ts';
import { checkAvailability } from '../use-cases/queries.ts';

/** GET /availability?address=name@domain */
export const handler = httpHandler(withQuery(AvailabilityQuerySchema), async (event) => ({
  status: 200,
  body: await checkAvailability(dynamoMailboxRepository, event.queryStringParameters.address, new Date()),
}));
