import { describe, expect, it } from 'vitest';
import { addYears } from '../../functions/domain/mailbox.ts';
import { autoRenewalOrderId } from '../../functions/use-cases/renewals.ts';
import { ApiClient } from '../support/client.ts';
import { freshAddress, orderBody, RESELLER_DOCUMENTS } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';
import { deliver, paymentEvent } from '../support/webhooks.ts';

/*
 * A reseller's mailbox renewing automatically from the reseller's credit, through the local runtime:
 * POST /_local/renewal-sweep runs the sweep workflow at a chosen time and answers once the renewal
 * workflows it started have ended. Two resellers (each seeded with 20,000 cents): one whose credit
 * covers the renewal, one that spent it. A sweep acts on every mailbox of the runtime: this file has its own.
 */

const RICH = 'rk_local_rich';
const SHORT = 'rk_local_spent';
const local = withLocalRuntime({ resellerApiKeys: [RICH, SHORT] });
const client = (key: string) => new ApiClient(local.runtime.url, key);

const DAY = 24 * 3600 * 1000;
const HOUR = 3600 * 1000;
const path = (address: string, suffix = '') => `/mailboxes/${encodeURIComponent(address)}${suffix}`;

type Counts = { chargeNotices: number; autoRenewals: number; retries: number };
const sweep = async (at: number): Promise<Counts> => {
  const response = await local.api.request('POST', '/_local/renewal-sweep', {
    body: { at: new Date(at).toISOString() },
    apiKey: null,
  });
  expect(response.status).toBe(200);
  return response.json as Counts;
};

const credit = async (key: string) =>
  (await client(key).get('/reseller/credit?limit=100')).json as {
    balanceCents: number;
    movements: { kind: string; amountCents: number; orderId?: string }[];
  };
const debitsFor = async (key: string, orderId: string) =>
  (await credit(key)).movements.filter((movement) => movement.kind === 'debit' && movement.orderId === orderId);
const emailsTo = async (to: string, subject: string) =>
  (await local.api.outbox()).filter((m) => m.to.includes(to) && m.subject.includes(subject));

/** A reseller's mailbox, placed (debited) and active: its address and expiry. */
async function activeMailbox(key: string, type: string, years: number) {
  const address = freshAddress();
  const { payment: _none, ...body } = orderBody({ address, type, years });
  const created = await client(key).post('/orders', { ...body, documents: RESELLER_DOCUMENTS });
  expect(created.status).toBe(201);
  await client(key).waitForOrder(created.json.orderId, (order) => order.status === 'completed');
  const mailbox = (await client(key).get(path(address))).json;
  return { address, expiry: Date.parse(mailbox.expiresAt) };
}

const expiryOf = async (key: string, address: string) =>
  Date.parse((await client(key).get(path(address))).json.expiresAt);

describe('automatic renewal of a reseller’s mailbox from its credit', () => {
  it('debits the credit once however often the sweep runs; a short credit is declined until a top-up', async () => {
    const covered = await activeMailbox(RICH, 'standard', 1);
    const short = await activeMailbox(SHORT, 'pro', 1);
    // The second reseller spends its credit down to 750 cents: less than a Pro year (1,750).
    await activeMailbox(SHORT, 'premium', 5);
    await activeMailbox(SHORT, 'pro', 2);
    expect((await credit(SHORT)).balanceCents).toBe(750);
    for (const [key, { address }] of [
      [RICH, covered],
      [SHORT, short],
    ] as const) {
      const switched = await client(key).request('PUT', path(address, '/auto-renew'), { body: { enabled: true } });
      expect(switched.status).toBe(200);
      expect(switched.json.autoRenew).toBe(true);
    }
    const expiry = covered.expiry;
    expect(Math.abs(short.expiry - expiry)).toBeLessThan(HOUR);

    // 37 days before expiry: each reseller is told what its credit will be debited.
    expect(await sweep(expiry - 37 * DAY + HOUR)).toMatchObject({ chargeNotices: 2 });
    const [notice] = await emailsTo('rivenditore1@example.com', 'Rinnovo automatico dal credito');
    expect(notice?.text).toContain(covered.address);
    expect(notice?.text).toContain('3,50');

    // 7 days before: the first is debited at the reseller price list, the second declined.
    const renewal = autoRenewalOrderId(covered.address, new Date(expiry).toISOString(), 1);
    expect(await sweep(expiry - 7 * DAY + HOUR)).toMatchObject({ autoRenewals: 2 });
    expect(await sweep(expiry - 7 * DAY + 2 * HOUR)).toMatchObject({ autoRenewals: 0, retries: 0 });
    expect(await debitsFor(RICH, renewal)).toEqual([expect.objectContaining({ amountCents: 350 })]);
    expect(await expiryOf(RICH, covered.address)).toBe(addYears(new Date(expiry), 1).getTime());
    expect((await credit(SHORT)).balanceCents).toBe(750);
    const declined = await emailsTo('rivenditore2@example.com', 'credito insufficiente');
    expect(declined).toHaveLength(1);
    expect(declined[0]?.text).toContain(short.address);

    // Topped up by transfer: the retry 5 days before expiry debits it, once.
    const topUp = await client(SHORT).post('/reseller/credit/top-ups', {
      amountCents: 5000,
      payment: { method: 'bank_transfer' },
    });
    expect(topUp.status).toBe(201);
    expect((await deliver(local.api, paymentEvent(topUp.json.topUpId, 6100))).status).toBe(200);
    expect(await sweep(expiry - 5 * DAY + HOUR)).toMatchObject({ retries: 1 });
    expect(await sweep(expiry - 5 * DAY + 2 * HOUR)).toMatchObject({ retries: 0, autoRenewals: 0 });
    const retry = autoRenewalOrderId(short.address, new Date(short.expiry).toISOString(), 2);
    expect(await debitsFor(SHORT, retry)).toEqual([expect.objectContaining({ amountCents: 1750 })]);
    expect((await credit(SHORT)).balanceCents).toBe(750 + 5000 - 1750);
    expect(await expiryOf(SHORT, short.address)).toBe(addYears(new Date(short.expiry), 1).getTime());
  });
});
