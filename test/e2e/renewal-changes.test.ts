import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderKey } from '../../functions/adapters/dynamodb/order-repository.ts';
import type { Table } from '../../functions/adapters/dynamodb/table.ts';
import { BYTES_PER_GB } from '../../functions/domain/renewal-plan.ts';
import { freshAddress, orderBody } from '../support/fixtures.ts';
import { localRuntimeTable, platformAccount, setSpaceInUse } from '../support/mail-platform-table.ts';
import { withLocalRuntime } from '../support/runtime.ts';
import { deliver, paymentEvent } from '../support/webhooks.ts';

/*
 * Renewals that change the plan, buy extra GB and name their billing, through the local runtime:
 * what the storefront is answered, what the mailbox and the mail platform's quota become once the
 * renewal is paid, the holder's renewal confirmation, and the billing identifier each renewal carries.
 */

const local = withLocalRuntime();
let table: Table & { close(): void };
beforeAll(() => {
  table = localRuntimeTable(local.runtime.dynamoDb);
});
afterAll(() => table?.close());

const DAY = 24 * 3600 * 1000;
const path = (address: string, suffix = '') => `/mailboxes/${encodeURIComponent(address)}${suffix}`;
const mailboxOf = async (address: string) => (await local.api.get(path(address))).json;
const transfer = { method: 'bank_transfer' };
const card = { method: 'card', token: 'tok_visa' };

/** The billing identifier an order was stored with (it is not in the storefront's view of the order). */
async function billingOf(orderId: string) {
  const { Item } = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: orderKey(orderId), ConsistentRead: true }),
  );
  return Item?.billing;
}

/** Pays a bank-transfer order once its instructions are out, as the bank's webhook would. */
async function payByTransfer(order: { orderId: string; totals: { grossCents: number } }) {
  await local.runtime.outbox.waitFor((m) => m.text.includes(order.orderId), 10_000);
  await deliver(local.api, paymentEvent(order.orderId, order.totals.grossCents));
  return local.api.waitForOrder(order.orderId, (o) => o.status === 'completed');
}

/** An active mailbox of `type`, ordered by bank transfer (no automatic renewal), with `billing`. */
async function activeMailbox(type: string, billing: Record<string, string> = { recipientCode: '0000000' }) {
  const address = freshAddress('mypec.eu');
  const created = await local.api.post('/orders', { ...orderBody({ address, type, payment: transfer }), billing });
  expect(created.status).toBe(201);
  await payByTransfer(created.json);
  return { address, orderId: created.json.orderId as string, mailbox: await mailboxOf(address) };
}

const renew = (address: string, body: Record<string, unknown>) =>
  local.api.post(path(address, '/renewals'), { years: 1, payment: transfer, ...body });

const renewalEmails = async (address: string) =>
  (await local.api.outbox()).filter((m) => m.text.includes(address) && m.subject.includes('rinnovata'));

