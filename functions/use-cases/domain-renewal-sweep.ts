import { mailboxLifecycle } from '../domain/lifecycles.ts';
import type { Mailbox } from '../domain/mailbox.ts';
import { movementIdOf } from '../domain/reseller-credit.ts';
import {
  type DomainStage,
  domainDebitReference,
  domainStageKey,
  domainSweepAction,
  domainYearCents,
  isHostedWithProvider,
  type ResellerDomain,
  renewedExpiry,
} from '../domain/reseller-domains.ts';
import type {
  AuditLog,
  DnsResolver,
  DomainRenewalNotifier,
  MailboxRepository,
  MailPlatform,
  ResellerDomainRepository,
  ResellerRepository,
} from './ports.ts';
import { deleteMailbox, suspendMailbox } from './renewal-sweep.ts';

/*
 * The renewal sweep's branch for a reseller's certified domains (the sweep workflow's SweepDomain,
 * for the due-day entries `DOMAIN#<domain>`), kept apart from the mailboxes' sweepMailbox:
 * 1. renew: a year debited from the reseller's credit (`debit#domain:<domain>:<next expiry day>`,
 *    keyed by the expiry it pays up to, in one transaction with the new expiry: a repeat never
 *    debits twice); free while the domain is hosted with the provider; a short credit emails the
 *    reseller once per attempt, and the next attempt (14, 7, 3, 1 days before expiry) tries again;
 * 2. lapse: not renewed by its expiry, the domain's mailboxes are suspended (receive-only, as an
 *    expired mailbox is), then the domain is marked lapsed (in that order, so a failure halfway is
 *    finished by the next run);
 * 3. purge: 90 days later (an expired mailbox's grace period) its suspended mailboxes are deleted.
 */

/** What one domain's sweep did (the Map's item result), besides `nothing`. */
export const DOMAIN_OUTCOMES = ['domain-renewal', 'domain-renewal-short', 'domain-lapsed', 'domain-purged'] as const;
export type DomainOutcome = (typeof DOMAIN_OUTCOMES)[number] | 'nothing';

export interface DomainSweepDeps {
  domains: Pick<
    ResellerDomainRepository,
    'get' | 'renew' | 'markStageDone' | 'lapse' | 'markPurged' | 'reschedule' | 'mailboxesOn'
  >;
  resellers: Pick<ResellerRepository, 'get'>;
  dns: Pick<DnsResolver, 'ns'>;
  notifier: DomainRenewalNotifier;
  mailboxes: Pick<MailboxRepository, 'get' | 'suspend' | 'markDeleted'>;
  platform: Pick<MailPlatform, 'setReceiveOnly' | 'deleteMailbox'>;
  audit: AuditLog;
  /** The provider's name servers: a domain still delegated only to them renews free. */
  hostedNameServers: string[];
}

/** The sweep's step for one due domain: what its renewal schedule says now, done once. */
export async function sweepDomain(deps: DomainSweepDeps, name: string, at: Date): Promise<DomainOutcome> {
  const domain = await deps.domains.get(name);
  if (!domain) return 'nothing';
  const action = domainSweepAction(domain, at);
  if (action.kind === 'none') {
    // The index named a stage that is not (or no longer) due: the schedule it holds is stale.
    await deps.domains.reschedule(name);
    return 'nothing';
  }
  if (action.kind === 'renew') return renew(deps, domain, action, at);
  if (action.kind === 'lapse') return lapse(deps, domain, at);
  return purge(deps, domain, at);
}

const auditOf =
  (deps: Pick<DomainSweepDeps, 'audit'>, domain: ResellerDomain, at: Date) =>
  // One entry per event and term, under the domain's own folder (`orders/domain-<domain>/`).
  (event: string, detail?: Record<string, unknown>) =>
    deps.audit.record({
      orderId: `domain-${domain.domain}`,
      event,
      ref: domain.expiresAt,
      at,
      detail: { domain: domain.domain, resellerId: domain.resellerId, expiresAt: domain.expiresAt, ...detail },
    });

