/*
 * The domains of public mailbox providers (webmail anyone can sign up to). Nobody who orders PEC
 * "on their own domain" owns one of these, nor can point its MX records at us: an order for
 * info@gmail.com with domainPec could only fail after payment, so it is refused at intake.
 */

/** Domains of public mailbox providers, exactly as written (their subdomains are refused too). */
export const PUBLIC_MAIL_DOMAINS: ReadonlySet<string> = new Set([
  // Google, Microsoft, Apple, Yahoo, AOL
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'outlook.it',
  'hotmail.com',
  'hotmail.it',
  'live.com',
  'live.it',
  'msn.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'yahoo.com',
  'yahoo.it',
  'ymail.com',
  'rocketmail.com',
  'aol.com',
  'aol.it',
  // Italian providers
  'libero.it',
  'inwind.it',
  'iol.it',
  'blu.it',
  'giallo.it',
  'virgilio.it',
  'alice.it',
  'tim.it',
  'tin.it',
  'email.it',
  'fastwebnet.it',
  'tiscali.it',
  'katamail.com',
  'teletu.it',
  'vodafone.it',
  'poste.it',
  // Others
  'proton.me',
  'protonmail.com',
  'protonmail.ch',
  'pm.me',
  'tutanota.com',
  'tuta.io',
  'zoho.com',
  'yandex.com',
  'yandex.ru',
  'mail.ru',
  'mail.com',
  'web.de',
  'fastmail.com',
]);

/**
 * Providers whose name is theirs under many country domains (gmx.de, gmx.net, yahoo.co.uk,
 * hotmail.fr...): the first label of the domain, followed by a country or generic top-level domain
 * of one or two short labels.
 */
export const PUBLIC_MAIL_BRANDS: ReadonlySet<string> = new Set(['gmx', 'yahoo', 'hotmail', 'outlook', 'live']);

/** `de`, `com`, `co.uk`, `com.br`: a top-level domain as public mail brands use them. */
const COUNTRY_OR_GENERIC_SUFFIX = /^[a-z]{2,3}(?:\.[a-z]{2,3})?$/;

/**
 * The public mailbox provider's domain that `domain` is, or is a subdomain of; undefined for any
 * other domain. Expects a lower-case domain.
 */
export function publicMailDomainOf(domain: string): string | undefined {
  const labels = domain.split('.');
  for (let start = 0; start < labels.length - 1; start++) {
    const candidate = labels.slice(start).join('.');
    if (PUBLIC_MAIL_DOMAINS.has(candidate)) return candidate;
    const [brand, ...suffix] = labels.slice(start);
    if (brand && PUBLIC_MAIL_BRANDS.has(brand) && COUNTRY_OR_GENERIC_SUFFIX.test(suffix.join('.'))) return candidate;
  }
  return undefined;
}
