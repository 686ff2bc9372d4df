import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VAT_RATE_PERCENT } from '../../functions/domain/catalog.ts';
import { orderTotals, totalsFromNet } from '../../functions/domain/totals.ts';

/** VAT by BigInt arithmetic, rounding by comparing the remainder: a different route to the same rule. */
function oracleVat(netCents: number): number {
  const hundredths = BigInt(netCents) * 22n;
  const whole = hundredths / 100n;
  return Number(hundredths % 100n >= 50n ? whole + 1n : whole);
}

describe('totalsFromNet', () => {
  it('is 22%', () => {
    expect(VAT_RATE_PERCENT).toBe(22);
    expect(totalsFromNet(500)).toEqual({ netCents: 500, vatCents: 110, grossCents: 610 });
    expect(totalsFromNet(0)).toEqual({ netCents: 0, vatCents: 0, grossCents: 0 });
  });

  it.each([
    [25, 6], // 5.50 -> 6: exactly half a cent rounds up
    [75, 17], // 16.50 -> 17
    [2, 0], // 0.44 -> 0
    [3, 1], // 0.66 -> 1
    [1, 0], // 0.22 -> 0
    [24, 5], // 5.28 -> 5
    [125, 28], // 27.50 -> 28
    [199, 44], // 43.78 -> 44
  ])('rounds the VAT of %i cents half-up to %i', (net, vat) => {
    expect(totalsFromNet(net)).toEqual({ netCents: net, vatCents: vat, grossCents: net + vat });
  });

  it('equals an independent BigInt computation for any amount', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.maxSafeNat()), (net) => {
        fc.pre(net * 22 + 50 <= Number.MAX_SAFE_INTEGER);
        const totals = totalsFromNet(net);
        expect(totals.vatCents).toBe(oracleVat(net));
        expect(totals.grossCents).toBe(totals.netCents + totals.vatCents);
      }),
    );
  });

  it('computes the largest accepted amount exactly', () => {
    const net = Math.floor((Number.MAX_SAFE_INTEGER - 50) / 22);
    expect(totalsFromNet(net).vatCents).toBe(oracleVat(net));
    expect(() => totalsFromNet(net + 1)).toThrow(RangeError);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses %d cents', (net) => {
    expect(() => totalsFromNet(net)).toThrow(RangeError);
  });
});

describe('orderTotals', () => {
  it.each([
    ['standard', 1, { netCents: 500, vatCents: 110, grossCents: 610 }],
    ['standard', 3, { netCents: 1500, vatCents: 330, grossCents: 1830 }],
    ['pro', 1, { netCents: 2500, vatCents: 550, grossCents: 3050 }],
    ['pro', 2, { netCents: 5000, vatCents: 1100, grossCents: 6100 }],
    ['premium', 1, { netCents: 4000, vatCents: 880, grossCents: 4880 }],
    ['premium', 5, { netCents: 20000, vatCents: 4400, grossCents: 24400 }],
  ] as const)('prices %s for %i year(s)', (type, years, totals) => {
    expect(orderTotals(type, years)).toEqual(totals);
  });

  it.each([0, 6, 1.5, -1])('refuses %d years', (years) => {
    expect(() => orderTotals('standard', years)).toThrow(RangeError);
  });
});