async function renew(
  deps: DomainSweepDeps,
  domain: ResellerDomain,
  stage: DomainStage,
  at: Date,
): Promise<DomainOutcome> {
  // Priced again for the new year: a resolver failure fails the item (retried by the next run), never a guess.
  const hosted = isHostedWithProvider(await deps.dns.ns(domain.domain), deps.hostedNameServers);
  const priceCents = domainYearCents(hosted);
  const expiresAt = renewedExpiry(domain.expiresAt);
  const debit =
    priceCents > 0
      ? {
          movementId: movementIdOf('debit', domainDebitReference(domain.domain, expiresAt)),
          kind: 'debit' as const,
          amountCents: priceCents,
          at: at.toISOString(),
        }
      : undefined;
  const renewed = await deps.domains.renew(domain.domain, domain.expiresAt, { expiresAt, priceCents }, debit);
  if (renewed === 'not_due') return 'nothing';
  if (renewed === 'renewed') {
    await auditOf(deps, domain, at)('domain-renewed', { renewedUntil: expiresAt, priceCents });
    return 'domain-renewal';
  }
  // Short: this attempt is recorded first, so the reseller is emailed at most once per attempt.
  if (!(await deps.domains.markStageDone(domain.domain, domain.expiresAt, domainStageKey(domain.expiresAt, stage)))) {
    return 'nothing';
  }
  const reseller = await deps.resellers.get(domain.resellerId);
  if (reseller) {
    await deps.notifier.domainRenewalShort({
      to: reseller.email,
      name: reseller.name,
      domain: domain.domain,
      expiresAt: domain.expiresAt,
      priceCents,
      balanceCents: reseller.balanceCents,
    });
  }
  await auditOf(deps, domain, at)('domain-renewal-short', { priceCents, attempt: stageAttempt(stage) });
  return 'domain-renewal-short';
}

const stageAttempt = (stage: DomainStage) => (stage.kind === 'renew' ? stage.attempt : undefined);

/** A mailbox's audit entry for its domain's lapse: one per event and term, naming the domain. */
const mailboxAudit =
  (deps: Pick<DomainSweepDeps, 'audit'>, mailbox: Mailbox, domain: ResellerDomain, at: Date) => (event: string) =>
    deps.audit.record({
      orderId: mailbox.orderId,
      event,
      ref: mailbox.expiresAt,
      at,
      detail: {
        address: mailbox.address,
        expiresAt: mailbox.expiresAt,
        reason: 'domain-lapsed',
        domain: domain.domain,
      },
    });

async function lapse(deps: DomainSweepDeps, domain: ResellerDomain, at: Date): Promise<DomainOutcome> {
  const audit = auditOf(deps, domain, at);
  for (const address of await deps.domains.mailboxesOn(domain.resellerId, domain.domain)) {
    const mailbox = await deps.mailboxes.get(address);
    if (!mailbox?.expiresAt || !mailboxLifecycle.canMove(mailbox.status, 'suspend')) continue;
    await suspendMailbox(deps, { ...mailbox, expiresAt: mailbox.expiresAt }, mailboxAudit(deps, mailbox, domain, at));
  }
  if (!(await deps.domains.lapse(domain.domain, domain.expiresAt, at))) return 'nothing';
  await audit('domain-lapsed');
  return 'domain-lapsed';
}

async function purge(deps: DomainSweepDeps, domain: ResellerDomain, at: Date): Promise<DomainOutcome> {
  for (const address of await deps.domains.mailboxesOn(domain.resellerId, domain.domain)) {
    const mailbox = await deps.mailboxes.get(address);
    // Only those still suspended: one renewed since (and so active) is the reseller's to sort out.
    if (!mailbox?.expiresAt || !mailboxLifecycle.canMove(mailbox.status, 'delete')) continue;
    await deleteMailbox(deps, { ...mailbox, expiresAt: mailbox.expiresAt }, mailboxAudit(deps, mailbox, domain, at));
  }
  if (!(await deps.domains.markPurged(domain.domain, at))) return 'nothing';
  await auditOf(deps, domain, at)('domain-purged');
  return 'domain-purged';
}
