import { catalog, isAllowedYears, type MailboxType, planFor, VAT_RATE_PERCENT } from './catalog.ts';
import { type ExtraGb, NO_EXTRA_GB } from './renewal-plan.ts';
import type { Totals } from './schemas.ts';

// Beyond this, netCents * 22 + 50 would leave the range where every integer is exact.
const MAX_NET_CENTS = Math.floor((Number.MAX_SAFE_INTEGER - 50) / VAT_RATE_PERCENT);

/**
 * Adds 22% VAT to a net amount, rounding the VAT half-up to the cent as the invoice does.
 *
 * Only integer operations are used: a float product such as `1.005 * 100` would round some
 * half-cent cases the wrong way and the total would not match the electronic invoice.
 *
 * @throws {RangeError} when `netCents` is not a non-negative safe integer small enough to compute exactly.
 */
export function totalsFromNet(netCents: number): Totals {
  if (!Number.isSafeInteger(netCents) || netCents < 0 || netCents > MAX_NET_CENTS) {
    throw new RangeError(`netCents must be an integer between 0 and ${MAX_NET_CENTS}, got ${netCents}`);
  }
  const scaled = netCents * VAT_RATE_PERCENT + 50;
  // Integer floor division: subtracting the remainder first keeps the quotient exact.
  const vatCents = (scaled - (scaled % 100)) / 100;
  return { netCents, vatCents, grossCents: netCents + vatCents };
}

/**
 * What an order (or a renewal) of `years` years of a `type` mailbox costs, with the extra GB bought
 * on top of the plan (a renewal's), each priced per GB and per year by the catalog.
 *
 * @throws {RangeError} when `years` is not a duration the catalog allows, or an extra GB count is not
 * a non-negative integer.
 */
export function orderTotals(type: MailboxType, years: number, extraGb: ExtraGb = NO_EXTRA_GB): Totals {
  if (!isAllowedYears(years)) throw new RangeError(`years must be one of the catalog's durations, got ${years}`);
  for (const count of [extraGb.mailbox, extraGb.archive]) {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`extra GB must be whole GB, got ${count}`);
  }
  const prices = catalog.extraGb;
  const yearlyNetCents =
    planFor(type).yearlyNetCents +
    extraGb.mailbox * prices.mailboxYearlyNetCentsPerGb +
    extraGb.archive * prices.archiveYearlyNetCentsPerGb;
  return totalsFromNet(yearlyNetCents * years);
}
