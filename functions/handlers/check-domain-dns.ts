import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { ses } from '../adapters/clients/ses.ts';
import { dnsResolver, dnsVariables } from '../adapters/dns-resolver.ts';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { senderOf, senderVariables, sesNotifier } from '../adapters/ses-notifier.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { defineConfig, seconds } from '../config.ts';
import { checkDomainDns } from '../use-cases/order-fulfilment.ts';

const config = defineConfig({
  ...tableVariables,
  ...senderVariables,
  ...dnsVariables,
  /** Comma-separated: the provider's mail exchangers. */
  PEC_MX_HOSTS: z.string().min(1),
  DNS_DEADLINE_SECONDS: seconds,
});
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const settings = {
  providerMxHosts: config.PEC_MX_HOSTS.split(',').map((host) => host.trim()),
  deadlineSeconds: config.DNS_DEADLINE_SECONDS,
};
const deps = {
  orders: dynamoOrderRepository(table),
  mailboxes: dynamoMailboxRepository(table),
  dns: dnsResolver({ servers: config.DNS_SERVERS }),
  notifier: sesNotifier(senderOf(ses, config)),
};

/** Workflow state CheckDomainDns: is the holder's domain pointing its mail at the provider yet? */
export const handler = stateHandler(z.object({ orderId: z.string() }), async ({ orderId }) =>
  checkDomainDns(deps, settings, orderId, new Date()),
);
