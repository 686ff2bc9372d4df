import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  DnsCheckRequestedError,
  DomainNotConfiguredError,
  InsufficientCreditError,
  ResellerOnlyError,
  RetryLaterError,
  ValidationError,
} from '../../../functions/domain/errors.ts';
import { ledgerBalance, type Reseller } from '../../../functions/domain/reseller-credit.ts';
import {
  assertCertifiedDomain,
  awaitPendingDomain,
  checkDomainCertification,
  checkPendingDomain,
  listResellerDomains,
  requestDomainCertification,
} from '../../../functions/use-cases/reseller-domains.ts';
import {
  InMemoryDns,
  InMemoryMailboxRepository,
  InMemoryOrderRepository,
  InMemoryResellerDomainRepository,
  InMemoryResellerRepository,
  RecordingCallbacks,
} from '../../support/fakes.ts';

/*
 * A reseller's certified domains against the in-memory ports: the refusals, the yearly debit written
 * with the domain (or nothing), certification once the MX records point at the provider, and the rule
 * that a reseller's mailbox on its own domain needs that domain certified.
 */

const now = new Date('2026-11-23T10:00:00.000Z');
const MX = ['mx1.pec.example.com', 'mx2.pec.example.com'];
const NS = ['ns1.pec.example.com', 'ns2.pec.example.com'];
const settings = { providerMxHosts: MX, hostedNameServers: NS };

function world(balances: Record<string, number> = { r1: 20_000, r2: 20_000 }) {
  const resellers = new InMemoryResellerRepository(new InMemoryOrderRepository(), new InMemoryMailboxRepository());
  for (const [resellerId, balanceCents] of Object.entries(balances)) {
    const reseller: Reseller = {
      resellerId,
      name: resellerId,
      email: `${resellerId}@example.com`,
      priceList: 'reseller',
      balanceCents,
      lowBalanceThresholdCents: 0,
      createdAt: now.toISOString(),
    };
    resellers.resellers.set(resellerId, reseller);
    resellers.ledger.set(
      resellerId,
      new Map([
        [
          'deposit#opening',
          { movementId: 'deposit#opening', kind: 'deposit', amountCents: balanceCents, at: now.toISOString() },
        ],
      ]),
    );
  }
  const domains = new InMemoryResellerDomainRepository(resellers);
  const dns = new InMemoryDns();
  const started: string[] = [];
  const waits = { startDomainWait: async (domain: string) => void started.push(domain) };
  const callbacks = new RecordingCallbacks();
  return { deps: { resellers, domains, dns, waits, callbacks }, resellers, domains, dns, started, callbacks };
}

const movementsOf = (resellers: InMemoryResellerRepository, id: string) => [
  ...(resellers.ledger.get(id)?.values() ?? []),
];

describe('requestDomainCertification', () => {
  it.each(['pec.it', 'mario.pec.it', 'gmail.com', 'outlook.com', 'not a domain'])(
    'refuses %s with 400 naming domain',
    async (domain) => {
      const { deps, resellers, dns } = world();
      dns.set(domain, []);
      const refused = requestDomainCertification(deps, settings, 'r1', domain, now);
      await expect(refused).rejects.toBeInstanceOf(ValidationError);
      await expect(refused).rejects.toMatchObject({ errors: [{ path: 'domain' }] });
      expect(movementsOf(resellers, 'r1')).toHaveLength(1);
    },
  );

  it('refuses a domain DNS does not know, and a storefront key', async () => {
    const { deps } = world();
    await expect(requestDomainCertification(deps, settings, 'r1', 'nowhere.it', now)).rejects.toMatchObject({
      errors: [{ path: 'domain' }],
    });
    await expect(requestDomainCertification(deps, settings, 'storefront', 'nowhere.it', now)).rejects.toBeInstanceOf(
      ResellerOnlyError,
    );
  });

  it('writes the domain pending with its yearly debit; the ledger adds up to the balance', async () => {
    const { deps, resellers, dns } = world();
    dns.set('studio.it', []);
    const { domain, created } = await requestDomainCertification(deps, settings, 'r1', 'studio.it', now);
    expect(created).toBe(true);
    expect(domain).toEqual({
      domain: 'studio.it',
      status: 'pending_dns',
      priceCents: 1500,
      requestedAt: now.toISOString(),
      expiresAt: '2027-11-23T10:00:00.000Z',
    });
    const balance = (await resellers.get('r1'))?.balanceCents;
    expect(balance).toBe(18_500);
    expect(ledgerBalance(movementsOf(resellers, 'r1'))).toBe(balance);

    // Asked again: the same domain, debited once.
    const again = await requestDomainCertification(deps, settings, 'r1', 'studio.it', now);
    expect(again.created).toBe(false);
    expect((await resellers.get('r1'))?.balanceCents).toBe(18_500);
  });

  it('is 402 with nothing written when the credit is short', async () => {
    const { deps, resellers, domains, dns } = world({ r1: 1499 });
    dns.set('studio.it', MX);
    await expect(requestDomainCertification(deps, settings, 'r1', 'studio.it', now)).rejects.toBeInstanceOf(
      InsufficientCreditError,
    );
    expect(await domains.get('studio.it')).toBeUndefined();
    expect((await resellers.get('r1'))?.balanceCents).toBe(1499);
  });

  it("is 409 naming domain for another reseller's domain", async () => {
    const { deps, dns } = world();
    dns.set('studio.it', []);
    await requestDomainCertification(deps, settings, 'r1', 'studio.it', now);
    const taken = requestDomainCertification(deps, settings, 'r2', 'studio.it', now);
    await expect(taken).rejects.toBeInstanceOf(ConflictError);
    await expect(taken).rejects.toMatchObject({ code: 'domain_taken', errors: [{ path: 'domain' }] });
  });
});

