import * as z from 'zod';
import { defineConfig, hostList } from '../config.ts';
import { dynamoDb } from './clients/dynamodb.ts';
import { stepFunctions } from './clients/step-functions.ts';
import { dnsResolver, dnsVariables } from './dns-resolver.ts';
import { dynamoResellerDomainRepository } from './dynamodb/reseller-domain-repository.ts';
import { dynamoResellerRepository } from './dynamodb/reseller-repository.ts';
import { tableVariables } from './dynamodb/table.ts';
import { stepFunctionsCallbacks } from './step-functions-callbacks.ts';
import { stepFunctionsDomainWait } from './step-functions-domain-wait.ts';

/** The reseller domain repositories (all the list route needs). */
export function resellerDomainTables() {
  const config = defineConfig(tableVariables);
  const table = { client: dynamoDb, tableName: config.TABLE_NAME };
  return { resellers: dynamoResellerRepository(table), domains: dynamoResellerDomainRepository(table) };
}

/**
 * What the request and check routes need: the table, the DNS, the provider's mail exchangers and
 * name servers, and the domain certification workflow (started by the request, woken by the check).
 */
export function resellerDomainDeps() {
  const config = defineConfig({
    ...tableVariables,
    ...dnsVariables,
    /** Comma-separated: the provider's mail exchangers. */
    PEC_MX_HOSTS: hostList,
    /** Comma-separated: the provider's name servers (a domain delegated to them only is certified free). */
    HOSTED_NAME_SERVERS: hostList,
    DOMAIN_WORKFLOW_ARN: z.string().min(1),
  });
  return {
    deps: {
      ...resellerDomainTables(),
      dns: dnsResolver({ servers: config.DNS_SERVERS, timeoutMs: 2000 }),
      waits: stepFunctionsDomainWait({ client: stepFunctions, stateMachineArn: config.DOMAIN_WORKFLOW_ARN }),
      callbacks: stepFunctionsCallbacks(stepFunctions),
    },
    settings: { providerMxHosts: config.PEC_MX_HOSTS, hostedNameServers: config.HOSTED_NAME_SERVERS },
  };
}
