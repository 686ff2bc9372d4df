import { describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.ts';
import { orderBody, RESELLER_DOCUMENTS } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';

/*
 * A reseller's certified domains over HTTP: refused for generic PEC domains, public mail providers and
 * names DNS does not know; a year debited from the credit with the request (402 when short, nothing
 * written); certified once the MX records point at the provider (`PUT /_local/dns/{domain}`); no
 * mailbox on a domain before it is certified, and one on a certified domain activated at once.
 */

const RESELLER = 'rk_local_reseller';
/** Resellers whose balance the tests need to know exactly. */
const OTHER = 'rk_local_domains_other';
const POOR = 'rk_local_domains_poor';
/** Resellers of the yearly renewal: one with credit to renew, one left short. */
const RENEWING = 'rk_local_domains_renewing';
const SHORT = 'rk_local_domains_short';

const local = withLocalRuntime({ resellerApiKeys: [RESELLER, OTHER, POOR, RENEWING, SHORT] });
const as = (key: string) => new ApiClient(local.runtime.url, key);

// The provider's mail exchangers, as configured in the CDK app defaults.
const PROVIDER_MX = ['mx1.pec.example.com', 'mx2.pec.example.com'];
let counter = 0;
const freshDomain = () => `rivendita-${process.pid}-${Date.now().toString(36)}-${counter++}.it`;
const setMx = (domain: string, mx: string[]) =>
  local.api.request('PUT', `/_local/dns/${domain}`, { body: { mx }, apiKey: null });
// The provider's name servers, as configured in the CDK app defaults (`pec:hostedNameServers`).
const PROVIDER_NS = ['ns1.pec.example.com', 'ns2.pec.example.com'];
const setRecords = (domain: string, records: { mx?: string[]; ns?: string[] }) =>
  local.api.request('PUT', `/_local/dns/${domain}`, { body: records, apiKey: null });

const waitOf = (domain: string) =>
  local.runtime.stepFunctions.executions().find((candidate) => candidate.name === `domain-${domain}`);
const enteredWait = (domain: string) =>
  (waitOf(domain)?.history ?? []).some(
    (event) =>
      event.type === 'TaskStateEntered' &&
      (event.stateEnteredEventDetails as { name?: string } | undefined)?.name === 'WaitForDomainDns',
  );

/** Polls until `done` holds for the domain's background wait (the certification workflow's execution). */
async function until(done: () => boolean, what: string) {
  for (let attempt = 0; attempt < 400; attempt++) {
    if (done()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Gave up waiting: ${what}`);
}

/** The domain's background wait, once it has ended. */
async function waitEnded(domain: string) {
  await until(
    () => waitOf(domain)?.status !== undefined && waitOf(domain)?.status !== 'RUNNING',
    `${domain}'s wait ends`,
  );
  return waitOf(domain) as NonNullable<ReturnType<typeof waitOf>>;
}

const creditOf = async (api: ApiClient) => {
  const response = await api.get('/reseller/credit?limit=100');
  expect(response.status).toBe(200);
  return response.json as {
    balanceCents: number;
    movements: { movementId: string; kind: string; amountCents: number }[];
  };
};

/** A reseller's mailbox order on `address` (own domain: `domainPec`). */
function resellerOrder(address: string) {
  const { payment: _payment, ...body } = orderBody({ address });
  return { ...body, mailbox: { ...body.mailbox, domainPec: true }, documents: RESELLER_DOCUMENTS };
}

describe('certified domains of a reseller', () => {
  it('refuses generic PEC domains, public mail providers and domains DNS does not know, debiting nothing', async () => {
    const api = as(RESELLER);
    const before = (await creditOf(api)).balanceCents;
    for (const domain of ['pec.it', 'studio.pec.it', 'gmail.com', 'libero.it', freshDomain()]) {
      const refused = await api.post('/reseller/domains', { domain });
      expect(refused.status, domain).toBe(400);
      expect(refused.json.errors).toEqual([{ path: 'domain', message: expect.any(String) }]);
    }
    expect((await creditOf(api)).balanceCents).toBe(before);
  });

  it('refuses the domain routes to a storefront key with 403 reseller_only', async () => {
    const domain = freshDomain();
    await setMx(domain, []);
    for (const response of [
      await local.api.post('/reseller/domains', { domain }),
      await local.api.get('/reseller/domains'),
      await local.api.post(`/reseller/domains/${domain}/dns-check`, {}),
    ]) {
      expect(response.status).toBe(403);
      expect(response.json).toMatchObject({ code: 'reseller_only' });
    }
  });

  it('debits the yearly price, waits for the MX records, then takes mailboxes on the domain', async () => {
    const api = as(RESELLER);
    const domain = freshDomain();
    await setMx(domain, []); // exists, no MX yet
    const before = (await creditOf(api)).balanceCents;

    const requested = await api.post('/reseller/domains', { domain });
    expect(requested.status).toBe(201);
    expect(requested.json).toMatchObject({ domain, status: 'pending_dns', priceCents: 1500 });
    const credit = await creditOf(api);
    expect(credit.balanceCents).toBe(before - 1500);
    expect(credit.movements).toContainEqual(
      expect.objectContaining({ kind: 'debit', amountCents: 1500, movementId: expect.stringContaining(domain) }),
    );

    // Not certified yet: no mailbox on it, nothing debited.
    const early = await api.post('/orders', resellerOrder(`info@${domain}`));
    expect(early.status).toBe(409);
    expect(early.json).toMatchObject({ code: 'domain_not_certified' });
    expect(early.json.errors).toEqual([{ path: 'mailbox.address', message: expect.any(String) }]);
    expect((await creditOf(api)).balanceCents).toBe(before - 1500);

    // MX pointing elsewhere: still pending.
    await setMx(domain, ['mx.elsewhere.example']);
    const pending = await api.post(`/reseller/domains/${domain}/dns-check`, {});
    expect(pending.json).toMatchObject({ status: 'pending_dns' });

    await setMx(domain, PROVIDER_MX);
    const checked = await api.post(`/reseller/domains/${domain}/dns-check`, {});
    expect(checked.status).toBe(200);
    expect(checked.json).toMatchObject({ domain, status: 'certified', certifiedAt: expect.any(String) });
    const listed = await api.get('/reseller/domains');
    expect(listed.json.domains).toContainEqual(expect.objectContaining({ domain, status: 'certified' }));

    // Asking again answers the domain as it is, debited once.
    const again = await api.post('/reseller/domains', { domain });
    expect(again.status).toBe(200);
    expect((await creditOf(api)).balanceCents).toBe(before - 1500);

    // On the certified domain: debited as any reseller order (Standard 3.50 net), active without a DNS wait.
    const address = `info@${domain}`;
    const created = await api.post('/orders', resellerOrder(address));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ status: 'activating', payment: { method: 'credit', status: 'paid' } });
    expect((await creditOf(api)).balanceCents).toBe(before - 1500 - 350);
    await api.waitForOrder(created.json.orderId, (order) => order.status === 'completed');
    expect((await api.get(`/mailboxes/${encodeURIComponent(address)}`)).json).toMatchObject({ status: 'active' });
  });

  it('certifies at once a domain whose MX records already point at the provider', async () => {
    const domain = freshDomain();
    await setMx(domain, PROVIDER_MX);
    const requested = await as(RESELLER).post('/reseller/domains', { domain });
    expect(requested.status).toBe(201);
    expect(requested.json).toMatchObject({ status: 'certified' });
  });

  it("refuses another reseller's domain, and mailboxes on it", async () => {
    const domain = freshDomain();
    await setMx(domain, PROVIDER_MX);
    expect((await as(RESELLER).post('/reseller/domains', { domain })).status).toBe(201);
    const other = as(OTHER);
    const before = (await creditOf(other)).balanceCents;

    const taken = await other.post('/reseller/domains', { domain });
    expect(taken.status).toBe(409);
    expect(taken.json.errors).toEqual([{ path: 'domain', message: expect.any(String) }]);
    const order = await other.post('/orders', resellerOrder(`info@${domain}`));
    expect(order.status).toBe(409);
    expect(order.json.errors[0].path).toBe('mailbox.address');
    expect(
      (await other.post(`/reseller/domains/${domain}/dns-check`, {})).status,
      "another reseller's domain is not found",
    ).toBe(404);
    expect((await creditOf(other)).balanceCents).toBe(before);
  });

  it('refuses with 402 a domain the credit does not cover, writing nothing', async () => {
    const api = as(POOR);
    const domains = Array.from({ length: 14 }, freshDomain);
    // Certified at once: no background wait for each.
    for (const domain of domains) await setMx(domain, PROVIDER_MX);
    // 20,000 cents: thirteen years of 1,500 leave 500.
    for (const domain of domains.slice(0, 13))
      expect((await api.post('/reseller/domains', { domain })).status).toBe(201);
    expect((await creditOf(api)).balanceCents).toBe(500);

    const last = domains[13] ?? '';
    const refused = await api.post('/reseller/domains', { domain: last });
    expect(refused.status).toBe(402);
    expect(refused.json).toMatchObject({ code: 'insufficient_credit' });
    const credit = await creditOf(api);
    expect(credit.balanceCents).toBe(500);
    expect(credit.movements.filter((movement) => movement.kind === 'debit')).toHaveLength(13);
    const listed = await api.get('/reseller/domains');
    expect(listed.json.domains.map((domain: { domain: string }) => domain.domain)).not.toContain(last);
  });

  it('certifies a pending domain in the background once its MX records are set, without a dns-check', async () => {
    const api = as(RESELLER);
    const domain = freshDomain();
    await setMx(domain, []);
    const requested = await api.post('/reseller/domains', { domain });
    expect(requested.json).toMatchObject({ status: 'pending_dns' });
    // Asked again while it waits: the same domain, one wait.
    expect((await api.post('/reseller/domains', { domain })).status).toBe(200);

    // The execution checked, found nothing, and waits (a callback whose timeout is the backoff).
    await until(() => enteredWait(domain), `${domain}'s execution waits for the next check`);
    expect(waitOf(domain)?.status).toBe('RUNNING');

    await setMx(domain, PROVIDER_MX);
    expect((await waitEnded(domain)).status).toBe('SUCCEEDED');
    const waits = local.runtime.stepFunctions.executions().filter((candidate) => candidate.name === `domain-${domain}`);
    expect(waits).toHaveLength(1);
    const listed = await api.get('/reseller/domains');
    expect(listed.json.domains).toContainEqual(
      expect.objectContaining({ domain, status: 'certified', certifiedAt: expect.any(String) }),
    );
  });

  it('wakes the waiting execution when dns-check certifies the domain', async () => {
    const api = as(RESELLER);
    const domain = freshDomain();
    await setMx(domain, []);
    expect((await api.post('/reseller/domains', { domain })).json).toMatchObject({ status: 'pending_dns' });
    await until(() => enteredWait(domain), `${domain}'s execution waits for the next check`);
    await setMx(domain, PROVIDER_MX);
    const checked = await api.post(`/reseller/domains/${domain}/dns-check`, {});
    expect(checked.json).toMatchObject({ status: 'certified' });
    expect((await waitEnded(domain)).status).toBe('SUCCEEDED');
  });

  it('certifies free a domain hosted with the provider: price 0, no movement', async () => {
    const api = as(OTHER);
    const domain = freshDomain();
    expect((await setRecords(domain, { mx: PROVIDER_MX, ns: PROVIDER_NS })).json).toEqual({
      domain,
      mx: PROVIDER_MX,
      ns: PROVIDER_NS,
    });
    const before = await creditOf(api);
    const requested = await api.post('/reseller/domains', { domain });
    expect(requested.status).toBe(201);
    expect(requested.json).toMatchObject({ domain, status: 'certified', priceCents: 0 });
    const after = await creditOf(api);
    expect(after.balanceCents).toBe(before.balanceCents);
    expect(after.movements).toEqual(before.movements);

    // Delegated half elsewhere: not hosted, the yearly price.
    const mixed = freshDomain();
    await setRecords(mixed, { mx: PROVIDER_MX, ns: [PROVIDER_NS[0] ?? '', 'ns.elsewhere.example'] });
    expect((await api.post('/reseller/domains', { domain: mixed })).json).toMatchObject({ priceCents: 1500 });
    // The local DNS body names the field it refuses.
    const bad = await setRecords(freshDomain(), { ns: 'ns1' as unknown as string[] });
    expect(bad.status).toBe(400);
  });
});

