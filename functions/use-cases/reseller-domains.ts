import { type DnsPollPolicy, mxPointsAtProvider, nextDnsPollSeconds } from '../domain/domain-dns.ts';
import {
  ConflictError,
  DnsCheckRequestedError,
  DomainNotConfiguredError,
  InsufficientCreditError,
  NotFoundError,
  ResellerOnlyError,
  RetryLaterError,
  ValidationError,
} from '../domain/errors.ts';
import { addYears } from '../domain/mailbox.ts';
import {
  domainCertificationProblem,
  domainDebitOf,
  domainOfAddress,
  domainYearCents,
  isHostedWithProvider,
  type ResellerDomain,
  toPublicDomain,
} from '../domain/reseller-domains.ts';
import type {
  DnsResolver,
  DomainWaitStarter,
  ResellerDomainRepository,
  ResellerRepository,
  WorkflowCallbacks,
} from './ports.ts';

export interface ResellerDomainDeps {
  resellers: Pick<ResellerRepository, 'get'>;
  domains: ResellerDomainRepository;
  dns: Pick<DnsResolver, 'existence' | 'mx' | 'ns'>;
  /** Starts the background wait of a pending domain for its MX records. */
  waits: DomainWaitStarter;
  /** Ends a waiting execution's wait early (check-now). */
  callbacks: Pick<WorkflowCallbacks, 'succeed'>;
}

export interface ResellerDomainSettings {
  /** The provider's mail exchangers, which a certified domain's MX records must point at. */
  providerMxHosts: string[];
  /** The provider's name servers: a domain delegated only to them is hosted with the provider, and certified free. */
  hostedNameServers: string[];
}

type PublicDomain = ReturnType<typeof toPublicDomain>;

const domainField = (message: string) => [{ path: 'domain', message }];

/**
 * POST /reseller/domains: a reseller asks to certify a domain it controls.
 * 1. the caller must be a reseller (a storefront's key: `403 reseller_only`);
 * 2. a generic PEC domain, a public mail provider's or a name DNS says does not exist is `400` naming `domain`;
 * 3. priced by its NS records: free when they are all the provider's name servers (hosted), else yearly;
 * 4. in one transaction: the domain (pending), its first year's debit (none when free), the balance
 *    lowered (never below zero: else `402 insufficient_credit`, nothing written); a domain another
 *    reseller holds is `409`;
 * 5. the MX records are checked at once: already pointing at the provider, the domain is certified;
 *    else the background wait (a workflow polling with backoff) is started.
 * The same reseller asking again for its own domain gets it as it is (nothing debited twice; a
 * pending one's wait is made sure to run).
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
  if (existing?.resellerId === resellerId)
    return { domain: toPublicDomain(await waitIfPending(deps, existing)), created: false };
  if (existing) throw domainTaken(domainName);
  if ((await deps.dns.existence(domainName)) === 'missing') {
    throw new ValidationError(
      domainField(`The domain "${domainName}" does not exist in DNS: register it first, or check its spelling.`),
    );
  }
  const nameServers = await deps.dns.ns(domainName).catch(() => {
    // Never priced on a guess: a resolver failure is not "not hosted".
    throw new RetryLaterError(`DNS could not tell the name servers of ${domainName}: try again shortly.`);
  });

  const domain: ResellerDomain = {
    domain: domainName,
    resellerId,
    status: 'pending_dns',
    priceCents: domainYearCents(isHostedWithProvider(nameServers, settings.hostedNameServers)),
    requestedAt: now.toISOString(),
    expiresAt: addYears(now, 1).toISOString(),
  };
  const requested = await deps.domains.request(domain, domain.priceCents > 0 ? domainDebitOf(domain, now) : undefined);
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
  const checked = await certifyIfReady(deps, settings, domain, now);
  return { domain: toPublicDomain(await waitIfPending(deps, checked)), created: true };
}

/** A domain still pending gets its background wait (started once: the execution is named after the domain). */
async function waitIfPending(deps: Pick<ResellerDomainDeps, 'waits'>, domain: ResellerDomain): Promise<ResellerDomain> {
  if (domain.status === 'pending_dns') await deps.waits.startDomainWait(domain.domain);
  return domain;
}

