import * as z from 'zod';
import { httpHandler, storefrontOf, withQuery } from '../adapters/http/http-handler.ts';
import { resellerDomainTables } from '../adapters/reseller-domain-deps.ts';
import { listResellerDomains } from '../use-cases/reseller-domains.ts';

const deps = resellerDomainTables();

/** GET /reseller/domains: the reseller's domains with their status. */
export const handler = httpHandler(withQuery(z.object({})), async (event) => ({
  status: 200,
  body: await listResellerDomains(deps, storefrontOf(event)),
}));
