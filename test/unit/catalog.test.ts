import { describe, expect, it } from 'vitest';
import { catalog, isAllowedYears, isGenericDomain, MAILBOX_TYPES, planFor } from '../../functions/domain/catalog.ts';

describe('catalog', () => {
  it('sells PEC on the eight generic domains', () => {
    expect([...catalog.domains].sort()).toEqual([
      'arubapec.it',
      'casellapec.com',
      'gigapec.it',
      'mypec.eu',
      'pec.cloud',
      'pec.it',
      'pecaruba.it',
      'pecditta.com',
    ]);
  });

  it('has the three plans, cheapest first', () => {
    expect(MAILBOX_TYPES).toEqual(['standard', 'pro', 'premium']);
    expect(catalog.plans).toEqual([
      { type: 'standard', mailboxGb: 1, archiveGb: 0, yearlyNetCents: 500 },
      { type: 'pro', mailboxGb: 2, archiveGb: 3, yearlyNetCents: 2500 },
      { type: 'premium', mailboxGb: 2, archiveGb: 8, yearlyNetCents: 4000 },
    ]);
  });

  it('allows 1 to 5 years and prices extra space per GB and year', () => {
    expect(catalog.years).toEqual([1, 2, 3, 4, 5]);
    expect(catalog.extraGb).toEqual({ mailboxYearlyNetCentsPerGb: 100, archiveYearlyNetCentsPerGb: 50 });
    expect(isAllowedYears(5)).toBe(true);
    expect(isAllowedYears(6)).toBe(false);
    expect(isAllowedYears(0)).toBe(false);
  });

  it('names the general contract conditions in force: their version and the document to read', () => {
    expect(catalog.terms).toEqual({
      version: '2026-01',
      url: 'https://pec.example.com/condizioni-generali/2026-01',
    });
    expect(Object.isFrozen(catalog.terms)).toBe(true);
  });

  it('cannot be changed by a caller', () => {
    expect(Object.isFrozen(catalog)).toBe(true);
    expect(Object.isFrozen(catalog.domains)).toBe(true);
    expect(Object.isFrozen(catalog.plans[0])).toBe(true);
    expect(() => (catalog.domains as string[]).push('evil.it')).toThrow(TypeError);
  });
});

describe('planFor', () => {
  it('finds each plan', () => {
    expect(planFor('standard').yearlyNetCents).toBe(500);
    expect(planFor('pro').archiveGb).toBe(3);
    expect(planFor('premium').archiveGb).toBe(8);
  });

  it('throws for a type that is not on sale', () => {
    expect(() => planFor('gold' as never)).toThrow(RangeError);
  });
});

describe('isGenericDomain', () => {
  it.each(['pec.it', 'arubapec.it', 'PEC.IT', ' pecditta.com '])('recognises %j', (domain) => {
    expect(isGenericDomain(domain)).toBe(true);
  });

  it.each(['example.com', 'sub.pec.it', 'pec', '', 'pec.it.evil.com'])('rejects %j', (domain) => {
    expect(isGenericDomain(domain)).toBe(false);
  });
});
