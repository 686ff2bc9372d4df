import { describe, expect, it } from 'vitest';
import { freshAddress, orderBody } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';

/*
 * Over HTTP: a new order names the general contract conditions the holder accepted (the version
 * GET /catalog shows), and every new order emails the holder its confirmation: a card or PayPal
 * order a "conferma d'ordine", a transfer or slip order its payment instructions.
 */

const local = withLocalRuntime();

const emailsAbout = async (address: string) => (await local.api.outbox()).filter((m) => m.text.includes(address));

describe('the general contract conditions', () => {
  it('GET /catalog names the version in force and where to read it', async () => {
    const catalog = await local.api.get('/catalog');
    expect(catalog.status).toBe(200);
    expect(catalog.json.terms).toEqual({
      version: '2026-01',
      url: 'https://pec.example.com/condizioni-generali/2026-01',
    });
  });

  it.each([
    ['without consents', undefined],
    ['without a version', {}],
    ['with an earlier version', { termsVersion: '2025-06' }],
    ['with a version that is not text', { termsVersion: 202601 }],
  ])('refuses a new order %s: 400 naming consents.termsVersion, nothing reserved', async (_case, consents) => {
    const address = freshAddress();
    const body = { ...orderBody({ address }), consents };

    const response = await local.api.post('/orders', body);

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.json).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(response.json.errors).toEqual([
      { path: 'consents.termsVersion', message: expect.stringContaining('2026-01') },
    ]);
    const availability = await local.api.get(`/availability?address=${encodeURIComponent(address)}`);
    expect(availability.json.available).toBe(true);
  });

  it('accepts the version in force; the order keeps it, with the time of acceptance, in the record of the sale', async () => {
    const created = await local.api.post('/orders', orderBody());
    expect(created.status).toBe(201);
    // The storefront's view of the order does not show it.
    expect(created.json).not.toHaveProperty('consents');

    const { orderId } = await local.api.waitForOrder(created.json.orderId, (o) => o.status === 'completed');
    // The record is filed by the workflow's last step, right after the order shows completed.
    const filed = `documents/orders/${orderId}.json`;
    for (let polls = 0; polls < 200 && !local.runtime.auditObjects().has(filed); polls++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const document = JSON.parse(local.runtime.auditObjects().get(filed) ?? '{}');
    expect(document.consents).toEqual({ termsVersion: '2026-01', acceptedAt: created.json.createdAt });
  });
});

describe('the order confirmation', () => {
  it('a card order: a "conferma d\'ordine" once, before the first-access email, with what was ordered, the total and what follows', async () => {
    const address = freshAddress('mypec.eu');
    const created = await local.api.post('/orders', orderBody({ address, type: 'pro', years: 2 }));
    const orderId: string = created.json.orderId;
    await local.api.waitForOrder(orderId, (o) => o.status === 'completed');

    const emails = await emailsAbout(address);
    expect(emails.map((m) => m.subject)).toEqual([
      `Conferma dell'ordine ${orderId}: casella PEC ${address}`,
      `La tua casella PEC ${address} è attiva`,
    ]);
    const confirmation = emails[0];
    expect(confirmation?.to).toEqual(['mario.rossi@example.com']);
    const text = confirmation?.text ?? '';
    expect(text).toContain(`Casella PEC: ${address}`);
    expect(text).toContain('Piano: Pro (2 GB di casella, 3 GB di archivio)');
    expect(text).toContain('Durata: 2 anni');
    expect(text).toMatch(/Totale: 61,00\s€/u); // 2 × 25,00 € + 22% VAT
    expect(text).toContain('sulla tua carta');
    expect(text).toContain('il link per creare la password');
    expect(text).toContain('versione 2026-01');
    expect(confirmation?.html).toContain('https://pec.example.com/condizioni-generali/2026-01');
  });

  it('a card order that is declined was confirmed as placed, then its failure told', async () => {
    const address = freshAddress();
    const created = await local.api.post(
      '/orders',
      orderBody({ address, payment: { method: 'card', token: 'tok_declined_insufficient_funds' } }),
    );
    await local.api.waitForOrder(created.json.orderId, (o) => o.status === 'failed');
    // The closing tells the holder right after it marks the order failed.
    await local.runtime.outbox.waitFor((m) => m.text.includes(address) && m.subject.includes('non riuscita'));

    const subjects = (await emailsAbout(address)).map((m) => m.subject);
    expect(subjects).toHaveLength(2);
    expect(subjects[0]).toContain("Conferma dell'ordine");
    expect(subjects[1]).toContain('non riuscita');
  });

  it('a bank transfer order: its payment instructions are the confirmation, once, with what was ordered and what follows', async () => {
    const address = freshAddress('pec.cloud');
    const created = await local.api.post('/orders', orderBody({ address, payment: { method: 'bank_transfer' } }));
    const orderId: string = created.json.orderId;
    await local.runtime.outbox.waitFor((m) => m.text.includes(orderId) && m.subject.includes('pagamento'), 10_000);

    const emails = await emailsAbout(address);
    expect(emails.map((m) => m.subject)).toEqual([`Conferma dell'ordine ${orderId}: istruzioni per il pagamento`]);
    const text = emails[0]?.text ?? '';
    expect(text).toContain(`Casella PEC: ${address}`);
    expect(text).toContain('Piano: Standard (1 GB di casella)');
    expect(text).toContain('Durata: 1 anno');
    expect(text).toMatch(/Totale: 6,10\s€/u);
    expect(text).toContain('Causale del bonifico');
    expect(text).toContain('attiviamo la casella');
    expect(text).toContain('versione 2026-01');
  });
});
