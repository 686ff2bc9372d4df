import { catalog } from './catalog.ts';
import { publicMailDomainOf } from './public-mail-domains.ts';

/** The two halves of a mailbox address. */
export interface AddressParts {
  localPart: string;
  domain: string;
}

const MAX_ADDRESS_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;
const MAX_DOMAIN_LENGTH = 253;

const LOCAL_PART_CHARS = /^[a-z0-9._-]+$/;
const ALPHANUMERIC_AT_BOTH_ENDS = /^[a-z0-9](?:.*[a-z0-9])?$/;
const CONSECUTIVE_SEPARATORS = /[._-]{2}/;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// A real top-level domain is alphabetic, or an internationalised one in its punycode form.
const TOP_LEVEL_LABEL = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/**
 * The canonical spelling of an address as a holder typed it: PEC providers treat addresses
 * case-insensitively, so storing one spelling keeps "Mario.Rossi@PEC.it" and "mario.rossi@pec.it"
 * from being sold twice.
 */
export function normalizeAddress(raw: string): string {
  return raw.trim().toLowerCase();
}

/**
 * Splits an address at its last `@`.
 *
 * @throws {RangeError} when there is no `@`.
 */
export function splitAddress(address: string): AddressParts {
  const at = address.lastIndexOf('@');
  if (at < 0) throw new RangeError(`Not an address (no @): ${address}`);
  return { localPart: address.slice(0, at), domain: address.slice(at + 1) };
}

function localPartProblem(localPart: string): string | undefined {
  if (localPart.length === 0) return 'The name before @ is empty.';
  if (localPart.length > MAX_LOCAL_PART_LENGTH) {
    return `The name before @ can be at most ${MAX_LOCAL_PART_LENGTH} characters long.`;
  }
  if (!LOCAL_PART_CHARS.test(localPart)) {
    return 'The name before @ may contain only lower-case letters a-z, digits, dots, hyphens and underscores.';
  }
  if (!ALPHANUMERIC_AT_BOTH_ENDS.test(localPart)) {
    return 'The name before @ must start and end with a letter or a digit.';
  }
  if (CONSECUTIVE_SEPARATORS.test(localPart)) {
    return 'The name before @ cannot have two dots, hyphens or underscores in a row.';
  }
  return undefined;
}

function isHostname(domain: string): boolean {
  if (domain.length > MAX_DOMAIN_LENGTH) return false;
  const labels = domain.split('.');
  const topLevel = labels.at(-1) ?? '';
  return labels.length >= 2 && labels.every((label) => DNS_LABEL.test(label)) && TOP_LEVEL_LABEL.test(topLevel);
}

/** Why `domain` cannot be a holder's (or a reseller's) own PEC domain, or `undefined` when it can. */
export function ownDomainProblem(domain: string): string | undefined {
  if (!isHostname(domain)) return `The domain "${domain}" is not a valid domain name.`;
  // A subdomain of a generic domain belongs to the provider too, never to the holder.
  const generic = catalog.domains.find((candidate) => domain === candidate || domain.endsWith(`.${candidate}`));
  if (generic !== undefined) {
    return `The domain "${domain}" belongs to the generic PEC domain ${generic}: order it without domainPec.`;
  }
  const publicMail = publicMailDomainOf(domain);
  if (publicMail !== undefined) {
    return (
      `The domain "${domain}" belongs to the public mailbox provider ${publicMail}: PEC on your own domain needs a ` +
      'domain you own; otherwise order an address on a generic PEC domain without domainPec.'
    );
  }
  return undefined;
}

/**
 * Why `address` cannot be a PEC mailbox address, or `undefined` when it can.
 *
 * Expects a normalised address (see {@link normalizeAddress}). Without `domainPec` the domain must be
 * one of the catalog's generic domains; with it, the holder's own domain, so a syntactically valid
 * hostname outside the generic domains and outside the public mailbox providers' domains (whether the
 * domain exists in DNS is asked at order intake, not here).
 *
 * @returns a sentence for the holder, naming the rule that was broken.
 */
export function addressProblem(address: string, opts: { domainPec: boolean }): string | undefined {
  if (address.length > MAX_ADDRESS_LENGTH) {
    return `An address can be at most ${MAX_ADDRESS_LENGTH} characters long.`;
  }
  const at = address.indexOf('@');
  if (at < 0 || at !== address.lastIndexOf('@')) return 'An address must have the form name@domain, with one @.';
  const { localPart, domain } = splitAddress(address);
  const problem = localPartProblem(localPart);
  if (problem !== undefined) return problem;
  if (opts.domainPec) return ownDomainProblem(domain);
  if (!catalog.domains.includes(domain)) {
    return `The domain must be one of the generic PEC domains: ${catalog.domains.join(', ')}.`;
  }
  return undefined;
}
