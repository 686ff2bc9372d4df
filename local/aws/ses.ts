import { type LocalService, startInThread } from './thread.ts';

/*
 * Local stand-in for Amazon SES: aws-ses-v2-local, which answers the product's SendEmail (API v1,
 * Query protocol) and keeps every email instead of delivering it. It runs in a thread of its own,
 * as it keeps its emails at module level. The outbox reads them through its `GET /store`.
 */

/** An email as `GET /_local/outbox` lists it (CONTRACT.md). */
export type OutboxMessage = {
  id: string;
  /** `Destination.ToAddresses`. */
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** When SES accepted the email (ISO 8601, to the second). */
  sentAt: string;
  /** The email's SES message tags (e.g. `mailbox`, naming the mailbox it is about). */
  tags: Record<string, string>;
};

/** An email as aws-ses-v2-local's `GET /store` answers it. */
type StoredEmail = {
  messageId: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
  /** Epoch seconds. */
  at: number;
};

/** Every email accepted by the local SES, oldest first. */
export class LocalOutbox {
  readonly #store: string;
  readonly #tags: string;

  constructor(sesEndpoint: string) {
    this.#store = `${sesEndpoint}/store`;
    this.#tags = `${sesEndpoint}/_tags`;
  }

  async messages(): Promise<OutboxMessage[]> {
    const response = await fetch(this.#store);
    if (!response.ok) throw new Error(`The local SES answered ${response.status} to GET /store`);
    const { emails } = (await response.json()) as { emails: StoredEmail[] };
    const tags = (await (await fetch(this.#tags)).json()) as Record<string, Record<string, string>>;
    return emails.map((email) => ({
      id: email.messageId,
      to: email.destination.to,
      subject: email.subject,
      text: email.body.text ?? '',
      html: email.body.html ?? '',
      sentAt: new Date(email.at * 1000).toISOString(),
      tags: tags[email.messageId] ?? {},
    }));
  }

  /** The first message (already sent or still to come) that matches `predicate`; rejects after `timeoutMs`. */
  async waitFor(predicate: (message: OutboxMessage) => boolean, timeoutMs = 5_000): Promise<OutboxMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.messages()).find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`No matching email was sent within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** Starts the SES stand-in in its own thread; `outbox` lists what it accepted. */
export async function startSes(): Promise<LocalService & { outbox: LocalOutbox }> {
  const ses = await startInThread(new URL('./ses-thread.ts', import.meta.url));
  return { ...ses, outbox: new LocalOutbox(ses.endpoint) };
}

/**
 * The SNS event the configuration set's event destination would deliver for a hard bounce of
 * `message` (as SES's mailbox simulator does for bounce@simulator.amazonses.com): an SES `Bounce`
 * event, `Permanent`, for each of its recipients, with the email's message tags.
 */
export function hardBounceEvent(message: OutboxMessage, at: Date) {
  const timestamp = at.toISOString();
  const event = {
    eventType: 'Bounce',
    bounce: {
      bounceType: 'Permanent',
      bounceSubType: 'General',
      bouncedRecipients: message.to.map((emailAddress) => ({
        emailAddress,
        action: 'failed',
        status: '5.1.1',
        diagnosticCode: 'smtp; 550 5.1.1 user unknown',
      })),
      timestamp,
      feedbackId: `local-${message.id}`,
    },
    mail: {
      timestamp: message.sentAt,
      messageId: message.id,
      destination: message.to,
      tags: Object.fromEntries(Object.entries(message.tags).map(([name, value]) => [name, [value]])),
    },
  };
  const topicArn = 'arn:aws:sns:eu-south-1:000000000000:pec-local-email-feedback';
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topicArn}:local`,
        Sns: {
          Type: 'Notification',
          MessageId: `local-${message.id}`,
          TopicArn: topicArn,
          Message: JSON.stringify(event),
          Timestamp: timestamp,
          UnsubscribeUrl: 'http://127.0.0.1/unsubscribe',
          MessageAttributes: {},
        },
      },
    ],
  };
}
