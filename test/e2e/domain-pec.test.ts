import { describe, expect, it } from 'vitest';
import { orderBody } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';

const local = withLocalRuntime({ dnsPollMs: 100 });

// The provider's mail exchangers, as configured in cdk.json / the CDK app defaults.
const PROVIDER_MX = ['mx1.pec.example.com', 'mx2.pec.example.com'];
let counter = 0;
const ownDomain = () => `studio-${process.pid}-${Date.now().toString(36)}-${counter++}.it`;
const setMx = (domain: string, mx: unknown) =>
  local.api.request('PUT', `/_local/dns/${domain}`, { body: { mx }, apiKey: null });

describe('PEC on the holder’s own domain', () => {
  it('the catalog names the MX hosts a holder’s domain must point at', async () => {
    const catalog = await local.api.get('/catalog');
    expect(catalog.status).toBe(200);
    expect(catalog.json.domainPec).toEqual({ mxHosts: PROVIDER_MX });
  });

  it('waits, activating, until the MX records point at the provider, then activates', async () => {
    const domain = ownDomain();
    // The domain exists, with no MX records yet.
    expect((await setMx(domain, [])).status).toBe(200);
    const address = `info@${domain}`;
    const created = await local.api.post('/orders', {
      ...orderBody({ address }),
      mailbox: { address, type: 'standard', domainPec: true },
    });
    expect(created.status).toBe(201);
    expect(created.json.mailbox).toEqual({ address, type: 'standard', domainPec: true });
    const orderId = created.json.orderId;

    // Paid, but the domain does not point at us yet: the holder is told which records to set.
    const instructions = await local.runtime.outbox.waitFor(
      (m) => m.text.includes(domain) && m.subject.includes('record MX'),
      10_000,
    );
    for (const host of PROVIDER_MX) expect(instructions.text).toContain(host);
    expect((await local.api.get(`/orders/${orderId}`)).json).toMatchObject({
      status: 'activating',
      payment: { status: 'paid' },
    });
    expect((await local.api.get(`/mailboxes/${encodeURIComponent(address)}`)).json).toMatchObject({
      status: 'activating',
      domainPec: true,
    });

    // Mail split with another provider is not enough.
    expect((await setMx(domain, [PROVIDER_MX[0], 'mx.other-provider.net'])).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await local.api.get(`/orders/${orderId}`)).json.status).toBe('activating');

    expect((await setMx(domain, PROVIDER_MX)).json).toEqual({ domain, mx: PROVIDER_MX });
    await local.api.waitForOrder(orderId, (o) => o.status === 'completed');
    expect((await local.api.get(`/mailboxes/${encodeURIComponent(address)}`)).json).toMatchObject({
      status: 'active',
      domainPec: true,
    });
    const emails = (await local.api.outbox()).filter((m) => m.text.includes(domain));
    expect(emails.filter((m) => m.subject.includes('record MX'))).toHaveLength(1); // told once, not at every check
    expect(emails.filter((m) => m.text.includes('token='))).toHaveLength(1);
  });

  it('an own-domain order whose domain is already set up activates at once', async () => {
    const domain = ownDomain();
    await setMx(domain, PROVIDER_MX);
    const address = `pec@${domain}`;
    const created = await local.api.post('/orders', {
      ...orderBody({ address }),
      mailbox: { address, type: 'standard', domainPec: true },
    });
    await local.api.waitForOrder(created.json.orderId, (o) => o.status === 'completed');
    expect(
      (await local.api.outbox()).filter((m) => m.text.includes(domain) && m.subject.includes('record MX')),
    ).toHaveLength(0);
  });

  it('is Standard only, on a domain of the holder, and the DNS stand-in checks its input', async () => {
    const domain = ownDomain();
    const pro = await local.api.post('/orders', {
      ...orderBody(),
      mailbox: { address: `info@${domain}`, type: 'pro', domainPec: true },
    });
    expect(pro.status).toBe(400);
    expect(pro.json.errors.map((e: { path: string }) => e.path)).toContain('mailbox.domainPec');
    const generic = await local.api.post('/orders', {
      ...orderBody(),
      mailbox: { address: 'info@pec.it', type: 'standard', domainPec: true },
    });
    expect(generic.status).toBe(400);
    const bad = await setMx(domain, 'mx1');
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].path).toBe('mx');
  });
});

describe('own-domain orders refused before any payment', () => {
  const ownDomainOrder = (address: string, payment?: Record<string, unknown>) => ({
    ...orderBody({ address, ...(payment ? { payment } : {}) }),
    mailbox: { address, type: 'standard', domainPec: true },
  });

  it('refuses a domain that does not exist in DNS (NXDOMAIN) with a 400 naming mailbox.address; nothing is held', async () => {
    const domain = ownDomain(); // never set: the local DNS answers NXDOMAIN
    const address = `info@${domain}`;
    const refused = await local.api.post('/orders', ownDomainOrder(address));
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.json).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(refused.json.errors).toEqual([
      { path: 'mailbox.address', message: expect.stringContaining(`"${domain}" does not exist in DNS`) },
    ]);
    expect((await local.api.outbox()).some((m) => m.text.includes(domain))).toBe(false);

    // Once the domain exists (here without MX records), the same order is taken.
    await setMx(domain, []);
    expect((await local.api.post('/orders', ownDomainOrder(address, { method: 'bank_transfer' }))).status).toBe(201);
  });

  it.each(['gmail.com', 'outlook.com', 'libero.it', 'gmx.de', 'posta.virgilio.it'])(
    'refuses a public mailbox provider’s domain: %s',
    async (domain) => {
      // Even when DNS knows it: the domain is not the holder's.
      await setMx(domain, ['mx.provider.example']);
      const refused = await local.api.post('/orders', ownDomainOrder(`mario.rossi.${counter++}@${domain}`));
      expect(refused.status).toBe(400);
      expect(refused.json.errors).toEqual([
        { path: 'mailbox.address', message: expect.stringContaining('public mailbox provider') },
      ]);
    },
  );

  it('refuses the provider’s own generic PEC domains and their subdomains', async () => {
    for (const address of ['info@arubapec.it', 'info@studio.pec.it']) {
      const refused = await local.api.post('/orders', ownDomainOrder(address));
      expect(refused.status).toBe(400);
      expect(refused.json.errors).toEqual([
        { path: 'mailbox.address', message: expect.stringContaining('generic PEC domain') },
      ]);
    }
  });
});
