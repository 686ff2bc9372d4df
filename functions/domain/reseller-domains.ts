import { ownDomainProblem } from './address.ts';
import { addYears } from './mailbox.ts';
import { GRACE_DAYS } from './renewal-policy.ts';
import { type CreditMovement, movementIdOf } from './reseller-credit.ts';

/*
 * A reseller's certified domain: the reseller may activate mailboxes on it once its MX records point
 * at the provider's exchangers (the same rule as PEC on a holder's own domain, `mxPointsAtProvider`).
 * It is paid for a year at a time from the reseller's credit, like a mailbox: the debit is written in
 * the same transaction as the certification request, so a domain is never pending unpaid.
 */

export const DOMAIN_STATUSES = ['pending_dns', 'certified', 'lapsed'] as const;
export type DomainStatus = (typeof DOMAIN_STATUSES)[number];

/** The yearly price of a certified domain not hosted with the provider: 15 euro, net of VAT. */
export const DOMAIN_CERTIFICATION_YEARLY_CENTS = 1500;

export interface ResellerDomain {
  domain: string;
  resellerId: string;
  status: DomainStatus;
  /** What the year cost (0 when the domain is hosted with the provider). */
  priceCents: number;
  requestedAt: string;
  certifiedAt?: string;
  /** The end of the year paid for: renewed from credit like a mailbox. */
  expiresAt: string;
  /** The renewal stages done, each `<expiresAt>#<stage>` (`domainStageKey`). */
  stagesDone?: Set<string>;
  /** When the certification lapsed (not renewed by its expiry): its mailboxes were suspended. */
  lapsedAt?: string;
  /** When a lapsed domain's mailboxes were deleted, at the end of the grace period. */
  purgedAt?: string;
}

/**
 * Why a reseller cannot certify `domain` (a generic PEC domain or under one, a public mail provider's,
 * not a hostname), or undefined when it can.
 */
export const domainCertificationProblem = (domain: string): string | undefined => ownDomainProblem(domain);

/** The reference of a domain's yearly debit: one per domain and year paid. */
export const domainDebitReference = (domain: string, expiresAt: string) => `domain:${domain}:${expiresAt.slice(0, 10)}`;

/** The debit of a year of certification. */
export const domainDebitOf = (domain: ResellerDomain, at: Date): CreditMovement => ({
  movementId: movementIdOf('debit', domainDebitReference(domain.domain, domain.expiresAt)),
  kind: 'debit',
  amountCents: domain.priceCents,
  at: at.toISOString(),
});

/**
 * A domain is hosted with the provider when DNS delegates it to the provider's name servers: at
 * least one NS record, and every one among `hostedNameServers` (a domain delegated half elsewhere
 * is not hosted). Its certification is then free.
 */
export function isHostedWithProvider(nameServers: readonly string[], hostedNameServers: readonly string[]): boolean {
  const normalize = (host: string) => host.trim().toLowerCase().replace(/\.$/, '');
  const ours = new Set(hostedNameServers.map(normalize).filter(Boolean));
  return nameServers.length > 0 && nameServers.every((host) => ours.has(normalize(host)));
}

/** A year's price: free for a domain hosted with the provider, else the yearly price. */
export const domainYearCents = (hosted: boolean) => (hosted ? 0 : DOMAIN_CERTIFICATION_YEARLY_CENTS);

/*
 * The yearly renewal, as the renewal sweep applies it (times passed in, like the mailbox policy):
 * a certified domain is renewed from credit 30 days before expiry, and while the credit is short
 * the reseller is emailed and the renewal tried again 14, 7, 3 and 1 days before; not renewed by its
 * expiry, the certification lapses and its mailboxes are suspended (receive-only); after the grace
 * period (90 days, as an expired mailbox's) they are deleted.
 */

