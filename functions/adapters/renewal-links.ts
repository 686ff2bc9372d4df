import * as z from 'zod';

/** Names the storefront's renewal page for one mailbox. */
export type RenewalLinks = (storefrontId: string, address: string) => string;

/** The key of the link for a storefront not named in the setting. */
export const ANY_STOREFRONT = '*';

/**
 * RENEWAL_LINKS (the `pec:renewalLinks` setting): a JSON object from storefront id (its API key id) to
 * the URL of its renewal page, where `{address}` stands for the mailbox's address; `*` is the link
 * for any other storefront. Checked at load: every value an http(s) URL.
 */
export const renewalLinksVariables = {
  RENEWAL_LINKS: z
    .string()
    .transform((text, context) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(
      z
        .record(z.string(), z.url({ protocol: /^https?$/ }))
        .refine((links) => Object.keys(links).length > 0, 'names no storefront'),
    ),
};

/** The renewal page of a storefront for an address: its own template, else the `*` one. */
export function renewalLinksFrom(config: { RENEWAL_LINKS: Record<string, string> }): RenewalLinks {
  return (storefrontId, address) => {
    const template = config.RENEWAL_LINKS[storefrontId] ?? config.RENEWAL_LINKS[ANY_STOREFRONT];
    if (!template) throw new Error(`No renewal link for storefront ${storefrontId} (pec:renewalLinks)`);
    return template.replaceAll('{address}', encodeURIComponent(address));
  };
}