describe('certification and mailboxes on the domain', () => {
  it('certifies once every MX record points at the provider; until then no mailbox on it', async () => {
    const { deps, domains, dns } = world();
    dns.set('studio.it', ['mx.elsewhere.example', MX[0] ?? '']);
    await requestDomainCertification(deps, settings, 'r1', 'studio.it', now);
    await expect(assertCertifiedDomain(domains, 'r1', 'info@studio.it')).rejects.toMatchObject({
      code: 'domain_not_certified',
      errors: [{ path: 'mailbox.address' }],
    });
    expect(await checkDomainCertification(deps, settings, 'r1', 'studio.it', now)).toMatchObject({
      status: 'pending_dns',
    });

    dns.set('studio.it', MX);
    const later = new Date(now.getTime() + 60_000);
    expect(await checkDomainCertification(deps, settings, 'r1', 'studio.it', later)).toMatchObject({
      status: 'certified',
      certifiedAt: later.toISOString(),
    });
    await expect(assertCertifiedDomain(domains, 'r1', 'info@studio.it')).resolves.toBeUndefined();
    // Another reseller's mailbox on it is refused the same way.
    await expect(assertCertifiedDomain(domains, 'r2', 'info@studio.it')).rejects.toMatchObject({
      code: 'domain_not_certified',
    });
    expect((await listResellerDomains(deps, 'r1')).domains).toEqual([expect.objectContaining({ status: 'certified' })]);
    expect((await listResellerDomains(deps, 'r2')).domains).toEqual([]);
  });

  it("counts a resolver failure as records still missing, and hides another reseller's domain", async () => {
    const { deps, dns } = world();
    dns.set('studio.it', []);
    await requestDomainCertification(deps, settings, 'r1', 'studio.it', now);
    dns.failing = true;
    expect(await checkDomainCertification(deps, settings, 'r1', 'studio.it', now)).toMatchObject({
      status: 'pending_dns',
    });
    await expect(checkDomainCertification(deps, settings, 'r2', 'studio.it', now)).rejects.toMatchObject({
      code: 'domain_not_found',
    });
  });
});

describe('free certification of a domain hosted with the provider', () => {
  it('prices a domain whose NS records are all the provider name servers at 0, with no movement', async () => {
    const { deps, resellers, dns } = world();
    dns.set('ospitato.it', [], NS);
    const { domain } = await requestDomainCertification(deps, settings, 'r1', 'ospitato.it', now);
    expect(domain).toMatchObject({ status: 'pending_dns', priceCents: 0 });
    expect((await resellers.get('r1'))?.balanceCents).toBe(20_000);
    expect(movementsOf(resellers, 'r1')).toHaveLength(1);
  });

  it('charges a domain delegated half elsewhere, and answers 503 when DNS cannot give the name servers', async () => {
    const { deps, dns } = world();
    dns.set('misto.it', [], [NS[0] ?? '', 'ns.elsewhere.example']);
    expect((await requestDomainCertification(deps, settings, 'r1', 'misto.it', now)).domain.priceCents).toBe(1500);
    dns.set('guasto.it', []);
    dns.failing = true;
    await expect(requestDomainCertification(deps, settings, 'r1', 'guasto.it', now)).rejects.toBeInstanceOf(
      RetryLaterError,
    );
  });

  it('certifies free even a reseller whose balance is zero', async () => {
    const { deps, dns } = world({ r1: 0 });
    dns.set('ospitato.it', MX, NS);
    const { domain } = await requestDomainCertification(deps, settings, 'r1', 'ospitato.it', now);
    expect(domain).toMatchObject({ status: 'certified', priceCents: 0 });
  });
});

