import { describe, expect, it } from 'vitest';
import type { Mailbox } from '../../../functions/domain/mailbox.ts';
import { BusinessCount } from '../../../functions/use-cases/business-metrics.ts';
import { type EmailFeedback, recordEmailFeedback } from '../../../functions/use-cases/email-feedback.ts';
import { InMemoryMailboxRepository, RecordingMetrics } from '../../support/fakes.ts';
import { storedMailbox } from '../../support/fixtures.ts';

/*
 * Only a hard bounce of the reference email of the mailbox an email was about marks that mailbox's
 * contact undeliverable, once; anything else leaves the mailbox as it is.
 */

const orderedAt = new Date('2025-03-15T09:30:00.000Z');

function world(overrides: Partial<Mailbox> = {}) {
  const mailbox = storedMailbox('sf-1', orderedAt, { holderEmail: 'Mario.Rossi@example.com', ...overrides });
  return {
    mailbox,
    deps: { mailboxes: new InMemoryMailboxRepository().seed(mailbox), metrics: new RecordingMetrics() },
  };
}

const hardBounce = (mailbox: string | undefined, overrides: Partial<EmailFeedback> = {}): EmailFeedback => ({
  kind: 'bounce',
  bounceType: 'Permanent',
  recipients: ['mario.rossi@example.com'],
  mailbox,
  reason: 'smtp; 550 5.1.1 user unknown',
  at: '2026-11-22T10:00:00.000Z',
  ...overrides,
});

describe('recordEmailFeedback', () => {
  it("a hard bounce of the holder's reference email marks the contact undeliverable, counted once", async () => {
    const { mailbox, deps } = world();

    expect(await recordEmailFeedback(deps, hardBounce(mailbox.address))).toBe('contact_undeliverable');
    expect(await recordEmailFeedback(deps, hardBounce(mailbox.address, { at: '2026-11-23T10:00:00.000Z' }))).toBe(
      'already_recorded',
    );

    expect((await deps.mailboxes.get(mailbox.address))?.contact).toEqual({
      undeliverable: true,
      since: '2026-11-22T10:00:00.000Z',
      reason: 'smtp; 550 5.1.1 user unknown',
    });
    expect(deps.metrics.names).toEqual([BusinessCount.ContactsUndeliverable]);
  });

  it.each([
    ['a soft bounce', { bounceType: 'Transient' }, 'not_a_hard_bounce'],
    ['a complaint', { kind: 'complaint' as const, bounceType: undefined }, 'not_a_hard_bounce'],
    ['a bounce of another recipient', { recipients: ['someone@example.com'] }, 'not_the_reference_email'],
  ])('%s leaves the mailbox alone', async (_label, overrides, outcome) => {
    const { mailbox, deps } = world();
    expect(await recordEmailFeedback(deps, hardBounce(mailbox.address, overrides))).toBe(outcome);
    expect((await deps.mailboxes.get(mailbox.address))?.contact).toBeUndefined();
    expect(deps.metrics.counts).toEqual([]);
  });

  it('an email about no mailbox, or a mailbox that is gone, names none', async () => {
    const { deps } = world();
    expect(await recordEmailFeedback(deps, hardBounce(undefined))).toBe('no_mailbox');
    expect(await recordEmailFeedback(deps, hardBounce('gone@pec.it'))).toBe('no_mailbox');
  });
});
