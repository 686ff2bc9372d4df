import { Resolver } from 'node:dns/promises';
import * as z from 'zod';
import { defineConfig } from '../config.ts';
import type { DnsResolver } from '../use-cases/ports.ts';

const config = defineConfig({
  /** Optional `host[:port]` list; by default the system resolvers. The local runtime points it at its own DNS. */
  DNS_SERVERS: z.string().optional(),
});

const resolver = new Resolver({ timeout: 3000, tries: 2 });
if (config.DNS_SERVERS) resolver.setServers(config.DNS_SERVERS.split(',').map((server) => server.trim()));

/** Codes for "this name has no MX records": an answer, not a failure. */
const NO_RECORDS = new Set(['ENOTFOUND', 'ENODATA', 'ENONAME', 'NXDOMAIN']);

/** MX look-ups through DNS. */
export const dnsResolver: DnsResolver = {
  async mx(domain) {
    try {
      return await resolver.resolveMx(domain);
    } catch (error) {
      if (error instanceof Error && NO_RECORDS.has((error as NodeJS.ErrnoException).code ?? '')) return [];
      throw error;
    }
  },
};
