import * as z from 'zod';
import { httpHandler, pathParameter, storefrontOf, withPathParameters } from '../adapters/http/http-handler.ts';
import { resellerDomainDeps } from '../adapters/reseller-domain-deps.ts';
import { checkDomainCertification } from '../use-cases/reseller-domains.ts';

const { deps, settings } = resellerDomainDeps();
const event = withPathParameters(z.object({ domain: pathParameter(z.string().trim().toLowerCase().min(3).max(253)) }));

/** POST /reseller/domains/{domain}/dns-check: checks the domain's MX records now; certified once they point at the provider. */
export const handler = httpHandler(event, async (request) => ({
  status: 200,
  body: await checkDomainCertification(
    deps,
    settings,
    storefrontOf(request),
    request.pathParameters.domain,
    new Date(),
  ),
}));
