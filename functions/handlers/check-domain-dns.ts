import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { ses } from '../adapters/clients/ses.ts';
import { dnsResolver, dnsVariables } from '../adapters/dns-resolver.ts';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { senderOf, senderVariables, sesNotifier } from '../adapters/ses-notifier.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { defineConfig, hostList, seconds } from '../config.ts';
import { checkDomainDns } from '../use-cases/order-fulfilment.ts';

const config = defineConfig({
  ...tableVariables,
  ...senderVariables,
  ...dnsVariables,
  /** Comma-separated: the provider's mail exchangers. */
  PEC_MX_HOSTS: hostList,
  DNS_DEADLINE_SECONDS: seconds,
  /** The wait after the first check that finds the records missing; each next wait doubles, up to the max. */
  DNS_POLL_FIRST_SECONDS: seconds,
  DNS_POLL_MAX_SECONDS: seconds,
});
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const settings = {
  providerMxHosts: config.PEC_MX_HOSTS,
  deadlineSeconds: config.DNS_DEADLINE_SECONDS,
  poll: { firstSeconds: config.DNS_POLL_FIRST_SECONDS, maxSeconds: config.DNS_POLL_MAX_SECONDS },
};
const deps = {
  orders: dynamoOrderRepository(table),
  mailboxes: dynamoMailboxRepository(table),
  dns: dnsResolver({ servers: config.DNS_SERVERS }),
  notifier: sesNotifier(senderOf(ses, config)),
};

/**
 * Workflow state CheckDomainDns: is the holder's domain pointing its mail at the provider yet? The
 * state's input carries the previous answer (`dns.waitSeconds`), from which the next wait backs off.
 */
export const handler = stateHandler(
  z.object({ orderId: z.string(), dns: z.object({ waitSeconds: z.number().int().positive().optional() }).optional() }),
  async ({ orderId, dns }) =>
    checkDomainDns(deps, settings, { orderId, previousWaitSeconds: dns?.waitSeconds }, new Date()),
);
