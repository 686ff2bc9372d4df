import * as z from 'zod';
import data from './catalog-data.json' with { type: 'json' };

/** Italian standard IVA rate, the one that applies to PEC mailboxes: every catalog price is net of it. */
export const VAT_RATE_PERCENT = 22;

/** The mailbox plans on sale; the order matters (cheapest first) wherever plans are listed. */
export const MAILBOX_TYPES = ['standard', 'pro', 'premium'] as const;
export type MailboxType = (typeof MAILBOX_TYPES)[number];

export interface Plan {
  readonly type: MailboxType;
  /** Mailbox space included in the yearly price. */
  readonly mailboxGb: number;
  /** Space of the legal archive (conservazione) included in the yearly price; 0 when the plan has none. */
  readonly archiveGb: number;
  /** Price of one year, VAT excluded, in euro cents. */
  readonly yearlyNetCents: number;
}

/** Yearly net prices of the space that can be bought on top of a plan. */
export interface ExtraGbPrices {
  readonly mailboxYearlyNetCentsPerGb: number;
  readonly archiveYearlyNetCentsPerGb: number;
}

/** The general contract conditions on sale now: every new order must accept this version. */
export interface Terms {
  /** Changes whenever the text changes; a new order naming another version is refused. */
  readonly version: string;
  /** Where the holder reads that version (a new version has its own document). */
  readonly url: string;
}

export interface Catalog {
  /** The provider's generic certified domains, on which any holder can order an address. */
  readonly domains: readonly string[];
  readonly plans: readonly Plan[];
  /** How many years an order or a renewal may cover. */
  readonly years: readonly number[];
  readonly extraGb: ExtraGbPrices;
  readonly terms: Terms;
}

const cents = z.number().int().nonnegative();
const gigabytes = z.number().int().nonnegative();

// The data is edited by hand by people who sell, not by people who code: check it once, at load,
// so a typo fails every cold start and every test instead of pricing an order wrongly.
const CatalogDataSchema = z
  .object({
    domains: z
      .array(z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'a catalog domain must be a lower-case hostname'))
      .min(1),
    plans: z.array(
      z.object({ type: z.enum(MAILBOX_TYPES), mailboxGb: gigabytes, archiveGb: gigabytes, yearlyNetCents: cents }),
    ),
    years: z.array(z.number().int().positive()).min(1),
    extraGb: z.object({ mailboxYearlyNetCentsPerGb: cents, archiveYearlyNetCentsPerGb: cents }),
    // The version and its document change together, by the people who publish the conditions: data, not a setting.
    terms: z.object({ version: z.string().trim().min(1).max(40), url: z.url({ protocol: /^https$/ }) }),
    // Resellers pay from prepaid credit at their price list: yearly net cents per plan (not in GET /catalog).
    resellerPriceLists: z.record(z.string(), z.object({ standard: cents, pro: cents, premium: cents })),
  })
  .superRefine((value, ctx) => {
    if (new Set(value.domains).size !== value.domains.length) {
      ctx.addIssue({ code: 'custom', path: ['domains'], message: 'domains must be unique' });
    }
    const types = value.plans.map((plan) => plan.type);
    if (types.length !== MAILBOX_TYPES.length || MAILBOX_TYPES.some((type) => !types.includes(type))) {
      ctx.addIssue({ code: 'custom', path: ['plans'], message: 'there must be exactly one plan per mailbox type' });
    }
    if (value.years.some((year, index) => year !== index + 1)) {
      ctx.addIssue({ code: 'custom', path: ['years'], message: 'years must be 1, 2, ... without gaps' });
    }
  });

function loadCatalog(raw: unknown): Catalog {
  const result = CatalogDataSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid catalog-data.json: ${problems.join('; ')}`);
  }
  const { domains, plans, years, extraGb, terms } = result.data;
  // Frozen because every caller shares this one instance: a handler that sorted or patched it would
  // change prices for every later request served by the same Lambda container.
  return Object.freeze({
    domains: Object.freeze([...domains]),
    plans: Object.freeze(
      [...plans]
        .sort((a, b) => MAILBOX_TYPES.indexOf(a.type) - MAILBOX_TYPES.indexOf(b.type))
        .map((plan) => Object.freeze({ ...plan })),
    ),
    years: Object.freeze([...years]),
    extraGb: Object.freeze({ ...extraGb }),
    terms: Object.freeze({ ...terms }),
  });
}

/** What is on sale, read from `catalog-data.json`. */
export const catalog: Catalog = loadCatalog(data);

const genericDomains: ReadonlySet<string> = new Set(catalog.domains);

/**
 * The plan of a mailbox type.
 *
 * @throws {RangeError} for a value that is not a {@link MailboxType} (only reachable from untyped input).
 */
export function planFor(type: MailboxType): Plan {
  const plan = catalog.plans.find((candidate) => candidate.type === type);
  if (plan === undefined) throw new RangeError(`Unknown mailbox type: ${String(type)}`);
  return plan;
}

/**
 * Whether `domain` is one of the provider's generic certified domains. Compares case-insensitively,
 * because DNS names are case-insensitive and callers may pass an address not yet normalised.
 */
export function isGenericDomain(domain: string): boolean {
  return genericDomains.has(domain.trim().toLowerCase());
}

/** Whether `years` is a duration an order or a renewal may cover. */
export function isAllowedYears(years: number): boolean {
  return catalog.years.includes(years);
}

/** A reseller price list: the yearly net price of each plan, in euro cents, for orders paid from credit. */
export type ResellerPriceList = Readonly<Record<MailboxType, number>>;

/** The reseller price lists by name (`catalog-data.json` `resellerPriceLists`); a reseller names its own. */
export const resellerPriceLists: Readonly<Record<string, ResellerPriceList>> = Object.freeze(
  Object.fromEntries(
    Object.entries(CatalogDataSchema.parse(data).resellerPriceLists).map(([name, list]) => [
      name,
      Object.freeze({ ...list }),
    ]),
  ),
);

/** The price list every reseller has unless it was given another. */
export const DEFAULT_RESELLER_PRICE_LIST = 'reseller';
