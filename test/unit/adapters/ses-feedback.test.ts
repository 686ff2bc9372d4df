import { SESClient, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-ses';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { feedbackOf, SesFeedbackEventSchema } from '../../../functions/adapters/ses-feedback.ts';
import { MAILBOX_TAG, mailboxOfTag, mailboxTag, sesNotifier } from '../../../functions/adapters/ses-notifier.ts';

/*
 * The round trip of a bounce: an email about a mailbox carries it as a message tag; SES's bounce
 * event hands the tag back, and the adapter reads the mailbox from it.
 */

const ses = mockClient(SESClient);
afterEach(() => ses.reset());

describe('the mailbox message tag', () => {
  it.each(['mario.rossi@pec.it', 'info@società-esempio.it', 'a+b_c-d@pec.it'])(
    '%s goes into a value SES accepts (letters, digits, _ and -) and comes back the same',
    (address) => {
      const value = mailboxTag(address);
      expect(value).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(mailboxOfTag(value)).toBe(address);
    },
  );

  it('every email about a mailbox is sent with the configuration set and the mailbox tag', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'msg-1' });
    const notifier = sesNotifier({ client: new SESClient({}), sender: 'noreply@pec.example', configurationSet: 'pec' });
    await notifier.expiryReminder({
      to: 'mario.rossi@example.com',
      address: 'mario@pec.it',
      expiresAt: '2026-03-15T09:30:00.000Z',
      daysLeft: 30,
      renewalLink: 'https://shop.example/renew',
    });
    const input = ses.commandCalls(SendEmailCommand)[0]?.args[0].input as SendEmailCommandInput;
    expect(input.ConfigurationSetName).toBe('pec');
    expect(input.Tags).toEqual([{ Name: MAILBOX_TAG, Value: mailboxTag('mario@pec.it') }]);
  });
});

const bounceEvent = (bounceType: string, tags?: Record<string, string[]>, key = 'eventType') => ({
  [key]: 'Bounce',
  bounce: {
    bounceType,
    bounceSubType: 'General',
    bouncedRecipients: [{ emailAddress: 'Mario.Rossi@Example.com', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }],
    timestamp: '2026-11-22T10:00:00.123Z',
  },
  mail: { messageId: 'msg-1', ...(tags ? { tags } : {}) },
});

describe('reading an SES event', () => {
  it.each(['eventType', 'notificationType'])(
    'a bounce (%s): the recipients lower-cased, the tagged mailbox, the diagnostic',
    (key) => {
      const event = SesFeedbackEventSchema.parse(
        bounceEvent('Permanent', { [MAILBOX_TAG]: [mailboxTag('mario@pec.it')], other: ['x'] }, key),
      );
      expect(feedbackOf(event)).toEqual({
        kind: 'bounce',
        bounceType: 'Permanent',
        recipients: ['mario.rossi@example.com'],
        mailbox: 'mario@pec.it',
        reason: 'smtp; 550 5.1.1 user unknown',
        at: '2026-11-22T10:00:00.123Z',
      });
    },
  );

  it('an email about no mailbox has none; a bounce without a diagnostic gives its type as the reason', () => {
    const event = bounceEvent('Transient');
    delete (event.bounce.bouncedRecipients[0] as { diagnosticCode?: string }).diagnosticCode;
    expect(feedbackOf(SesFeedbackEventSchema.parse(event))).toMatchObject({
      mailbox: undefined,
      reason: 'Transient General',
    });
  });

  it('a complaint', () => {
    const event = SesFeedbackEventSchema.parse({
      eventType: 'Complaint',
      complaint: { complainedRecipients: [{ emailAddress: 'a@example.com' }], timestamp: '2026-11-22T10:00:00Z' },
      mail: { messageId: 'msg-2', tags: { [MAILBOX_TAG]: [mailboxTag('a@pec.it')] } },
    });
    expect(feedbackOf(event)).toMatchObject({ kind: 'complaint', recipients: ['a@example.com'], mailbox: 'a@pec.it' });
  });

  it('refuses an event with neither a bounce nor a complaint', () => {
    expect(SesFeedbackEventSchema.safeParse({ eventType: 'Delivery', mail: { messageId: 'm' } }).success).toBe(false);
  });
});
