import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoResellerDomainRepository } from '../adapters/dynamodb/reseller-domain-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { defineConfig } from '../config.ts';
import { awaitPendingDomain } from '../use-cases/reseller-domains.ts';

const config = defineConfig(tableVariables);
const domains = dynamoResellerDomainRepository({ client: dynamoDb, tableName: config.TABLE_NAME });

/** Domain certification workflow, state WaitForDomainDns (callback): keeps the token of the wait for the next check. */
export const handler = stateHandler(z.object({ domain: z.string(), taskToken: z.string() }), ({ domain, taskToken }) =>
  awaitPendingDomain({ domains }, domain, taskToken),
);
