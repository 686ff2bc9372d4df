import { describe, expect, it } from 'vitest';
import { catalog } from '../../functions/domain/catalog.ts';
import {
  BYTES_PER_GB,
  choiceRefusal,
  NO_EXTRA_GB,
  type PlanChoice,
  quotaOf,
  renewalChoice,
  shrinks,
  usageRefusal,
} from '../../functions/domain/renewal-plan.ts';
import { RenewalRequestSchema } from '../../functions/domain/schemas.ts';
import { orderTotals } from '../../functions/domain/totals.ts';

const plain = (type: PlanChoice['type'], mailbox = 0, archive = 0): PlanChoice => ({
  type,
  extraGb: { mailbox, archive },
});
const used = (mailboxGb: number, archiveGb = 0) => ({
  mailboxBytes: Math.round(mailboxGb * BYTES_PER_GB),
  archiveBytes: Math.round(archiveGb * BYTES_PER_GB),
});

describe('renewalChoice', () => {
  it('keeps the plan and the extra GB the mailbox has when the renewal names neither', () => {
    expect(renewalChoice({ type: 'pro', extraGb: { mailbox: 2, archive: 5 } }, {})).toEqual(plain('pro', 2, 5));
    expect(renewalChoice({ type: 'standard' }, {})).toEqual(plain('standard'));
  });

  it('takes the plan and the extra GB asked for', () => {
    expect(renewalChoice({ type: 'standard' }, { type: 'premium', extraGb: { mailbox: 1, archive: 4 } })).toEqual(
      plain('premium', 1, 4),
    );
  });

  it('drops the extra archive GB with the archive on a downgrade to Standard, keeping the extra mailbox GB', () => {
    expect(renewalChoice({ type: 'pro', extraGb: { mailbox: 3, archive: 5 } }, { type: 'standard' })).toEqual(
      plain('standard', 3, 0),
    );
  });
});

describe('quotaOf', () => {
  it("adds the extra GB to the plan's space", () => {
    expect(quotaOf(plain('pro', 2, 5))).toEqual({ mailboxGb: 4, archiveGb: 8 });
    expect(quotaOf(plain('standard'))).toEqual({ mailboxGb: 1, archiveGb: 0 });
  });
});

describe('choiceRefusal', () => {
  it('allows upgrades, downgrades and extra GB on a generic-domain mailbox', () => {
    for (const choice of [plain('pro'), plain('premium', 3, 10), plain('standard', 4)]) {
      expect(choiceRefusal({ domainPec: false }, choice)).toBeUndefined();
    }
  });

  it('refuses extra archive GB on a plan without an archive, naming extraGb.archive', () => {
    expect(choiceRefusal({ domainPec: false }, plain('standard', 0, 1))).toMatchObject({
      code: 'archive_not_available',
      path: 'extraGb.archive',
    });
  });

  it("keeps PEC on the holder's own domain Standard and not expandable", () => {
    expect(choiceRefusal({ domainPec: true }, plain('pro'))).toMatchObject({
      code: 'plan_not_available',
      path: 'type',
    });
    expect(choiceRefusal({ domainPec: true }, plain('standard', 1))).toMatchObject({
      code: 'plan_not_available',
      path: 'extraGb',
    });
    expect(choiceRefusal({ domainPec: true }, plain('standard'))).toBeUndefined();
  });
});

describe('shrinks', () => {
  it('is true for a downgrade or fewer extra GB, false for an upgrade or the same room', () => {
    expect(shrinks(plain('pro'), plain('standard'))).toBe(true);
    expect(shrinks(plain('premium'), plain('pro'))).toBe(true);
    expect(shrinks(plain('pro', 2), plain('pro'))).toBe(true);
    expect(shrinks(plain('standard'), plain('pro'))).toBe(false);
    expect(shrinks(plain('pro', 1, 1), plain('pro', 1, 1))).toBe(false);
    // Premium's archive is larger, its mailbox the same: no room lost.
    expect(shrinks(plain('pro'), plain('premium'))).toBe(false);
  });
});

