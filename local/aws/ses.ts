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

  constructor(sesEndpoint: string) {
    this.#store = `${sesEndpoint}/store`;
  }

  async messages(): Promise<OutboxMessage[]> {
    const response = await fetch(this.#store);
    if (!response.ok) throw new Error(`The local SES answered ${response.status} to GET /store`);
    const { emails } = (await response.json()) as { emails: StoredEmail[] };
    return emails.map((email) => ({
      id: email.messageId,
      to: email.destination.to,
      subject: email.subject,
      text: email.body.text ?? '',
      html: email.body.html ?? '',
      sentAt: new Date(email.at * 1000).toISOString(),
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
