import { Resolver } from 'node:dns/promises';
import * as z from 'zod';
import type { DnsResolver } from '../use-cases/ports.ts';
import { logger } from './logger.ts';

/** For the `defineConfig` of a function that resolves names. */
export const dnsVariables = {
  /** Optional comma-separated `host[:port]` list; by default the system resolvers. The local runtime points it at its own DNS. */
  DNS_SERVERS: z.string().optional(),
};

/** The name does not exist (NXDOMAIN): an answer, not a failure. */
const NO_SUCH_NAME = new Set(['ENOTFOUND']);
/** The name exists but has no MX records (NOERROR with no answer, NODATA): an answer too. */
const NO_RECORDS = new Set(['ENODATA']);

const codeOf = (error: unknown) => (error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? '') : '');

export interface DnsResolverOptions {
  /** `host[:port]`, comma-separated; else the system's resolvers. */
  servers?: string | undefined;
  /** Per try, in milliseconds (default 3000). */
  timeoutMs?: number;
  /** Tries per server (default 2). */
  tries?: number;
}

/**
 * DNS look-ups through node:dns, asking `servers` or else the system's resolvers. Only NXDOMAIN
 * and NODATA are answers; anything else (SERVFAIL, a timeout, a refusal) is the resolver failing,
 * which `mx` throws and `existence` reports as `unknown`.
 */
export function dnsResolver(options: DnsResolverOptions = {}): DnsResolver {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 3000, tries: options.tries ?? 2 });
  if (options.servers) resolver.setServers(options.servers.split(',').map((server) => server.trim()));
  return {
    async mx(domain) {
      try {
        return await resolver.resolveMx(domain);
      } catch (error) {
        if (NO_SUCH_NAME.has(codeOf(error)) || NO_RECORDS.has(codeOf(error))) return [];
        logger.warn('DNS could not give the MX records of a domain', { domain, code: codeOf(error) });
        throw error;
      }
    },

    async ns(domain) {
      try {
        return await resolver.resolveNs(domain);
      } catch (error) {
        if (NO_SUCH_NAME.has(codeOf(error)) || NO_RECORDS.has(codeOf(error))) return [];
        logger.warn('DNS could not give the name servers of a domain', { domain, code: codeOf(error) });
        throw error;
      }
    },

    async existence(domain) {
      try {
        await resolver.resolveMx(domain);
        return 'exists';
      } catch (error) {
        const code = codeOf(error);
        if (NO_RECORDS.has(code)) return 'exists';
        if (NO_SUCH_NAME.has(code)) return 'missing';
        logger.warn('DNS could not tell whether a domain exists', { domain, code });
        return 'unknown';
      }
    },
  };
}
