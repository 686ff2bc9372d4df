import { describe, expect, it } from 'vitest';
import { freshAddress, orderBody } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';
import { deliver, paymentEvent } from '../support/webhooks.ts';

const local = withLocalRuntime();

const DAY = 24 * 3600 * 1000;
const path = (address: string, suffix = '') => `/mailboxes/${encodeURIComponent(address)}${suffix}`;
const mailboxOf = async (address: string) => (await local.api.get(path(address))).json;
const sweep = async (at: number) => {
  const response = await local.api.request('POST', '/_local/renewal-sweep', {
    body: { at: new Date(at).toISOString() },
    apiKey: null,
  });
  expect(response.status).toBe(200);
  return response.json as { reminders: number; autoRenewals: number; suspended: number; deleted: number };
};

async function activeMailbox(payment: Record<string, unknown>) {
  const address = freshAddress('pecditta.com');
  const created = await local.api.post('/orders', orderBody({ address, payment }));
  if (payment.method === 'bank_transfer') {
    await local.runtime.outbox.waitFor((m) => m.text.includes(created.json.orderId), 10_000);
    await deliver(local.api, paymentEvent(created.json.orderId, created.json.totals.grossCents));
  }
  await local.api.waitForOrder(created.json.orderId, (o) => o.status === 'completed');
  return { address, mailbox: await mailboxOf(address) };
}

describe('the renewal sweep (POST /_local/renewal-sweep)', () => {
  it('reminds, renews automatically, suspends and deletes, each once, as the calendar moves on', async () => {
    const card = await activeMailbox({ method: 'card', token: 'tok_visa' }); // renews automatically
    const transfer = await activeMailbox({ method: 'bank_transfer' }); // does not
    const expiry = Date.parse(transfer.mailbox.expiresAt);
    const emailsAbout = async (address: string, subject: string) =>
      (await local.api.outbox()).filter(
        (m) => m.to.length > 0 && m.text.includes(address) && m.subject.includes(subject),
      );

    expect(await sweep(expiry - 100 * DAY)).toEqual({ reminders: 0, autoRenewals: 0, suspended: 0, deleted: 0 });

    // Three months ahead: a reminder for the mailbox that does not renew by itself, once.
    expect(await sweep(expiry - 89 * DAY)).toEqual({ reminders: 1, autoRenewals: 0, suspended: 0, deleted: 0 });
    expect(await sweep(expiry - 88 * DAY)).toEqual({ reminders: 0, autoRenewals: 0, suspended: 0, deleted: 0 });
    expect(await emailsAbout(transfer.address, 'scade')).toHaveLength(1);
    expect((await sweep(expiry - 29 * DAY)).reminders).toBe(1);

    // A week ahead: the card is charged for one more year; the sweep waits for that workflow.
    const cardExpiry = Date.parse(card.mailbox.expiresAt);
    const autoRenewal = await sweep(cardExpiry - 6 * DAY);
    expect(autoRenewal).toMatchObject({ autoRenewals: 1, suspended: 0, deleted: 0 });
    const renewed = await mailboxOf(card.address);
    expect(new Date(renewed.expiresAt).getUTCFullYear()).toBe(new Date(cardExpiry).getUTCFullYear() + 1);
    expect(renewed).toMatchObject({ status: 'active', autoRenew: true });
    expect(await emailsAbout(card.address, 'rinnovata')).toHaveLength(1);
    expect((await sweep(cardExpiry - 5 * DAY)).autoRenewals).toBe(0);

    // Expired: suspended (receive-only), still not orderable by anyone else.
    expect(await sweep(expiry + DAY)).toEqual({ reminders: 0, autoRenewals: 0, suspended: 1, deleted: 0 });
    expect(await mailboxOf(transfer.address)).toMatchObject({ status: 'suspended' });
    expect((await local.api.get(`/availability?address=${encodeURIComponent(transfer.address)}`)).json.available).toBe(
      false,
    );
    expect((await sweep(expiry + 2 * DAY)).suspended).toBe(0);

    // After the 90-day grace period: deleted for good, and the address can be ordered again.
    expect(await sweep(expiry + 91 * DAY)).toEqual({ reminders: 0, autoRenewals: 0, suspended: 0, deleted: 1 });
    expect(await mailboxOf(transfer.address)).toMatchObject({ status: 'deleted' });
    expect((await local.api.get(`/availability?address=${encodeURIComponent(transfer.address)}`)).json.available).toBe(
      true,
    );
    const again = await local.api.post('/orders', orderBody({ address: transfer.address, type: 'premium' }));
    expect(again.status).toBe(201);
    await local.api.waitForOrder(again.json.orderId, (o) => o.status === 'completed');
    expect(await mailboxOf(transfer.address)).toMatchObject({ status: 'active', type: 'premium', passwordSet: false });
  });

  it('a suspended mailbox renewed by hand runs again', async () => {
    const { address, mailbox } = await activeMailbox({ method: 'bank_transfer' });
    const expiry = Date.parse(mailbox.expiresAt);
    await sweep(expiry + DAY);
    expect((await mailboxOf(address)).status).toBe('suspended');
    const renewal = await local.api.post(path(address, '/renewals'), {
      years: 1,
      payment: { method: 'card', token: 'tok_visa' },
    });
    expect(renewal.status).toBe(201);
    await local.api.waitForOrder(renewal.json.orderId, (o) => o.status === 'completed');
    const renewed = await mailboxOf(address);
    expect(renewed.status).toBe('active');
    expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(expiry);
  });

  it('refuses a body without a time', async () => {
    const response = await local.api.request('POST', '/_local/renewal-sweep', {
      body: { at: 'tomorrow' },
      apiKey: null,
    });
    expect(response.status).toBe(400);
    expect(response.json.errors[0].path).toBe('at');
  });
});
