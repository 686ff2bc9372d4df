import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { mailboxKey } from '../../functions/adapters/dynamodb/mailbox-repository.ts';
import { autoRenewalOrderId } from '../../functions/use-cases/renewals.ts';
import { LOCAL_RENEWAL_PAGES } from '../../local/runtime.ts';
import { freshAddress, orderBody } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';
import { deliver, paymentEvent } from '../support/webhooks.ts';

/*
 * The renewal sweep through the local runtime: POST /_local/renewal-sweep starts the sweep workflow
 * as its schedule does and answers its counts once the workflows it started have ended. A sweep acts
 * on every mailbox in the table, so each holder path runs on a runtime of its own, moving the
 * calendar forward from its own mailboxes' dates.
 */

let local: ReturnType<typeof withLocalRuntime>;
/** A runtime of its own for the tests of one describe block. */
const ownRuntime = () => {
  const runtime = withLocalRuntime();
  beforeAll(() => {
    local = runtime;
  });
};

const DAY = 24 * 3600 * 1000;
const path = (address: string, suffix = '') => `/mailboxes/${encodeURIComponent(address)}${suffix}`;
const mailboxOf = async (address: string) => (await local.api.get(path(address))).json;
type Counts = {
  reminders: number;
  chargeNotices: number;
  autoRenewals: number;
  retries: number;
  suspended: number;
  deleted: number;
};
const nothing: Counts = { reminders: 0, chargeNotices: 0, autoRenewals: 0, retries: 0, suspended: 0, deleted: 0 };
const sweep = async (at: number): Promise<Counts> => {
  const response = await local.api.request('POST', '/_local/renewal-sweep', {
    body: { at: new Date(at).toISOString() },
    apiKey: null,
  });
  expect(response.status).toBe(200);
  return response.json as Counts;
};
const emailsAbout = async (address: string, subject: string) =>
  (await local.api.outbox()).filter((m) => m.to.length > 0 && m.text.includes(address) && m.subject.includes(subject));
const intentsOf = (orderId: string) =>
  local.runtime.stripe.paymentIntents().filter((intent) => intent.metadata.orderId === orderId);
const renewalLinkOf = (address: string) =>
  LOCAL_RENEWAL_PAGES.sk_local_dev.replace('{address}', encodeURIComponent(address));

async function activeMailbox(payment: Record<string, unknown>, years = 1) {
  const address = freshAddress('pecditta.com');
  const created = await local.api.post('/orders', orderBody({ address, payment, years }));
  if (payment.method === 'bank_transfer') {
    await local.runtime.outbox.waitFor((m) => m.text.includes(created.json.orderId), 10_000);
    await deliver(local.api, paymentEvent(created.json.orderId, created.json.totals.grossCents));
  }
  await local.api.waitForOrder(created.json.orderId, (o) => o.status === 'completed');
  const mailbox = await mailboxOf(address);
  return { address, mailbox, expiry: Date.parse(mailbox.expiresAt) };
}

/** The card on file no longer pays (expired, blocked): its next charge is declined, as Stripe's test card would be. */
async function cardOnFileDeclines(address: string) {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: local.runtime.dynamoDb.endpoint,
      region: 'eu-south-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  const { Attributes } = await client.send(
    new UpdateCommand({
      TableName: local.runtime.dynamoDb.tableName,
      Key: mailboxKey(address),
      UpdateExpression: 'SET renewalPayment.#credential = :declined',
      ExpressionAttributeNames: { '#credential': 'paymentMethod' },
      ExpressionAttributeValues: { ':declined': 'pm_card_chargeDeclinedExpiredCard' },
      ConditionExpression: 'attribute_exists(renewalPayment.#credential)',
      ReturnValues: 'ALL_NEW',
    }),
  );
  client.destroy();
  expect(Attributes?.renewalPayment).toMatchObject({ paymentMethod: 'pm_card_chargeDeclinedExpiredCard' });
}