/**
 * POST /reseller/domains/{domain}/dns-check: the reseller says the MX records are set; the domain is
 * checked now and certified when they point at the provider. Another reseller's domain is not found.
 * The background wait, if one is waiting, is woken too (as the own-domain check-now does): it checks
 * at once, finds the domain certified and ends, instead of sleeping out its backoff.
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
  const checked = await certifyIfReady(deps, settings, domain, now);
  if (domain.status === 'pending_dns') {
    const wait = await deps.domains.requestDnsCheck(domainName);
    if (wait?.taskToken) await deps.callbacks.succeed(wait.taskToken, { dnsCheckRequested: true });
  }
  return toPublicDomain(checked);
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
export async function certifyIfReady(
  deps: Pick<ResellerDomainDeps, 'dns' | 'domains'>,
  settings: Pick<ResellerDomainSettings, 'providerMxHosts'>,
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

/** What the background wait's check answers: certified (the wait ends), or how long to wait before the next check. */
export type DomainWaitCheck = { ready: true } | { ready: false; waitSeconds: number };

export interface DomainWaitSettings {
  providerMxHosts: string[];
  /** How long after its request a domain is waited for (`pec:domainDnsDeadlineDays`, as own-domain PEC). */
  deadlineSeconds: number;
  poll: DnsPollPolicy;
}

/**
 * The certification workflow's CheckResellerDomain state (workflows/domain-certification.ts): the
 * same backoff and deadline as own-domain PEC's CheckDomainDns. A domain no longer pending
 * (certified by the check-now route, or lapsed) ends the wait; one whose MX records point at the
 * provider is certified; past the deadline the wait ends with DomainNotConfiguredError (the domain
 * stays pending, paid for its year: the check-now route still certifies it); else the next wait.
 */
export async function checkPendingDomain(
  deps: Pick<ResellerDomainDeps, 'dns' | 'domains'>,
  settings: DomainWaitSettings,
  input: { domain: string; previousWaitSeconds?: number | undefined },
  now: Date,
): Promise<DomainWaitCheck> {
  const domain = await deps.domains.get(input.domain);
  if (!domain) throw new DomainNotConfiguredError(`There is no domain ${input.domain} to wait for.`);
  if (domain.status !== 'pending_dns') return { ready: true };
  await deps.domains.startDnsCheck(domain.domain);
  if ((await certifyIfReady(deps, settings, domain, now)).status !== 'pending_dns') return { ready: true };
  const deadline = Date.parse(domain.requestedAt) + settings.deadlineSeconds * 1000;
  if (now.getTime() > deadline) {
    throw new DomainNotConfiguredError(
      `The MX records of ${domain.domain} did not point at the provider by ${new Date(deadline).toISOString()}.`,
    );
  }
  const secondsLeft = (deadline - now.getTime()) / 1000;
  return { ready: false, waitSeconds: nextDnsPollSeconds(input.previousWaitSeconds, settings.poll, secondsLeft) };
}

/**
 * The certification workflow's WaitForDomainDns state (a callback whose timeout is the backoff):
 * keeps the task token on the domain, where the check-now route finds it to end the wait early. A
 * check asked for since the last check began, or a domain no longer pending, means checking again
 * at once (DnsCheckRequestedError, which the workflow catches).
 */
export async function awaitPendingDomain(
  deps: Pick<ResellerDomainDeps, 'domains'>,
  domain: string,
  taskToken: string,
): Promise<void> {
  const saved = await deps.domains.saveDnsTaskToken(domain, taskToken);
  if (saved !== 'saved') throw new DnsCheckRequestedError(`The domain ${domain} is to be checked again now.`);
}