describe('usageRefusal', () => {
  it('accepts a downgrade to Standard when the mailbox fits in 1 GB and the archive is empty', () => {
    expect(usageRefusal(plain('pro'), plain('standard'), used(0.9, 0))).toBeUndefined();
  });

  it('refuses a downgrade to Standard while the archive holds anything: it would be dropped', () => {
    const refusal = usageRefusal(plain('pro'), plain('standard'), { mailboxBytes: 0, archiveBytes: 1 });
    expect(refusal).toMatchObject({ code: 'archive_in_use', path: 'type' });
    expect(refusal?.message).toContain('no archive');
  });

  it('refuses a downgrade when the mailbox holds more than the new plan, saying how much', () => {
    const refusal = usageRefusal(plain('pro'), plain('standard'), used(1.5));
    expect(refusal).toMatchObject({ code: 'space_in_use_exceeds_plan', path: 'type' });
    expect(refusal?.message).toContain('1.5 GB');
    // Extra mailbox GB bought with the downgrade make it fit.
    expect(usageRefusal(plain('pro'), plain('standard', 1), used(1.5))).toBeUndefined();
  });

  it('refuses Premium to Pro when the archive holds more than Pro keeps', () => {
    expect(usageRefusal(plain('premium'), plain('pro'), used(1, 5))).toMatchObject({
      code: 'space_in_use_exceeds_plan',
      path: 'type',
    });
    expect(usageRefusal(plain('premium'), plain('pro', 0, 2), used(1, 5))).toBeUndefined();
  });

  it('names the extra GB given up when the plan stays the same', () => {
    expect(usageRefusal(plain('pro', 2), plain('pro'), used(3))).toMatchObject({ path: 'extraGb.mailbox' });
    expect(usageRefusal(plain('pro', 0, 4), plain('pro'), used(1, 6))).toMatchObject({ path: 'extraGb.archive' });
  });

  it('counts exactly the quota as fitting', () => {
    expect(usageRefusal(plain('pro'), plain('standard'), used(1))).toBeUndefined();
    expect(
      usageRefusal(plain('pro'), plain('standard'), { mailboxBytes: BYTES_PER_GB + 1, archiveBytes: 0 }),
    ).toMatchObject({
      code: 'space_in_use_exceeds_plan',
    });
  });
});

describe('orderTotals with extra GB', () => {
  const { mailboxYearlyNetCentsPerGb, archiveYearlyNetCentsPerGb } = catalog.extraGb;

  it('prices each extra GB per year by the catalog, on top of the plan', () => {
    // Pro 2500 + 3 × 100 + 4 × 50 = 3000 a year; 2 years = 6000 net, 1320 VAT.
    expect(mailboxYearlyNetCentsPerGb).toBe(100);
    expect(archiveYearlyNetCentsPerGb).toBe(50);
    expect(orderTotals('pro', 2, { mailbox: 3, archive: 4 })).toEqual({
      netCents: 6000,
      vatCents: 1320,
      grossCents: 7320,
    });
  });

  it('is the plan alone without extra GB', () => {
    expect(orderTotals('standard', 1, NO_EXTRA_GB)).toEqual(orderTotals('standard', 1));
    expect(orderTotals('standard', 1)).toEqual({ netCents: 500, vatCents: 110, grossCents: 610 });
  });

  it('refuses a fractional or negative number of GB', () => {
    expect(() => orderTotals('pro', 1, { mailbox: 1.5, archive: 0 })).toThrow(RangeError);
    expect(() => orderTotals('pro', 1, { mailbox: 0, archive: -1 })).toThrow(RangeError);
  });
});

describe('RenewalRequestSchema', () => {
  const payment = { method: 'bank_transfer' };

  it('takes a plan, extra GB (missing counts default to 0) and a billing identifier', () => {
    expect(
      RenewalRequestSchema.parse({
        years: 1,
        payment,
        type: 'pro',
        extraGb: { archive: 2 },
        billing: { pecAddress: 'fatture@pec.it' },
      }),
    ).toEqual({
      years: 1,
      payment,
      type: 'pro',
      extraGb: { mailbox: 0, archive: 2 },
      billing: { pecAddress: 'fatture@pec.it' },
    });
    expect(RenewalRequestSchema.parse({ years: 1, payment })).toEqual({ years: 1, payment });
  });

  it('refuses extra archive GB with the Standard plan, naming extraGb.archive, with the other mistakes', () => {
    const result = RenewalRequestSchema.safeParse({
      years: 9,
      payment,
      type: 'standard',
      extraGb: { mailbox: 1, archive: 3 },
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['years', 'extraGb.archive']));
  });

  it.each([
    [{ type: 'gold' }, 'type'],
    [{ extraGb: { mailbox: -1 } }, 'extraGb.mailbox'],
    [{ extraGb: { archive: 1.5 } }, 'extraGb.archive'],
    [{ extraGb: { mailbox: 101 } }, 'extraGb.mailbox'],
    [{ billing: { recipientCode: 'ABC' } }, 'billing.recipientCode'],
    [{ billing: {} }, 'billing'],
  ])('refuses %j, naming %s', (fields, path) => {
    const result = RenewalRequestSchema.safeParse({ years: 1, payment, ...fields });
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });
});
