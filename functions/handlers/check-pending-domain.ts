import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dnsResolver, dnsVariables } from '../adapters/dns-resolver.ts';
import { dynamoResellerDomainRepository } from '../adapters/dynamodb/reseller-domain-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { defineConfig, hostList, seconds } from '../config.ts';
import { checkPendingDomain } from '../use-cases/reseller-domains.ts';

const config = defineConfig({
  ...tableVariables,
  ...dnsVariables,
  /** Comma-separated: the provider's mail exchangers. */
  PEC_MX_HOSTS: hostList,
  DNS_DEADLINE_SECONDS: seconds,
  /** The wait after the first check that finds the records missing; each next wait doubles, up to the max. */
  DNS_POLL_FIRST_SECONDS: seconds,
  DNS_POLL_MAX_SECONDS: seconds,
});
const deps = {
  domains: dynamoResellerDomainRepository({ client: dynamoDb, tableName: config.TABLE_NAME }),
  dns: dnsResolver({ servers: config.DNS_SERVERS }),
};
const settings = {
  providerMxHosts: config.PEC_MX_HOSTS,
  deadlineSeconds: config.DNS_DEADLINE_SECONDS,
  poll: { firstSeconds: config.DNS_POLL_FIRST_SECONDS, maxSeconds: config.DNS_POLL_MAX_SECONDS },
};

/**
 * Domain certification workflow, state CheckResellerDomain: do the pending domain's MX records point
 * at the provider yet? The input carries the previous answer (`dns.waitSeconds`) the next wait backs off from.
 */
export const handler = stateHandler(
  z.object({ domain: z.string(), dns: z.object({ waitSeconds: z.number().int().positive().optional() }).optional() }),
  ({ domain, dns }) =>
    checkPendingDomain(deps, settings, { domain, previousWaitSeconds: dns?.waitSeconds }, new Date()),
);
