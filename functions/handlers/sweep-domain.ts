import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { s3 } from '../adapters/clients/s3.ts';
import { ses } from '../adapters/clients/ses.ts';
import { dnsResolver, dnsVariables } from '../adapters/dns-resolver.ts';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { dynamoResellerDomainRepository } from '../adapters/dynamodb/reseller-domain-repository.ts';
import { dynamoResellerRepository } from '../adapters/dynamodb/reseller-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { dynamoMailPlatform } from '../adapters/dynamodb-mail-platform.ts';
import { auditVariables, s3AuditLog } from '../adapters/s3-audit-log.ts';
import { senderOf, senderVariables } from '../adapters/ses-notifier.ts';
import { sesResellerNotifier } from '../adapters/ses-reseller-notifier.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { defineConfig, hostList } from '../config.ts';
import { DOMAIN_DUE_PREFIX } from '../domain/reseller-domains.ts';
import { sweepDomain } from '../use-cases/domain-renewal-sweep.ts';

const config = defineConfig({
  ...tableVariables,
  ...dnsVariables,
  ...senderVariables,
  ...auditVariables,
  /** Comma-separated: the provider's name servers (a domain delegated to them only renews free). */
  HOSTED_NAME_SERVERS: hostList,
});
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const deps = {
  domains: dynamoResellerDomainRepository(table),
  resellers: dynamoResellerRepository(table),
  dns: dnsResolver({ servers: config.DNS_SERVERS }),
  notifier: sesResellerNotifier(senderOf(ses, config)),
  mailboxes: dynamoMailboxRepository(table),
  platform: dynamoMailPlatform(table),
  audit: s3AuditLog({ client: s3, bucket: config.AUDIT_BUCKET }),
  hostedNameServers: config.HOSTED_NAME_SERVERS,
};

const input = z.object({ address: z.string().startsWith(DOMAIN_DUE_PREFIX), at: z.iso.datetime() });

/** Sweep workflow, Map item SweepDomain: a due reseller domain (`DOMAIN#<domain>`): renewal, lapse or purge, done once. */
export const handler = stateHandler(input, async ({ address, at }) => ({
  outcome: await sweepDomain(deps, address.slice(DOMAIN_DUE_PREFIX.length), new Date(at)),
}));
