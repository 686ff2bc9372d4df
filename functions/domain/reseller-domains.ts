import { ownDomainProblem } from './address.ts';
import { type CreditMovement, movementIdOf } from './reseller-credit.ts';

/*
 * A reseller's certified domain: the reseller may activate mailboxes on it once its MX records point
 * at the provider's exchangers (the same rule as PEC on a holder's own domain, `mxPointsAtProvider`).
 * It is paid for a year at a time from the reseller's credit, like a mailbox: the debit is written in
 * the same transaction as the certification request, so a domain is never pending unpaid.
 */

export const DOMAIN_STATUSES = ['pending_dns', 'certified'] as const;
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
});