describe('a renewal that changes the plan', () => {
  it('upgrades Standard to Pro: the mailbox stays Standard until the renewal is paid, then is Pro with its quota, and the holder is told', async () => {
    const { address, mailbox } = await activeMailbox('standard');
    expect(await platformAccount(table, address)).toMatchObject({ mailboxGb: 1, archiveGb: 0 });

    const renewal = await renew(address, { type: 'pro' });

    expect(renewal.status).toBe(201);
    expect(renewal.json).toMatchObject({
      kind: 'renewal',
      mailbox: { address, type: 'pro' },
      years: 1,
      totals: { netCents: 2500, vatCents: 550, grossCents: 3050 },
    });
    expect(renewal.json).not.toHaveProperty('extraGb');
    expect((await mailboxOf(address)).type).toBe('standard');

    await payByTransfer(renewal.json);

    const renewed = await mailboxOf(address);
    expect(renewed).toMatchObject({ type: 'pro', status: 'active' });
    expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.parse(mailbox.expiresAt) + 364 * DAY);
    expect(await platformAccount(table, address)).toMatchObject({ mailboxGb: 2, archiveGb: 3 });
    const emails = await renewalEmails(address);
    expect(emails).toHaveLength(1);
    const text = emails[0]?.text ?? '';
    expect(text).toContain('dal piano Standard al piano Pro');
    expect(text).toContain('Piano: Pro (2 GB di casella, 3 GB di archivio)');
    expect(text).toContain('Durata del rinnovo: 1 anno');
    expect(text).toMatch(/Totale: 30,50\s€/);
    expect(text).toMatch(
      new RegExp(`Nuova scadenza: \\d+ \\p{L}+ ${new Date(renewed.expiresAt).getUTCFullYear()}`, 'u'),
    );
  });

  it('refuses a downgrade to Standard with 409 while the archive holds anything or the mailbox is too full, and takes it once it fits', async () => {
    const { address } = await activeMailbox('pro');

    await setSpaceInUse(table, address, { mailboxBytes: 0.2 * BYTES_PER_GB, archiveBytes: 0.5 * BYTES_PER_GB });
    const archiveInUse = await renew(address, { type: 'standard' });
    expect(archiveInUse.status).toBe(409);
    expect(archiveInUse.json).toMatchObject({ code: 'archive_in_use', errors: [{ path: 'type' }] });
    expect(archiveInUse.json.detail).toContain('0.5 GB');

    await setSpaceInUse(table, address, { mailboxBytes: 1.5 * BYTES_PER_GB, archiveBytes: 0 });
    const tooFull = await renew(address, { type: 'standard' });
    expect(tooFull.status).toBe(409);
    expect(tooFull.json).toMatchObject({ code: 'space_in_use_exceeds_plan', errors: [{ path: 'type' }] });
    expect(
      (await local.api.get('/orders?status=pending_payment')).json.items.map(
        (o: { mailbox: { address: string } }) => o.mailbox.address,
      ),
    ).not.toContain(address);

    await setSpaceInUse(table, address, { mailboxBytes: 0.8 * BYTES_PER_GB, archiveBytes: 0 });
    const fits = await renew(address, { type: 'standard' });
    expect(fits.status).toBe(201);
    expect(fits.json).toMatchObject({ mailbox: { type: 'standard' }, totals: { grossCents: 610 } });
    await payByTransfer(fits.json);

    expect((await mailboxOf(address)).type).toBe('standard');
    expect(await platformAccount(table, address)).toMatchObject({ mailboxGb: 1, archiveGb: 0 });
    const text = (await renewalEmails(address))[0]?.text ?? '';
    expect(text).toContain('dal piano Pro al piano Standard');
    expect(text).toContain("non comprende l'archivio");
  });
});

describe('extra GB bought at renewal', () => {
  it('are priced per the catalog in the totals, shown on the order and added to the quota', async () => {
    const { address } = await activeMailbox('pro');
    const catalog = (await local.api.get('/catalog')).json;
    const { mailboxYearlyNetCentsPerGb, archiveYearlyNetCentsPerGb } = catalog.extraGb;

    const renewal = await renew(address, { years: 2, extraGb: { mailbox: 2, archive: 3 } });

    expect(renewal.status).toBe(201);
    const net = (2500 + 2 * mailboxYearlyNetCentsPerGb + 3 * archiveYearlyNetCentsPerGb) * 2;
    expect(net).toBe(5700);
    expect(renewal.json).toMatchObject({
      mailbox: { type: 'pro' },
      years: 2,
      extraGb: { mailbox: 2, archive: 3 },
      totals: { netCents: net, vatCents: 1254, grossCents: 6954 },
    });
    expect((await local.api.get(`/orders/${renewal.json.orderId}`)).json.extraGb).toEqual({ mailbox: 2, archive: 3 });

    await payByTransfer(renewal.json);

    expect(await platformAccount(table, address)).toMatchObject({ mailboxGb: 4, archiveGb: 6 });
    const text = (await renewalEmails(address))[0]?.text ?? '';
    expect(text).toContain('Spazio aggiuntivo: 2 GB di casella e 3 GB di archivio in più, per ogni anno');
    expect(text).toContain('Durata del rinnovo: 2 anni');
  });

  it('of archive are refused on Standard: 409 naming extraGb.archive for a Standard mailbox, 400 when the body asks for Standard', async () => {
    const { address } = await activeMailbox('standard');

    const onStandard = await renew(address, { extraGb: { archive: 2 } });
    expect(onStandard.status).toBe(409);
    expect(onStandard.json).toMatchObject({ code: 'archive_not_available', errors: [{ path: 'extraGb.archive' }] });

    const askedStandard = await renew(address, { type: 'standard', extraGb: { mailbox: 1, archive: 2 } });
    expect(askedStandard.status).toBe(400);
    expect(askedStandard.json.errors.map((e: { path: string }) => e.path)).toEqual(['extraGb.archive']);

    // Extra mailbox GB are for any plan.
    const mailboxOnly = await renew(address, { extraGb: { mailbox: 1 } });
    expect(mailboxOnly.status).toBe(201);
    expect(mailboxOnly.json.totals.netCents).toBe(600);
  });
});

