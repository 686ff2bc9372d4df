import { describe, expect, it } from 'vitest';
import { localApiKeyId } from '../../local/http-gateway.ts';
import { bankRef, camt054 } from '../support/camt.ts';
import { ApiClient } from '../support/client.ts';
import { freshAddress, orderBody, RESELLER_DOCUMENTS } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';
import { deliver, paymentEvent } from '../support/webhooks.ts';

/*
 * Resellers over HTTP, as a reseller uses the API: orders and renewals without a payment, debited from
 * the prepaid credit at the reseller price list; 402 insufficient_credit with nothing reserved and
 * nothing debited; a failed order's debit credited back once; GET /reseller/credit a page at a time.
 */

const RESELLER = 'rk_local_reseller';
/** A second reseller, for the tests that need to know its balance exactly. */
const SHORT_RESELLER = 'rk_local_short';

const local = withLocalRuntime({ faults: true, retryIntervalMs: 20, resellerApiKeys: [RESELLER, SHORT_RESELLER] });
const reseller = () => new ApiClient(local.runtime.url, RESELLER);

/** A reseller's order: the storefront body without its payment, with the documents it will upload. */
function resellerOrder(overrides: Parameters<typeof orderBody>[0] = {}) {
  const { payment: _payment, ...body } = orderBody(overrides);
  return { ...body, documents: RESELLER_DOCUMENTS };
}

const creditOf = async (api: ApiClient, query = '') => {
  const response = await api.get(`/reseller/credit${query}`);
  expect(response.status).toBe(200);
  return response.json as {
    balanceCents: number;
    lowBalanceThresholdCents: number;
    movements: { movementId: string; kind: string; amountCents: number; orderId?: string }[];
    nextCursor: string | null;
  };
};

