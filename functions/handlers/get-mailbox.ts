import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { addressParameter, httpHandler, withPathParameters } from '../adapters/http/http-handler.ts';
import { getMailbox } from '../use-cases/queries.ts';

/** GET /mailboxes/{address} */
export const handler = httpHandler(withPathParameters(addressParameter), async (event) => ({
  status: 200,
  body: await getMailbox(dynamoMailboxRepository, event.pathParameters.address),
}));
