import { mxPointsAtProvider } from '../domain/domain-dns.ts';
import {
  ConflictError,
  InsufficientCreditError,
  NotFoundError,
  ResellerOnlyError,
  ValidationError,
} from '../domain/errors.ts';
import { addYears } from '../domain/mailbox.ts';
import {
  DOMAIN_CERTIFICATION_YEARLY_CENTS,
  domainCertificationProblem,
  domainDebitOf,
  domainOfAddress,
  type ResellerDomain,
  toPublicDomain,
} from '../domain/reseller-domains.ts';
import type { DnsResolver, ResellerDomainRepository, ResellerRepository } from './ports.ts';

export interface ResellerDomainDeps {
  resellers: Pick<ResellerRepository, 'get'>;
  domains: ResellerDomainRepository;
  dns: Pick<DnsResolver, 'existence' | 'mx'>;
}

export interface ResellerDomainSettings {
  /** The provider's mail exchangers, which a certified domain's MX records must point at. */
  providerMxHosts: string[];
}

type PublicDomain = ReturnType<typeof toPublicDomain>;

const domainField = (message: string) => [{ path: 'domain', message }];

/**
 * POST /reseller/domains: a reseller asks to certify a domain it controls.
 * 1. the caller must be a reseller (a storefront's key: `403 reseller_only`);
 * 2. a generic PEC domain, a public mail provider's or a name DNS says does not exist is `400` naming `domain`;
 * 3. in one transaction: the domain (pending), its first year's debit, the balance lowered (never below
 *    zero: else `402 insufficient_credit`, nothing written); a domain another reseller holds is `409`;
 * 4. the MX records are checked at once: already pointing at the provider, the domain is certified.
 * The same reseller asking again for its own domain gets it as it is (nothing debited twice).
 */
export async function requestDomainCertification(
  deps: ResellerDomainDeps,
  settings: ResellerDomainSettings,
  resellerId: string,
  domainName: string,
  now: Date,
): Promise<{ domain: PublicDomain; created: boolean }> {
  const reseller = await deps.resellers.get(resellerId);
  if (!reseller) throw new ResellerOnlyError();
  const problem = domainCertificationProblem(domainName);
  if (problem) throw new ValidationError(domainField(problem));
  const existing = await deps.domains.get(domainName);
  if (existing?.resellerId === resellerId) return { domain: toPublicDomain(existing), created: false };
  if (existing) throw domainTaken(domainName);
  if ((await deps.dns.existence(domainName)) === 'missing') {
    throw new ValidationError(
      domainField(`The domain "${domainName}" does not exist in DNS: register it first, or check its spelling.`),
    );
  }

  const domain: ResellerDomain = {
    domain: domainName,
    resellerId,
    status: 'pending_dns',
    priceCents: DOMAIN_CERTIFICATION_YEARLY_CENTS,
    requestedAt: now.toISOString(),
    expiresAt: addYears(now, 1).toISOString(),
  };
  const requested = await deps.domains.request(domain, domainDebitOf(domain, now));
  if (requested === 'domain_taken') {
    // A concurrent request (this reseller's, or another's) wrote it first.
    const winner = await deps.domains.get(domainName);
    if (winner?.resellerId === resellerId) return { domain: toPublicDomain(winner), created: false };
    throw domainTaken(domainName);
  }
  if (requested === 'insufficient_credit') {
    const balance = (await deps.resellers.get(resellerId))?.balanceCents ?? 0;
    throw new InsufficientCreditError(domain.priceCents, balance);
  }
  if (requested === 'no_reseller') throw new ResellerOnlyError();
  return { domain: toPublicDomain(await certifyIfReady(deps, settings, domain, now)), created: true };
}

/**
 * POST /reseller/domains/{domain}/dns-check: the reseller says the MX records are set; the domain is
 * checked now and certified when they point at the provider. Another reseller's domain is not found.
 */
export async function checkDomainCertification(
  deps: ResellerDomainDeps,
  settings: ResellerDomainSettings,
  resellerId: string,
  domainName: string,
  now: Date,
): Promise<PublicDomain> {
  if (!(await deps.resellers.get(resellerId))) throw new ResellerOnlyError();
  const domain = await deps.domains.get(domainName);
  if (domain?.resellerId !== resellerId) throw new NotFoundError(`Domain ${domainName}`, 'domain_not_found');
  return toPublicDomain(await certifyIfReady(deps, settings, domain, now));
}

/** GET /reseller/domains: the reseller's domains with their status, newest first. */
export async function listResellerDomains(
  deps: Pick<ResellerDomainDeps, 'resellers' | 'domains'>,
  resellerId: string,
): Promise<{ domains: PublicDomain[] }> {
  if (!(await deps.resellers.get(resellerId))) throw new ResellerOnlyError();
  return { domains: (await deps.domains.list(resellerId)).map(toPublicDomain) };
}

/**
 * A reseller's mailbox on its own domain: allowed only on a domain the reseller has certified
 * (`409 domain_not_certified` naming `mailbox.address` otherwise, also for a domain another reseller
 * holds). Such a mailbox shares the domain's certification: it activates without a DNS wait.
 */
export async function assertCertifiedDomain(
  domains: Pick<ResellerDomainRepository, 'get'>,
  resellerId: string,
  address: string,
): Promise<void> {
  const name = domainOfAddress(address);
  const domain = await domains.get(name);
  if (domain?.resellerId === resellerId && domain.status === 'certified') return;
  const message =
    domain?.resellerId === resellerId
      ? `The domain ${name} is not certified yet: point its MX records at the provider, then POST /reseller/domains/${name}/dns-check.`
      : `The domain ${name} is not one of your certified domains: certify it first (POST /reseller/domains).`;
  throw new ConflictError('domain_not_certified', message, [{ path: 'mailbox.address', message }]);
}

/** A pending domain whose MX records point at the provider becomes certified; a resolver failure is records still missing. */
async function certifyIfReady(
  deps: ResellerDomainDeps,
  settings: ResellerDomainSettings,
  domain: ResellerDomain,
  now: Date,
): Promise<ResellerDomain> {
  if (domain.status === 'certified') return domain;
  const records = await deps.dns.mx(domain.domain).catch(() => []);
  if (!mxPointsAtProvider(records, settings.providerMxHosts)) return domain;
  return (await deps.domains.certify(domain.domain, now)) ?? domain;
}

const domainTaken = (domain: string) =>
  new ConflictError('domain_taken', `The domain ${domain} is certified (or being certified) by another reseller.`, [
    { path: 'domain', message: `The domain ${domain} is held by another reseller.` },
  ]);