/** Every movement of a reseller, page after page of `limit`. */
async function allMovements(api: ApiClient, limit: number) {
  const movements = [];
  let cursor: string | null = null;
  do {
    const page = await creditOf(api, `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(page.movements.length).toBeLessThanOrEqual(limit);
    movements.push(...page.movements);
    cursor = page.nextCursor;
  } while (cursor);
  return movements;
}

const SIGN: Record<string, number> = { deposit: 1, top_up: 1, debit: -1, credit_back: 1 };
const available = async (address: string) =>
  (await local.api.get(`/availability?address=${encodeURIComponent(address)}`)).json.available as boolean;

describe('reseller orders paid from credit', () => {
  it('starts with the contract’s reseller and its 20,000 cents, a deposit in its ledger', async () => {
    const credit = await creditOf(new ApiClient(local.runtime.url, SHORT_RESELLER));
    expect(credit).toMatchObject({ balanceCents: 20_000, nextCursor: null });
    expect(credit.movements).toEqual([
      expect.objectContaining({ movementId: 'deposit#opening', kind: 'deposit', amountCents: 20_000 }),
    ]);
  });

  it('debits a new order at the reseller price list as it is placed; the mailbox is activated without payment', async () => {
    const api = reseller();
    const before = (await creditOf(api)).balanceCents;
    const address = freshAddress();

    const created = await api.post('/orders', resellerOrder({ address, type: 'pro', years: 2 }));

    expect(created.status).toBe(201);
    // Pro at the reseller price list: 17.50 euro a year, net.
    expect(created.json).toMatchObject({
      status: 'activating',
      totals: { netCents: 3500, vatCents: 770, grossCents: 4270 },
      payment: { method: 'credit', status: 'paid' },
    });
    expect(created.json.paidAt).not.toBeNull();
    const credit = await creditOf(api);
    expect(credit.balanceCents).toBe(before - 3500);
    expect(credit.movements[0]).toMatchObject({
      movementId: `debit#${created.json.orderId}`,
      kind: 'debit',
      amountCents: 3500,
      orderId: created.json.orderId,
    });
    const completed = await api.waitForOrder(created.json.orderId, (order) => order.status === 'completed');
    expect(completed.payment).toMatchObject({ method: 'credit', status: 'paid' });
    expect((await api.get(`/mailboxes/${encodeURIComponent(address)}`)).json).toMatchObject({ status: 'active' });
    // The holder gets the first-access email as with any order.
    await local.runtime.outbox.waitFor((m) => m.to.includes('mario.rossi@example.com') && m.text.includes(address));
  });

  it('debits a renewal of its mailbox; a storefront key still needs a payment, a reseller may not send one', async () => {
    const api = reseller();
    const address = freshAddress();
    const created = await api.post('/orders', resellerOrder({ address }));
    await api.waitForOrder(created.json.orderId, (order) => order.status === 'completed');
    const before = (await creditOf(api)).balanceCents;

    const refused = await api.post(`/mailboxes/${encodeURIComponent(address)}/renewals`, {
      years: 1,
      payment: { method: 'bank_transfer' },
    });
    expect(refused.status).toBe(400);
    expect(refused.json.errors).toEqual([{ path: 'payment', message: expect.stringContaining('prepaid credit') }]);

    const renewal = await api.post(`/mailboxes/${encodeURIComponent(address)}/renewals`, { years: 3 });
    expect(renewal.status).toBe(201);
    expect(renewal.json).toMatchObject({ kind: 'renewal', totals: { netCents: 1050 }, payment: { method: 'credit' } });
    expect((await creditOf(api)).balanceCents).toBe(before - 1050);
    await api.waitForOrder(renewal.json.orderId, (order) => order.status === 'completed');

    const { documents: _documents, ...withoutPayment } = resellerOrder();
    const storefront = await local.api.post('/orders', withoutPayment);
    expect(storefront.status).toBe(400);
    expect(storefront.json.errors).toEqual([{ path: 'payment', message: expect.any(String) }]);
  });

  it('refuses an order the credit does not cover with 402: nothing reserved, nothing debited', async () => {
    const api = new ApiClient(local.runtime.url, SHORT_RESELLER);
    // 20,000 cents: one premium for 5 years (14,000) fits, a second one does not.
    const first = await api.post('/orders', resellerOrder({ type: 'premium', years: 5 }));
    expect(first.status).toBe(201);
    const address = freshAddress();

    const refused = await api.post('/orders', resellerOrder({ address, type: 'premium', years: 5 }));

    expect(refused.status).toBe(402);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.json).toMatchObject({ status: 402, code: 'insufficient_credit' });
    expect(await available(address)).toBe(true);
    const credit = await creditOf(api);
    expect(credit.balanceCents).toBe(6000);
    expect(credit.movements.map((m) => m.kind)).toEqual(['debit', 'deposit']);
    // What the credit covers still goes through.
    expect((await api.post('/orders', resellerOrder({ address, type: 'pro', years: 1 }))).status).toBe(201);
    expect((await creditOf(api)).balanceCents).toBe(6000 - 1750);
  });

  it('credits a failed order back exactly once, and frees its address', async () => {
    const api = reseller();
    const before = (await creditOf(api)).balanceCents;
    const address = freshAddress();
    // Provisioning cannot reach the table, however often it is retried: the order fails.
    local.runtime.faults?.add({ service: 'dynamodb', caller: 'provision-mailbox', contains: address, times: Infinity });

    const created = await api.post('/orders', resellerOrder({ address }));
    expect(created.status).toBe(201);
    // The order shows failed as its closing begins; the credit-back is the closing's first effect.
    await local.runtime.idle();
    const failed = (await api.get(`/orders/${created.json.orderId}`)).json;

    expect(failed.status).toBe('failed');
    expect(failed.payment).toMatchObject({ method: 'credit', status: 'refunded' });
    const movements = (await creditOf(api)).movements.filter((m) => m.orderId === created.json.orderId);
    expect(movements.map((m) => [m.kind, m.amountCents])).toEqual([
      ['credit_back', 350],
      ['debit', 350],
    ]);
    expect((await creditOf(api)).balanceCents).toBe(before);
    expect(await available(address)).toBe(true);
  });

  it('lists the movements newest first a page at a time; they add up to the balance', async () => {
    const api = reseller();
    const { balanceCents } = await creditOf(api);
    const movements = await allMovements(api, 2);

    expect(new Set(movements.map((m) => m.movementId)).size).toBe(movements.length);
    expect(movements.at(-1)).toMatchObject({ movementId: 'deposit#opening' });
    expect(movements.reduce((sum, m) => sum + (SIGN[m.kind] ?? 0) * m.amountCents, 0)).toBe(balanceCents);
    expect(await allMovements(api, 100)).toEqual(movements);

    const otherReseller = await new ApiClient(local.runtime.url, SHORT_RESELLER).get(
      `/reseller/credit?limit=1&cursor=${encodeURIComponent((await creditOf(api, '?limit=1')).nextCursor ?? '')}`,
    );
    expect(otherReseller.status).toBe(400);
    expect(otherReseller.json.errors[0].path).toBe('cursor');
  });

  it('emails the reseller once when a debit takes the balance below the threshold it set', async () => {
    const api = reseller();
    const { balanceCents } = await creditOf(api);
    const settings = await api.request('PUT', '/reseller/settings', {
      body: { lowBalanceThresholdCents: balanceCents - 100 },
    });
    expect(settings.status).toBe(200);
    expect(settings.json).toEqual({ balanceCents, lowBalanceThresholdCents: balanceCents - 100 });

    for (let i = 0; i < 2; i++) expect((await api.post('/orders', resellerOrder())).status).toBe(201);

    const subject = 'Credito prepagato in esaurimento';
    await local.runtime.outbox.waitFor((m) => m.subject === subject);
    const emails = (await local.api.outbox()).filter((m) => m.subject === subject);
    expect(emails).toHaveLength(1);
    expect(emails[0]?.to).toEqual(['rivenditore1@example.com']);
    expect((await creditOf(api)).lowBalanceThresholdCents).toBe(balanceCents - 100);
  });

  it('tops the credit up by bank transfer once the webhook registers it, once however often it is delivered', async () => {
    const api = reseller();
    const before = (await creditOf(api)).balanceCents;

    const created = await api.post(
      '/reseller/credit/top-ups',
      { amountCents: 10_000, payment: { method: 'bank_transfer' } },
      { headers: { 'Idempotency-Key': `top-up-${process.pid}-${Date.now()}` } },
    );

    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      amountCents: 10_000,
      totals: { netCents: 10_000, vatCents: 2200, grossCents: 12_200 },
      payment: { method: 'bank_transfer', reference: expect.stringMatching(/^RF\d\d/) },
      status: 'pending',
      creditedAt: null,
    });
    expect((await creditOf(api)).balanceCents).toBe(before);
    const { topUpId } = created.json;
    const wrong = await deliver(local.api, paymentEvent(topUpId, 10_000));
    expect(wrong.json).toMatchObject({ outcome: 'amount_mismatch', refundRequired: true });

    const event = paymentEvent(topUpId, 12_200);
    const [first, again] = await Promise.all([deliver(local.api, event), deliver(local.api, event)]);
    expect([first.status, again.status]).toEqual([200, 200]);
    const second = await deliver(local.api, paymentEvent(topUpId, 12_200));
    expect(second.json).toMatchObject({ outcome: 'duplicate_credit', refundRequired: true });

    const credit = await creditOf(api);
    expect(credit.balanceCents).toBe(before + 10_000);
    expect(credit.movements.filter((m) => m.kind === 'top_up' && m.movementId === `top_up#${topUpId}`)).toHaveLength(1);
  });

  it('tops the credit up when the bank statement registers the transfer', async () => {
    const api = reseller();
    const before = (await creditOf(api)).balanceCents;
    const created = await api.post('/reseller/credit/top-ups', {
      amountCents: 5000,
      payment: { method: 'bank_transfer' },
    });
    const { reference } = created.json.payment;
    const xml = camt054([{ bankRef: bankRef(), transactions: [{ amountCents: 6100, structured: reference }] }]);
    const post = () =>
      local.api.request('POST', '/_local/bank-statements', {
        rawBody: xml,
        headers: { 'content-type': 'application/xml' },
        apiKey: null,
      });

    expect((await post()).json).toEqual({ entries: 1, matched: 1, anomalies: 0 });
    expect((await post()).json).toEqual({ entries: 1, matched: 0, anomalies: 0 });
    expect((await creditOf(api)).balanceCents).toBe(before + 5000);
  });

  it('refuses the reseller routes to a storefront key with 403 reseller_only', async () => {
    const credit = await local.api.get('/reseller/credit');
    expect(credit.status).toBe(403);
    expect(credit.json).toMatchObject({ status: 403, code: 'reseller_only' });
    const settings = await local.api.request('PUT', '/reseller/settings', { body: { lowBalanceThresholdCents: 100 } });
    expect(settings.status).toBe(403);
    const topUp = await local.api.post('/reseller/credit/top-ups', {
      amountCents: 5000,
      payment: { method: 'bank_transfer' },
    });
    expect(topUp.status).toBe(403);
    expect(localApiKeyId(RESELLER)).not.toBe(localApiKeyId('sk_local_dev'));
  });
});
