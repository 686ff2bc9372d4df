import { describe, expect, it } from 'vitest';
import type { Reseller } from '../../../functions/domain/reseller-credit.ts';
import type { ResellerDomain } from '../../../functions/domain/reseller-domains.ts';
import { sweepDomain } from '../../../functions/use-cases/domain-renewal-sweep.ts';
import {
  InMemoryDns,
  InMemoryMailboxRepository,
  InMemoryMailPlatform,
  InMemoryOrderRepository,
  InMemoryResellerDomainRepository,
  InMemoryResellerRepository,
  RecordingAuditLog,
  RecordingResellerNotifier,
} from '../../support/fakes.ts';
import { storedMailbox } from '../../support/fixtures.ts';

/*
 * The renewal sweep's branch for a reseller's certified domain, against the in-memory ports: a year
 * debited once (free while hosted), a short credit emailed once per attempt, the lapse suspending the
 * domain's mailboxes and the purge deleting them.
 */

const DAY = 24 * 3600 * 1000;
const NS = ['ns1.pec.example.com', 'ns2.pec.example.com'];
const expiresAt = '2027-11-23T10:00:00.000Z';
const expiry = Date.parse(expiresAt);

function world(balanceCents: number, domainOverrides: Partial<ResellerDomain> = {}) {
  const mailboxes = new InMemoryMailboxRepository();
  const resellers = new InMemoryResellerRepository(new InMemoryOrderRepository(), mailboxes);
  const reseller: Reseller = {
    resellerId: 'r1',
    name: 'Rivenditore',
    email: 'rivenditore@example.com',
    priceList: 'reseller',
    balanceCents,
    lowBalanceThresholdCents: 0,
    createdAt: '2026-11-23T10:00:00.000Z',
  };
  resellers.resellers.set('r1', reseller);
  const domains = new InMemoryResellerDomainRepository(resellers);
  domains.domains.set('studio.it', {
    domain: 'studio.it',
    resellerId: 'r1',
    status: 'certified',
    priceCents: 1500,
    requestedAt: '2026-11-23T10:00:00.000Z',
    certifiedAt: '2026-11-23T10:00:00.000Z',
    expiresAt,
    ...domainOverrides,
  });
  const dns = new InMemoryDns().set('studio.it', ['mx1.pec.example.com']);
  const platform = new InMemoryMailPlatform();
  const notifier = new RecordingResellerNotifier();
  const audit = new RecordingAuditLog();
  const deps = { domains, resellers, dns, notifier, mailboxes, platform, audit, hostedNameServers: NS };
  return { deps, domains, resellers, dns, mailboxes, platform, notifier };
}

const debitsOf = (resellers: InMemoryResellerRepository) =>
  [...(resellers.ledger.get('r1')?.values() ?? [])].filter((movement) => movement.kind === 'debit');

describe('sweepDomain', () => {
  it('renews a year from credit 30 days before expiry, keyed by the new expiry, once', async () => {
    const { deps, domains, resellers } = world(2000);
    const at = new Date(expiry - 29 * DAY);
    expect(await sweepDomain(deps, 'studio.it', at)).toBe('domain-renewal');
    expect(await sweepDomain(deps, 'studio.it', at)).toBe('nothing');
    expect((await domains.get('studio.it'))?.expiresAt).toBe('2028-11-23T10:00:00.000Z');
    expect(debitsOf(resellers)).toEqual([
      { movementId: 'debit#domain:studio.it:2028-11-23', kind: 'debit', amountCents: 1500, at: at.toISOString() },
    ]);
    expect((await resellers.get('r1'))?.balanceCents).toBe(500);
  });

  it('renews free, with no movement, while the domain is hosted with the provider', async () => {
    const { deps, domains, resellers, dns } = world(0, { priceCents: 0 });
    dns.set('studio.it', ['mx1.pec.example.com'], NS);
    expect(await sweepDomain(deps, 'studio.it', new Date(expiry - 29 * DAY))).toBe('domain-renewal');
    expect(await domains.get('studio.it')).toMatchObject({ expiresAt: '2028-11-23T10:00:00.000Z', priceCents: 0 });
    expect(debitsOf(resellers)).toEqual([]);
  });

  it('fails (to be retried) when DNS cannot say whether the domain is hosted, debiting nothing', async () => {
    const { deps, resellers, dns } = world(2000);
    dns.failing = true;
    await expect(sweepDomain(deps, 'studio.it', new Date(expiry - 29 * DAY))).rejects.toThrow();
    expect(debitsOf(resellers)).toEqual([]);
  });

  it('emails the reseller once per attempt while the credit is short, then lapses and suspends the mailboxes', async () => {
    const { deps, domains, notifier, mailboxes, platform } = world(1000);
    const onDomain = storedMailbox('r1', new Date('2026-11-24T10:00:00.000Z'), { address: 'info@studio.it' });
    const elsewhere = storedMailbox('r1', new Date('2026-11-24T10:00:00.000Z'));
    mailboxes.seed(onDomain, elsewhere);
    domains.mailboxAddresses.set('r1', [onDomain.address, elsewhere.address]);
    for (const address of [onDomain.address, elsewhere.address]) {
      await platform.createMailbox({ address, mailboxGb: 1, archiveGb: 0 });
    }

    expect(await sweepDomain(deps, 'studio.it', new Date(expiry - 29 * DAY))).toBe('domain-renewal-short');
    expect(await sweepDomain(deps, 'studio.it', new Date(expiry - 29 * DAY))).toBe('nothing');
    expect(await sweepDomain(deps, 'studio.it', new Date(expiry - 13 * DAY))).toBe('domain-renewal-short');
    expect(notifier.domainRenewalsShort).toEqual([
      expect.objectContaining({
        to: 'rivenditore@example.com',
        domain: 'studio.it',
        priceCents: 1500,
        balanceCents: 1000,
      }),
      expect.objectContaining({ domain: 'studio.it' }),
    ]);

    expect(await sweepDomain(deps, 'studio.it', new Date(expiry))).toBe('domain-lapsed');
    expect(await domains.get('studio.it')).toMatchObject({ status: 'lapsed', lapsedAt: expiresAt });
    expect((await mailboxes.get(onDomain.address))?.status).toBe('suspended');
    expect(platform.accounts.get(onDomain.address)?.receiveOnly).toBe(true);
    expect((await mailboxes.get(elsewhere.address))?.status).toBe('active');

    expect(await sweepDomain(deps, 'studio.it', new Date(expiry + 89 * DAY))).toBe('nothing');
    expect(await sweepDomain(deps, 'studio.it', new Date(expiry + 90 * DAY))).toBe('domain-purged');
    expect((await mailboxes.get(onDomain.address))?.status).toBe('deleted');
    expect(platform.accounts.has(onDomain.address)).toBe(false);
    expect(await sweepDomain(deps, 'studio.it', new Date(expiry + 91 * DAY))).toBe('nothing');
  });

  it('reschedules a domain the index named before its stage', async () => {
    const { deps, domains } = world(2000);
    expect(await sweepDomain(deps, 'studio.it', new Date(expiry - 60 * DAY))).toBe('nothing');
    expect(domains.rescheduled).toEqual(['studio.it']);
  });
});