describe('the renewal sweep (POST /_local/renewal-sweep): without automatic renewal', () => {
  ownRuntime();

  it('reminds at 90, 30 and 7 days with the storefront renewal link, suspends at expiry, deletes after the grace period', async () => {
    const { address, expiry } = await activeMailbox({ method: 'bank_transfer' });

    expect(await sweep(expiry - 100 * DAY)).toEqual(nothing);
    expect(await sweep(expiry - 89 * DAY)).toEqual({ ...nothing, reminders: 1 });
    expect(await sweep(expiry - 88 * DAY)).toEqual(nothing);
    expect(await sweep(expiry - 29 * DAY)).toEqual({ ...nothing, reminders: 1 });
    expect(await sweep(expiry - 6 * DAY)).toEqual({ ...nothing, reminders: 1 });
    const reminders = await emailsAbout(address, 'scade tra');
    expect(reminders.map((m) => m.subject)).toEqual([
      expect.stringContaining('scade tra 89 giorni'),
      expect.stringContaining('scade tra 29 giorni'),
      expect.stringContaining('scade tra 6 giorni'),
    ]);
    for (const reminder of reminders) {
      expect(reminder.text).toContain(renewalLinkOf(address));
      expect(reminder.html).toContain(`href="${renewalLinkOf(address)}"`);
    }

    // Expired: suspended (receive-only), still not orderable by anyone else.
    expect(await sweep(expiry + DAY)).toEqual({ ...nothing, suspended: 1 });
    expect(await mailboxOf(address)).toMatchObject({ status: 'suspended' });
    expect((await local.api.get(`/availability?address=${encodeURIComponent(address)}`)).json.available).toBe(false);
    expect(await sweep(expiry + 2 * DAY)).toEqual(nothing);

    // After the 90-day grace period: deleted for good, and the address can be ordered again.
    expect(await sweep(expiry + 91 * DAY)).toEqual({ ...nothing, deleted: 1 });
    expect(await mailboxOf(address)).toMatchObject({ status: 'deleted' });
    expect((await local.api.get(`/availability?address=${encodeURIComponent(address)}`)).json.available).toBe(true);
    const again = await local.api.post('/orders', orderBody({ address, type: 'premium' }));
    expect(again.status).toBe(201);
    await local.api.waitForOrder(again.json.orderId, (o) => o.status === 'completed');
    expect(await mailboxOf(address)).toMatchObject({ status: 'active', type: 'premium', passwordSet: false });
  });
});

describe('the renewal sweep: automatic renewal', () => {
  ownRuntime();

  it('tells the holder 30 days before the charge, then charges 7 days before expiry for the years chosen in the order', async () => {
    const { address, expiry } = await activeMailbox({ method: 'card', token: 'tok_visa' }, 3);

    expect(await sweep(expiry - 38 * DAY)).toEqual(nothing);
    expect(await sweep(expiry - 36 * DAY)).toEqual({ ...nothing, chargeNotices: 1 });
    const [notice, ...more] = await emailsAbout(address, 'Avviso di addebito');
    expect(more).toEqual([]);
    // Three years of Standard at the catalog's price, VAT included.
    const catalog = (await local.api.get('/catalog')).json;
    const standard = catalog.plans.find((plan: { type: string }) => plan.type === 'standard');
    const gross = Math.round(standard.yearlyNetCents * 3 * 1.22);
    expect(notice?.text).toContain(
      new Intl.NumberFormat('it-IT', { style: 'currency', currency: 'EUR' }).format(gross / 100),
    );
    expect(notice?.text).toContain('3 anni');
    // No reminder for a mailbox that renews by itself.
    expect(await emailsAbout(address, 'scade tra')).toEqual([]);

    expect(await sweep(expiry - 6 * DAY)).toEqual({ ...nothing, autoRenewals: 1 });
    const renewed = await mailboxOf(address);
    expect(new Date(renewed.expiresAt).getUTCFullYear()).toBe(new Date(expiry).getUTCFullYear() + 3);
    expect(renewed).toMatchObject({ status: 'active', autoRenew: true });
    expect(await emailsAbout(address, 'rinnovata')).toHaveLength(1);
    expect(await sweep(expiry - 5 * DAY)).toEqual(nothing);
  });
});

