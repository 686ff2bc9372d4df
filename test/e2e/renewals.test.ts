import { describe, expect, it } from 'vitest';
import { freshAddress, orderBody } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';
import { deliver, paymentEvent } from '../support/webhooks.ts';

const local = withLocalRuntime();

const path = (address: string, suffix = '') => `/mailboxes/${encodeURIComponent(address)}${suffix}`;

/** An active mailbox, ordered and paid as a storefront would. */
async function activeMailbox(payment: Record<string, unknown> = { method: 'card', token: 'tok_visa' }) {
  const address = freshAddress('casellapec.com');
  const created = await local.api.post('/orders', orderBody({ address, type: 'pro', payment }));
  expect(created.status).toBe(201);
  if (payment.method === 'bank_transfer') {
    await local.runtime.outbox.waitFor((m) => m.text.includes(created.json.orderId), 10_000);
    await deliver(local.api, paymentEvent(created.json.orderId, created.json.totals.grossCents));
  }
  await local.api.waitForOrder(created.json.orderId, (o) => o.status === 'completed');
  return { address, mailbox: (await local.api.get(path(address))).json };
}

describe('manual renewal and automatic renewal', () => {
  it('is refused while automatic renewal is on; once off, a renewal extends the expiry by its years', async () => {
    const { address, mailbox } = await activeMailbox();
    expect(mailbox.autoRenew).toBe(true);

    const refused = await local.api.post(path(address, '/renewals'), {
      years: 2,
      payment: { method: 'card', token: 'tok_visa' },
    });
    expect(refused.status).toBe(409);
    expect(refused.json.code).toBe('auto_renew_active');

    const off = await local.api.request('PUT', path(address, '/auto-renew'), { body: { enabled: false } });
    expect(off.status).toBe(200);
    expect(off.json).toMatchObject({ address, autoRenew: false, status: 'active' });

    const renewal = await local.api.post(path(address, '/renewals'), {
      years: 2,
      payment: { method: 'card', token: 'tok_visa' },
    });
    expect(renewal.status).toBe(201);
    expect(renewal.json).toMatchObject({
      kind: 'renewal',
      status: 'pending_payment',
      mailbox: { address, type: 'pro' },
      years: 2,
      totals: { netCents: 5000, vatCents: 1100, grossCents: 6100 },
    });
    await local.api.waitForOrder(renewal.json.orderId, (o) => o.status === 'completed');

    const renewed = (await local.api.get(path(address))).json;
    const before = new Date(mailbox.expiresAt);
    const after = new Date(renewed.expiresAt);
    expect(after.getUTCFullYear() - before.getUTCFullYear()).toBe(2);
    expect(after.getUTCMonth()).toBe(before.getUTCMonth());
    expect(after.getUTCDate()).toBe(before.getUTCDate());
    expect(renewed.activatedAt).toBe(mailbox.activatedAt);

    const emails = (await local.api.outbox()).filter((m) => m.text.includes(address));
    expect(emails.filter((m) => m.subject.includes('rinnovata'))).toHaveLength(1);
    // No second first-access link for a renewal.
    expect(emails.filter((m) => m.text.includes('token='))).toHaveLength(1);

    const on = await local.api.request('PUT', path(address, '/auto-renew'), { body: { enabled: true } });
    expect(on.status).toBe(200);
    expect(on.json.autoRenew).toBe(true);
  });

  it('a renewal paid by bank transfer waits for its credit like a new order', async () => {
    const { address, mailbox } = await activeMailbox({ method: 'bank_transfer' });
    expect(mailbox.autoRenew).toBe(false);
    const renewal = await local.api.post(path(address, '/renewals'), {
      years: 1,
      payment: { method: 'bank_transfer' },
    });
    expect(renewal.status).toBe(201);
    await local.runtime.outbox.waitFor(
      (m) => m.text.includes(renewal.json.orderId) && m.text.includes('rinnovo'),
      10_000,
    );
    expect((await local.api.get(`/orders/${renewal.json.orderId}`)).json.status).toBe('pending_payment');
    await deliver(local.api, paymentEvent(renewal.json.orderId, renewal.json.totals.grossCents));
    await local.api.waitForOrder(renewal.json.orderId, (o) => o.status === 'completed');
    const renewed = (await local.api.get(path(address))).json;
    expect(new Date(renewed.expiresAt).getUTCFullYear() - new Date(mailbox.expiresAt).getUTCFullYear()).toBe(1);
  });

  it('automatic renewal cannot be enabled without a card or PayPal payment to charge', async () => {
    const { address } = await activeMailbox({ method: 'bank_transfer' });
    const response = await local.api.request('PUT', path(address, '/auto-renew'), { body: { enabled: true } });
    expect(response.status).toBe(409);
    expect(response.json.code).toBe('payment_method_required');
    expect((await local.api.get(path(address))).json.autoRenew).toBe(false);
  });

  it('unknown mailboxes are 404 and bad bodies 400, naming the fields', async () => {
    const unknown = 'nobody.here@pec.it';
    expect(
      (await local.api.post(path(unknown, '/renewals'), { years: 1, payment: { method: 'card', token: 'tok_visa' } }))
        .status,
    ).toBe(404);
    expect((await local.api.request('PUT', path(unknown, '/auto-renew'), { body: { enabled: false } })).status).toBe(
      404,
    );

    const { address } = await activeMailbox();
    const bad = await local.api.post(path(address, '/renewals'), { years: 7, payment: { method: 'cheque' } });
    expect(bad.status).toBe(400);
    const paths = bad.json.errors.map((e: { path: string }) => e.path);
    expect(paths).toContain('years');
    expect(paths.some((p: string) => p.startsWith('payment'))).toBe(true);
    const badToggle = await local.api.request('PUT', path(address, '/auto-renew'), { body: { enabled: 'yes' } });
    expect(badToggle.status).toBe(400);
    expect(badToggle.json.errors[0].path).toBe('enabled');
    expect(
      (await local.api.request('PUT', path(address, '/auto-renew'), { body: { enabled: false }, apiKey: null })).status,
    ).toBe(401);
  });
});