const DAY = 24 * 3600 * 1000;
/** Runs the renewal sweep as of `at` (the local runtime's sweep workflow): its totals, domain counts included. */
const sweepAt = (at: number) => local.runtime.sweep(new Date(at).toISOString());
const domainOf = async (api: ApiClient, domain: string) =>
  ((await api.get('/reseller/domains')).json.domains as { domain: string; status: string; expiresAt: string }[]).find(
    (candidate) => candidate.domain === domain,
  );

describe('the yearly renewal of a certified domain (the renewal sweep)', () => {
  it('debits the next year from the credit before expiry, once however often the sweep runs', async () => {
    const api = as(RENEWING);
    const domain = freshDomain();
    await setMx(domain, PROVIDER_MX);
    const requested = await api.post('/reseller/domains', { domain });
    expect(requested.json).toMatchObject({ status: 'certified', priceCents: 1500 });
    const expiry = Date.parse(requested.json.expiresAt);
    const before = (await creditOf(api)).balanceCents;

    // 29 days before expiry: the first attempt (30 days before) is due.
    const swept = await sweepAt(expiry - 29 * DAY);
    expect(swept.domainRenewals).toBeGreaterThanOrEqual(1);
    // Every item the sweep read was handled, the reseller mailboxes (renewal page `*`) included.
    expect(swept.failed).toBe(0);
    const next = new Date(expiry);
    next.setUTCFullYear(next.getUTCFullYear() + 1);
    expect(await domainOf(api, domain)).toMatchObject({ status: 'certified', expiresAt: next.toISOString() });
    const credit = await creditOf(api);
    expect(credit.balanceCents).toBe(before - 1500);
    expect(credit.movements).toContainEqual(
      expect.objectContaining({
        movementId: `debit#domain:${domain}:${next.toISOString().slice(0, 10)}`,
        kind: 'debit',
        amountCents: 1500,
      }),
    );

    // Swept again (the same day, and later before the new expiry): nothing more is debited.
    await sweepAt(expiry - 29 * DAY);
    await sweepAt(expiry + DAY);
    expect((await creditOf(api)).balanceCents).toBe(before - 1500);
    expect(await domainOf(api, domain)).toMatchObject({ status: 'certified', expiresAt: next.toISOString() });
  });

  it('emails the reseller when the credit is short, retries, then lapses the domain and suspends and deletes its mailboxes', async () => {
    const api = as(SHORT);
    const domain = freshDomain();
    await setMx(domain, PROVIDER_MX);
    const requested = await api.post('/reseller/domains', { domain });
    expect(requested.status).toBe(201);
    const expiry = Date.parse(requested.json.expiresAt);
    const address = `info@${domain}`;
    const ordered = await api.post('/orders', resellerOrder(address));
    expect(ordered.status).toBe(201);
    await api.waitForOrder(ordered.json.orderId, (order) => order.status === 'completed');
    const mailbox = (await api.get(`/mailboxes/${encodeURIComponent(address)}`)).json;
    // The mailbox's own term ends after the domain's: what suspends it below is the domain's lapse.
    expect(Date.parse(mailbox.expiresAt)).toBeGreaterThan(expiry);

    // Spend the rest of the credit on other domains (each certified at once): 20,000 - 1,500 - 350 - 12 x 1,500.
    for (let count = 0; count < 12; count++) {
      const other = freshDomain();
      await setMx(other, PROVIDER_MX);
      expect((await api.post('/reseller/domains', { domain: other })).status).toBe(201);
    }
    const short = (await creditOf(api)).balanceCents;
    expect(short).toBe(150);

    const shortEmails = async () =>
      (await local.api.outbox()).filter(
        (message) => message.subject.includes(domain) && message.subject.includes('credito insufficiente'),
      );
    await sweepAt(expiry - 29 * DAY);
    expect(await shortEmails()).toHaveLength(1);
    await sweepAt(expiry - 29 * DAY); // the same attempt again: no second email
    expect(await shortEmails()).toHaveLength(1);
    await sweepAt(expiry - 13 * DAY); // the next attempt, still short
    expect(await shortEmails()).toHaveLength(2);
    expect(await domainOf(api, domain)).toMatchObject({ status: 'certified', expiresAt: requested.json.expiresAt });
    expect((await creditOf(api)).balanceCents).toBe(short);

    // Not renewed by its expiry: lapsed, its mailbox suspended (receive-only), no mailbox ordered on it.
    const lapsed = await sweepAt(expiry);
    expect(lapsed.domainLapses).toBeGreaterThanOrEqual(1);
    expect(await domainOf(api, domain)).toMatchObject({ status: 'lapsed', lapsedAt: expect.any(String) });
    expect((await api.get(`/mailboxes/${encodeURIComponent(address)}`)).json).toMatchObject({ status: 'suspended' });
    const refused = await api.post('/orders', resellerOrder(`nuova@${domain}`));
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ code: 'domain_not_certified' });

    // After the grace period (90 days after the domain's expiry, before the mailbox's own): deleted.
    const purged = await sweepAt(expiry + 90 * DAY);
    expect(purged.domainPurges).toBeGreaterThanOrEqual(1);
    expect((await api.get(`/mailboxes/${encodeURIComponent(address)}`)).json).toMatchObject({ status: 'deleted' });
    expect((await creditOf(api)).balanceCents).toBe(short);
  });
});
