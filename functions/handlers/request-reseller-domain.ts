import { httpHandler, storefrontOf, withJsonBody } from '../adapters/http/http-handler.ts';
import { resellerDomainDeps } from '../adapters/reseller-domain-deps.ts';
import { ResellerDomainRequestSchema } from '../domain/schemas.ts';
import { requestDomainCertification } from '../use-cases/reseller-domains.ts';

const { deps, settings } = resellerDomainDeps();

/** POST /reseller/domains: certify a domain of the reseller's, its first year debited from the credit. */
export const handler = httpHandler(withJsonBody(ResellerDomainRequestSchema), async (event) => {
  const { domain, created } = await requestDomainCertification(
    deps,
    settings,
    storefrontOf(event),
    event.body.domain,
    new Date(),
  );
  return { status: created ? 201 : 200, body: domain };
});