const DAY_MS = 24 * 3600 * 1000;
/** The renewal is tried this many days before expiry: the first attempt, then its retries. */
export const DOMAIN_RENEWAL_DAYS_BEFORE = [30, 14, 7, 3, 1] as const;

export type DomainStage =
  | { kind: 'renew'; attempt: number }
  | { kind: 'lapse' }
  /** The lapsed domain's mailboxes are deleted. */
  | { kind: 'purge' };

export type DomainSweepAction = DomainStage | { kind: 'none' };

/** A stage's name: `renew-1`...`renew-5`, `lapse`, `purge`. */
export const domainStageName = (stage: DomainStage) => (stage.kind === 'renew' ? `renew-${stage.attempt}` : stage.kind);

/** One stage of one term, as the domain records it once done. */
export const domainStageKey = (expiresAt: string, stage: DomainStage) => `${expiresAt}#${domainStageName(stage)}`;

/** The stages still ahead of the domain in its current term, in time order. */
export function pendingDomainStages(domain: ResellerDomain): { stage: DomainStage; at: Date }[] {
  const expiry = Date.parse(domain.expiresAt);
  if (domain.status === 'lapsed') {
    return domain.purgedAt ? [] : [{ stage: { kind: 'purge' }, at: new Date(expiry + GRACE_DAYS * DAY_MS) }];
  }
  // A pending domain has nothing to renew: it is certified first (or stays pending, paid for its year).
  if (domain.status !== 'certified') return [];
  const stages: { stage: DomainStage; at: Date }[] = [
    ...DOMAIN_RENEWAL_DAYS_BEFORE.map((days, index) => ({
      stage: { kind: 'renew', attempt: index + 1 } as DomainStage,
      at: new Date(expiry - days * DAY_MS),
    })),
    { stage: { kind: 'lapse' }, at: new Date(expiry) },
  ];
  const prefix = `${domain.expiresAt}#`;
  const done = new Set([...(domain.stagesDone ?? [])].filter((key) => key.startsWith(prefix)));
  const lastDone = stages.reduce(
    (latest, entry) => (done.has(domainStageKey(domain.expiresAt, entry.stage)) ? entry.at.getTime() : latest),
    -Infinity,
  );
  return stages.filter((entry) => entry.at.getTime() > lastDone);
}

/**
 * What the sweep does with the domain at `at`: the latest stage reached (a sweep that first sees the
 * domain 10 days before expiry tries the 14-day renewal once, not every earlier one).
 */
export function domainSweepAction(domain: ResellerDomain, at: Date): DomainSweepAction {
  const reached = pendingDomainStages(domain).filter((entry) => entry.at.getTime() <= at.getTime());
  return reached.at(-1)?.stage ?? { kind: 'none' };
}

/** When the sweep must next look at the domain (its due-day index entry), or undefined. */
export const nextDomainSweepAt = (domain: ResellerDomain): Date | undefined => pendingDomainStages(domain)[0]?.at;

/** The expiry after a renewal: a year after the current one. */
export const renewedExpiry = (expiresAt: string): string => addYears(new Date(expiresAt), 1).toISOString();

/** The due-day index names a domain as `DOMAIN#<domain>` beside the mailbox addresses. */
export const DOMAIN_DUE_PREFIX = 'DOMAIN#';
export const domainDueItem = (domain: string) => `${DOMAIN_DUE_PREFIX}${domain}`;

/** The domain of a mailbox address. */
export const domainOfAddress = (address: string) => address.slice(address.lastIndexOf('@') + 1);

/** The contract's view of a certified domain. */
export const toPublicDomain = (domain: ResellerDomain) => ({
  domain: domain.domain,
  status: domain.status,
  priceCents: domain.priceCents,
  requestedAt: domain.requestedAt,
  expiresAt: domain.expiresAt,
  ...(domain.certifiedAt ? { certifiedAt: domain.certifiedAt } : {}),
  ...(domain.lapsedAt ? { lapsedAt: domain.lapsedAt } : {}),
});