describe('the renewal sweep: a declined automatic renewal', () => {
  ownRuntime();

  it('a declined charge is emailed and retried 5, 3 and 1 days before expiry; then automatic renewal is off and a manual renewal is accepted', async () => {
    const { address, expiry } = await activeMailbox({ method: 'card', token: 'tok_visa' });
    await cardOnFileDeclines(address);
    const italianDate = (at: number) =>
      new Intl.DateTimeFormat('it-IT', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Rome' }).format(
        new Date(at),
      );

    expect(await sweep(expiry - 36 * DAY)).toEqual({ ...nothing, chargeNotices: 1 });
    expect(await sweep(expiry - 6 * DAY)).toEqual({ ...nothing, autoRenewals: 1 });
    const [declined] = await emailsAbout(address, 'Rinnovo automatico non riuscito');
    // What happened, when it is tried again, the renewal link, the day the mailbox stops sending.
    expect(declined?.text).toContain('rifiutato');
    expect(declined?.text).toContain(`Riproveremo il ${italianDate(expiry - 5 * DAY)}`);
    expect(declined?.text).toContain(renewalLinkOf(address));
    expect(declined?.text).toContain(`smette di inviare il: ${italianDate(expiry)}`);
    // Still on: a manual renewal would be charged twice.
    expect(
      (await local.api.post(path(address, '/renewals'), { years: 1, payment: { method: 'card', token: 'tok_visa' } }))
        .status,
    ).toBe(409);

    expect(await sweep(expiry - 4 * DAY)).toEqual({ ...nothing, retries: 1 });
    expect(await sweep(expiry - 4 * DAY)).toEqual(nothing);
    expect(await sweep(expiry - 2 * DAY)).toEqual({ ...nothing, retries: 1 });
    expect(await mailboxOf(address)).toMatchObject({ autoRenew: true });
    expect(await sweep(expiry - DAY / 2)).toEqual({ ...nothing, retries: 1 });

    // Four attempts, four orders, each declined once; the last email says automatic renewal is off.
    const emails = await emailsAbout(address, 'Rinnovo automatico non riuscito');
    expect(emails).toHaveLength(4);
    expect(emails.at(-1)?.text).toContain('Il rinnovo automatico è stato disattivato');
    expect(emails.at(-1)?.text).not.toContain('Riproveremo');
    for (const attempt of [1, 2, 3, 4]) {
      const order = await local.api.get(
        `/orders/${autoRenewalOrderId(address, new Date(expiry).toISOString(), attempt)}`,
      );
      expect(order.json).toMatchObject({ kind: 'renewal', status: 'failed', payment: { status: 'failed' } });
      expect(intentsOf(order.json.orderId).map((intent) => intent.status)).not.toContain('succeeded');
    }
    expect(await mailboxOf(address)).toMatchObject({ status: 'active', autoRenew: false });

    const manual = await local.api.post(path(address, '/renewals'), {
      years: 1,
      payment: { method: 'card', token: 'tok_visa' },
    });
    expect(manual.status).toBe(201);
    await local.api.waitForOrder(manual.json.orderId, (o) => o.status === 'completed');
    expect(Date.parse((await mailboxOf(address)).expiresAt)).toBeGreaterThan(expiry);
    expect(await sweep(expiry + DAY)).toEqual(nothing);
  });
});

describe('the renewal sweep: concurrent and missed runs', () => {
  ownRuntime();

  it('two sweeps of the same day at once do each thing once, and a day without a sweep is caught up by the next', async () => {
    const transfer = await activeMailbox({ method: 'bank_transfer' });
    const card = await activeMailbox({ method: 'card', token: 'tok_visa' });
    const expiry = Math.max(transfer.expiry, card.expiry);

    expect(await sweep(expiry - 95 * DAY)).toEqual(nothing);
    // Days without a sweep: the reminder due 90 days ahead is sent by the next run, five days late.
    const [first, second] = await Promise.all([sweep(expiry - 85 * DAY), sweep(expiry - 85 * DAY)]);
    expect({ ...nothing, reminders: first.reminders + second.reminders }).toEqual({ ...nothing, reminders: 1 });
    expect(await emailsAbout(transfer.address, 'scade tra')).toHaveLength(1);

    const charges = await Promise.all([sweep(expiry - 6 * DAY), sweep(expiry - 6 * DAY), sweep(expiry - 6 * DAY)]);
    const total = (field: keyof Counts) => charges.reduce((sum, counts) => sum + counts[field], 0);
    // The reminders at 30 and 7 days fall due together: the sweep sends the latest only.
    expect({
      reminders: total('reminders'),
      chargeNotices: total('chargeNotices'),
      autoRenewals: total('autoRenewals'),
    }).toEqual({
      reminders: 1,
      chargeNotices: 0,
      autoRenewals: 1,
    });
    // One charge, one renewal, one email of each.
    const renewal = autoRenewalOrderId(card.address, new Date(card.expiry).toISOString(), 1);
    expect(intentsOf(renewal).map((intent) => intent.status)).toEqual(['succeeded']);
    const renewed = await mailboxOf(card.address);
    expect(new Date(renewed.expiresAt).getUTCFullYear()).toBe(new Date(card.expiry).getUTCFullYear() + 1);
    expect(await emailsAbout(card.address, 'rinnovata')).toHaveLength(1);
    expect(await emailsAbout(transfer.address, 'scade tra')).toHaveLength(2);
  });
});

describe('the renewal sweep: renewing a suspended mailbox', () => {
  ownRuntime();

  it('a suspended mailbox renewed by hand runs again', async () => {
    const { address, expiry } = await activeMailbox({ method: 'bank_transfer' });
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
