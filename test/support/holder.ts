import type { ApiClient } from './client.ts';
import { freshAddress, orderBody } from './fixtures.ts';

/** What a holder does with the emailed links, over HTTP against the local runtime (e2e and browser tiers). */

export type OutboxMessage = Awaited<ReturnType<ApiClient['outbox']>>[number];

/** The emails that name `address`, oldest first, but for the order confirmation. */
export const emailsAbout = async (api: ApiClient, address: string): Promise<OutboxMessage[]> =>
  (await api.outbox()).filter(
    // The order confirmation, sent before the charge, is not about the mailbox's access (its own
    // tests are in consents-and-confirmation.test.ts).
    (message) => message.text.includes(address) && !message.subject.startsWith("Conferma dell'ordine"),
  );

/** The link an email's text carries (`<label>: <url>`, ending in `?token=...`). */
export function linkIn(message: OutboxMessage | undefined): string {
  const match = message?.text.match(/https?:\/\/\S+[?&]token=[A-Za-z0-9_-]+/);
  if (!match) throw new Error(`no link in the email ${message?.subject}`);
  return match[0];
}

/** The token of a link. */
export const tokenOfLink = (link: string) => new URL(link).searchParams.get('token') ?? '';

/**
 * A mailbox ordered by card and activated, with the first-access email it got: answers its address
 * and the link of that email.
 */
export async function activatedMailbox(api: ApiClient, domain = 'pec.it'): Promise<{ address: string; link: string }> {
  const address = freshAddress(domain);
  const created = await api.post('/orders', orderBody({ address }));
  if (created.status !== 201) throw new Error(`the order was refused: ${created.status} ${created.text}`);
  await api.waitForOrder(created.json.orderId, (order) => order.status === 'completed');
  // The order confirmation comes first; the first-access email is the one with the link.
  const email = (await emailsAbout(api, address)).find((message) => message.text.includes('token='));
  return { address, link: linkIn(email) };
}

/** Sets the password with a link's token, as the page does: answers the HTTP status and problem. */
export const setPassword = (api: ApiClient, token: string, password: string) =>
  api.post('/password-setup', { token, password }, { apiKey: null });

/** A mailbox whose holder has set the password with the first-access link. */
export async function mailboxWithPassword(api: ApiClient, password = 'Sole-Luna-2026!'): Promise<string> {
  const { address, link } = await activatedMailbox(api);
  const set = await setPassword(api, tokenOfLink(link), password);
  if (set.status !== 204) throw new Error(`the password was not set: ${set.status} ${set.text}`);
  return address;
}