describe('the billing identifier of a renewal', () => {
  it("is the original order's by default, and the one a renewal names for that renewal only", async () => {
    const { address, orderId } = await activeMailbox('standard', { recipientCode: 'KRRH6B9' });
    expect(await billingOf(orderId)).toEqual({ recipientCode: 'KRRH6B9' });

    const byDefault = await renew(address, {});
    const named = await renew(address, { billing: { pecAddress: 'fatture@pec.it' } });
    const afterIt = await renew(address, {});

    expect([byDefault.status, named.status, afterIt.status]).toEqual([201, 201, 201]);
    expect(await billingOf(byDefault.json.orderId)).toEqual({ recipientCode: 'KRRH6B9' });
    expect(await billingOf(named.json.orderId)).toEqual({ pecAddress: 'fatture@pec.it' });
    expect(await billingOf(afterIt.json.orderId)).toEqual({ recipientCode: 'KRRH6B9' });
  });

  it('is refused when malformed, naming the field', async () => {
    const { address } = await activeMailbox('standard');
    const bad = await renew(address, { billing: { recipientCode: 'AB' } });
    expect(bad.status).toBe(400);
    expect(bad.json.errors.map((e: { path: string }) => e.path)).toEqual(['billing.recipientCode']);
  });

  it('is carried by an automatic renewal too, which ends with the same confirmation', async () => {
    const address = freshAddress('mypec.eu');
    const created = await local.api.post('/orders', {
      ...orderBody({ address, type: 'pro', payment: card }),
      billing: { pecAddress: 'amministrazione@pec.it' },
    });
    await local.api.waitForOrder(created.json.orderId, (o) => o.status === 'completed');
    const mailbox = await mailboxOf(address);
    expect(mailbox.autoRenew).toBe(true);

    // The charge notice 37 days before expiry, then the charge a week before (here, six days).
    const noticed = await local.api.request('POST', '/_local/renewal-sweep', {
      body: { at: new Date(Date.parse(mailbox.expiresAt) - 37 * DAY).toISOString() },
      apiKey: null,
    });
    expect(noticed.json.chargeNotices).toBeGreaterThanOrEqual(1);
    const swept = await local.api.request('POST', '/_local/renewal-sweep', {
      body: { at: new Date(Date.parse(mailbox.expiresAt) - 6 * DAY).toISOString() },
      apiKey: null,
    });
    expect(swept.status).toBe(200);
    expect(swept.json.autoRenewals).toBeGreaterThanOrEqual(1);

    const renewals = (await local.api.get('/orders?limit=100')).json.items.filter(
      (o: { kind: string; mailbox: { address: string } }) => o.kind === 'renewal' && o.mailbox.address === address,
    );
    expect(renewals).toHaveLength(1);
    await local.api.waitForOrder(renewals[0].orderId, (o) => o.status === 'completed');
    expect(await billingOf(renewals[0].orderId)).toEqual({ pecAddress: 'amministrazione@pec.it' });
    const text = (await renewalEmails(address))[0]?.text ?? '';
    expect(text).toContain('Piano: Pro');
    expect(text).toMatch(/Totale: \d/);
  });
});