describe('the background wait of a pending domain', () => {
  const waitSettings = {
    providerMxHosts: MX,
    deadlineSeconds: 14 * 86_400,
    poll: { firstSeconds: 300, maxSeconds: 7200 },
  };

  it('is started for a pending domain (again when asked again), never for one certified at once', async () => {
    const { deps, dns, started } = world();
    dns.set('attesa.it', []);
    dns.set('pronto.it', MX);
    await requestDomainCertification(deps, settings, 'r1', 'attesa.it', now);
    await requestDomainCertification(deps, settings, 'r1', 'attesa.it', now);
    await requestDomainCertification(deps, settings, 'r1', 'pronto.it', now);
    expect(started).toEqual(['attesa.it', 'attesa.it']);
  });

  it('backs off while the MX records are missing, certifies once they point at the provider', async () => {
    const { deps, dns, domains } = world();
    dns.set('attesa.it', []);
    await requestDomainCertification(deps, settings, 'r1', 'attesa.it', now);
    const first = await checkPendingDomain(deps, waitSettings, { domain: 'attesa.it' }, now);
    expect(first).toEqual({ ready: false, waitSeconds: 300 });
    const second = await checkPendingDomain(deps, waitSettings, { domain: 'attesa.it', previousWaitSeconds: 300 }, now);
    expect(second).toEqual({ ready: false, waitSeconds: 600 });
    dns.set('attesa.it', MX);
    const later = new Date(now.getTime() + 900_000);
    expect(
      await checkPendingDomain(deps, waitSettings, { domain: 'attesa.it', previousWaitSeconds: 600 }, later),
    ).toEqual({
      ready: true,
    });
    expect(await domains.get('attesa.it')).toMatchObject({ status: 'certified', certifiedAt: later.toISOString() });
  });

  it('ends at the deadline with DomainNotConfiguredError, the domain still pending', async () => {
    const { deps, dns, domains } = world();
    dns.set('attesa.it', []);
    await requestDomainCertification(deps, settings, 'r1', 'attesa.it', now);
    const late = new Date(now.getTime() + 15 * 86_400_000);
    await expect(checkPendingDomain(deps, waitSettings, { domain: 'attesa.it' }, late)).rejects.toBeInstanceOf(
      DomainNotConfiguredError,
    );
    expect(await domains.get('attesa.it')).toMatchObject({ status: 'pending_dns' });
  });

  it('is woken by the check-now route, and checks again at once when asked while it was checking', async () => {
    const { deps, dns, callbacks } = world();
    dns.set('attesa.it', []);
    await requestDomainCertification(deps, settings, 'r1', 'attesa.it', now);
    await checkPendingDomain(deps, waitSettings, { domain: 'attesa.it' }, now);
    await awaitPendingDomain(deps, 'attesa.it', 'token-1');

    dns.set('attesa.it', MX);
    expect(await checkDomainCertification(deps, settings, 'r1', 'attesa.it', now)).toMatchObject({
      status: 'certified',
    });
    expect(callbacks.calls).toEqual([{ token: 'token-1', outcome: 'succeed', detail: { dnsCheckRequested: true } }]);
    // The woken wait checks, finds it certified, and ends; a wait set up afterwards checks at once.
    expect(await checkPendingDomain(deps, waitSettings, { domain: 'attesa.it' }, now)).toEqual({ ready: true });
    await expect(awaitPendingDomain(deps, 'attesa.it', 'token-2')).rejects.toBeInstanceOf(DnsCheckRequestedError);
  });

  it('a check asked for between a check and its wait makes the wait check again', async () => {
    const { deps, dns } = world();
    dns.set('attesa.it', []);
    await requestDomainCertification(deps, settings, 'r1', 'attesa.it', now);
    await checkPendingDomain(deps, waitSettings, { domain: 'attesa.it' }, now);
    await checkDomainCertification(deps, settings, 'r1', 'attesa.it', now); // still pending, no token yet
    await expect(awaitPendingDomain(deps, 'attesa.it', 'token-1')).rejects.toBeInstanceOf(DnsCheckRequestedError);
    await checkPendingDomain(deps, waitSettings, { domain: 'attesa.it' }, now);
    await expect(awaitPendingDomain(deps, 'attesa.it', 'token-2')).resolves.toBeUndefined();
  });
});
