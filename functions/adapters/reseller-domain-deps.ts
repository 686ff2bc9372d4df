import { defineConfig, hostList } from '../config.ts';
import { dynamoDb } from './clients/dynamodb.ts';
import { dnsResolver, dnsVariables } from './dns-resolver.ts';
import { dynamoResellerDomainRepository } from './dynamodb/reseller-domain-repository.ts';
import { dynamoResellerRepository } from './dynamodb/reseller-repository.ts';
import { tableVariables } from './dynamodb/table.ts';

/** What the reseller domain routes need: the table, the DNS and the provider's mail exchangers. */
export function resellerDomainDeps() {
  const config = defineConfig({
    ...tableVariables,
    ...dnsVariables,
    /** Comma-separated: the provider's mail exchangers. */
    PEC_MX_HOSTS: hostList,
  });
  const table = { client: dynamoDb, tableName: config.TABLE_NAME };
  return {
    deps: {
      resellers: dynamoResellerRepository(table),
      domains: dynamoResellerDomainRepository(table),
      dns: dnsResolver({ servers: config.DNS_SERVERS, timeoutMs: 2000 }),
    },
    settings: { providerMxHosts: config.PEC_MX_HOSTS },
  };
}
