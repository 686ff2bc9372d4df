import { Resolver } from 'node:dns/promises';
import * as z from 'zod';
import type { DnsResolver } from '../use-cases/ports.ts';

/** For the `defineConfig` of a function that resolves names. */
export const dnsVariables = {
  /** Optional comma-separated `host[:port]` list; by default the system resolvers. The local runtime points it at its own DNS. */
  DNS_SERVERS: z.string().optional(),
};

/** Codes for "this name has no MX records": an answer, not a failure. */
const NO_RECORDS = new Set(['ENOTFOUND', 'ENODATA', 'ENONAME', 'NXDOMAIN']);

/** MX look-ups through DNS, asking `servers` (`host[:port]`, comma-separated) or else the system's resolvers. */
export function dnsResolver(servers?: string): DnsResolver {
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  if (servers) resolver.setServers(servers.split(',').map((server) => server.trim()));
  return {
    async mx(domain) {
      try {
        return await resolver.resolveMx(domain);
      } catch (error) {
        if (error instanceof Error && NO_RECORDS.has((error as NodeJS.ErrnoException).code ?? '')) return [];
        throw error;
      }
    },
  };
}
