import { describe, expect, it } from 'vitest';
import {
  DOMAIN_RENEWAL_DAYS_BEFORE,
  type DomainStage,
  domainStageKey,
  domainSweepAction,
  domainYearCents,
  isHostedWithProvider,
  nextDomainSweepAt,
  type ResellerDomain,
  renewedExpiry,
} from '../../functions/domain/reseller-domains.ts';

/*
 * The pure rules of a reseller's certified domain: hosted with the provider (free), and the yearly
 * schedule the renewal sweep reads: renewal attempts 30, 14, 7, 3 and 1 days before expiry, lapse at
 * expiry, the mailboxes deleted 90 days later.
 */

const NS = ['ns1.pec.example.com', 'ns2.pec.example.com'];
const DAY = 24 * 3600 * 1000;
const expiresAt = '2027-11-23T10:00:00.000Z';
const expiry = Date.parse(expiresAt);
const at = (days: number) => new Date(expiry + days * DAY);

const domain = (overrides: Partial<ResellerDomain> = {}): ResellerDomain => ({
  domain: 'studio.it',
  resellerId: 'r1',
  status: 'certified',
  priceCents: 1500,
  requestedAt: '2026-11-23T10:00:00.000Z',
  certifiedAt: '2026-11-23T10:00:00.000Z',
  expiresAt,
  ...overrides,
});

describe('isHostedWithProvider', () => {
  it('holds when every NS record is one of the provider name servers, case and trailing dot aside', () => {
    expect(isHostedWithProvider(['NS1.pec.example.com.', 'ns2.pec.example.com'], NS)).toBe(true);
    expect(isHostedWithProvider(['ns2.pec.example.com'], NS)).toBe(true);
  });

  it('fails for no NS records, or one delegated elsewhere too', () => {
    expect(isHostedWithProvider([], NS)).toBe(false);
    expect(isHostedWithProvider(['ns1.pec.example.com', 'ns.elsewhere.example'], NS)).toBe(false);
    expect(isHostedWithProvider(['ns1.pec.example.com'], [])).toBe(false);
  });

  it('prices a hosted year at 0 and any other at 15 euro net', () => {
    expect(domainYearCents(true)).toBe(0);
    expect(domainYearCents(false)).toBe(1500);
  });
});

describe('the yearly schedule of a certified domain', () => {
  const renew = (attempt: number): DomainStage => ({ kind: 'renew', attempt });

  it('is due first 30 days before expiry, and nothing before', () => {
    expect(nextDomainSweepAt(domain())).toEqual(at(-30));
    expect(domainSweepAction(domain(), at(-31))).toEqual({ kind: 'none' });
    expect(domainSweepAction(domain(), at(-30))).toEqual(renew(1));
  });

  it('tries each attempt in turn once the one before is done, then lapses at expiry', () => {
    let current = domain();
    for (const [index, days] of DOMAIN_RENEWAL_DAYS_BEFORE.entries()) {
      const stage = renew(index + 1);
      expect(nextDomainSweepAt(current)).toEqual(at(-days));
      expect(domainSweepAction(current, at(-days))).toEqual(stage);
      current = { ...current, stagesDone: new Set([...(current.stagesDone ?? []), domainStageKey(expiresAt, stage)]) };
    }
    expect(nextDomainSweepAt(current)).toEqual(at(0));
    expect(domainSweepAction(current, at(-0.5))).toEqual({ kind: 'none' });
    expect(domainSweepAction(current, at(0))).toEqual({ kind: 'lapse' });
  });

  it('does only the latest stage reached when first seen late', () => {
    expect(domainSweepAction(domain(), at(-10))).toEqual(renew(2));
    expect(domainSweepAction(domain(), at(1))).toEqual({ kind: 'lapse' });
  });

  it('ignores the stages done for an earlier term: a renewed domain starts again from its first attempt', () => {
    const renewed = domain({
      expiresAt: renewedExpiry(expiresAt),
      stagesDone: new Set([domainStageKey(expiresAt, renew(1)), domainStageKey(expiresAt, renew(2))]),
    });
    expect(renewed.expiresAt).toBe('2028-11-23T10:00:00.000Z');
    expect(nextDomainSweepAt(renewed)).toEqual(new Date(Date.parse(renewed.expiresAt) - 30 * DAY));
  });

  it('purges a lapsed domain 90 days after expiry, once; a pending domain has nothing due', () => {
    const lapsed = domain({ status: 'lapsed', lapsedAt: expiresAt });
    expect(nextDomainSweepAt(lapsed)).toEqual(at(90));
    expect(domainSweepAction(lapsed, at(89))).toEqual({ kind: 'none' });
    expect(domainSweepAction(lapsed, at(90))).toEqual({ kind: 'purge' });
    expect(nextDomainSweepAt({ ...lapsed, purgedAt: at(90).toISOString() })).toBeUndefined();
    expect(nextDomainSweepAt(domain({ status: 'pending_dns' }))).toBeUndefined();
  });
});
