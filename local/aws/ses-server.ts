import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listen, readBody, xmlEscape } from './http-util.ts';

/*
 * Local stand-in for Amazon SES (API v1, AWS Query protocol), so that `@aws-sdk/client-ses` pointed at it
 * through `AWS_ENDPOINT_URL_SES` sends real requests. It implements `SendEmail`; every accepted email lands in
 * a `LocalOutbox` instead of being delivered.
 */

const NS = 'http://ses.amazonaws.com/doc/2010-12-01/';

export type OutboxMessage = {
  id: string;
  /** `Destination.ToAddresses` only; Cc and Bcc recipients are in `cc` and `bcc`. */
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** ISO 8601 UTC time at which SES accepted the email. */
  sentAt: string;
  from: string;
  cc: string[];
  bcc: string[];
  replyTo: string[];
  configurationSetName?: string;
  tags: Record<string, string>;
};

/** Every email accepted by the local SES, oldest first. */
export class LocalOutbox {
  readonly #messages: OutboxMessage[] = [];
  readonly #events = new EventEmitter();

  messages(): OutboxMessage[] {
    return this.#messages.map((message) => structuredClone(message));
  }

  add(message: OutboxMessage): void {
    this.#messages.push(message);
    this.#events.emit('message', message);
  }

  clear(): void {
    this.#messages.length = 0;
  }

  /** The first message (already sent or still to come) that matches `predicate`; rejects after `timeoutMs`. */
  waitFor(predicate: (message: OutboxMessage) => boolean, timeoutMs = 5_000): Promise<OutboxMessage> {
    const sent = this.#messages.find(predicate);
    if (sent) return Promise.resolve(structuredClone(sent));
    return new Promise((resolve, reject) => {
      const onMessage = (message: OutboxMessage): void => {
        if (!predicate(message)) return;
        cleanup();
        resolve(structuredClone(message));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`No matching email was sent within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#events.off('message', onMessage);
      };
      this.#events.on('message', onMessage);
    });
  }
}

class SesError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}

/** `Prefix.member.1`, `Prefix.member.2`, ... in index order. */
const members = (form: URLSearchParams, prefix: string): string[] => {
  const found: Array<[number, string]> = [];
  for (const [key, value] of form) {
    const match = key.startsWith(`${prefix}.member.`) ? /^\d+$/.exec(key.slice(prefix.length + 8)) : null;
    if (match) found.push([Number(match[0]), value]);
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, value]) => value);
};

const ADDRESS = /^(?:[^<>]*<\s*)?[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+(?:\s*>)?$/;

const checkAddresses = (addresses: string[]): void => {
  for (const address of addresses) {
    if (!ADDRESS.test(address.trim())) {
      throw new SesError('InvalidParameterValue', `Missing final '@domain' or invalid address: ${address}`);
    }
  }
};

const sendEmail = (form: URLSearchParams, outbox: LocalOutbox): string => {
  const source = form.get('Source');
  if (!source) {
    throw new SesError(
      'ValidationError',
      "1 validation error detected: Value null at 'source' failed to satisfy constraint: Member must not be null",
    );
  }
  const to = members(form, 'Destination.ToAddresses');
  const cc = members(form, 'Destination.CcAddresses');
  const bcc = members(form, 'Destination.BccAddresses');
  if (to.length + cc.length + bcc.length === 0) {
    throw new SesError('MessageRejected', 'Missing required header: at least one of To, Cc or Bcc must be given');
  }
  const subject = form.get('Message.Subject.Data');
  if (subject === null) {
    throw new SesError(
      'ValidationError',
      "1 validation error detected: Value null at 'message.subject' failed to satisfy constraint: Member must not be null",
    );
  }
  const text = form.get('Message.Body.Text.Data');
  const html = form.get('Message.Body.Html.Data');
  if (text === null && html === null) {
    throw new SesError('ValidationError', 'The message body must contain a text part, an HTML part or both');
  }
  const replyTo = members(form, 'ReplyToAddresses');
  checkAddresses([source, ...to, ...cc, ...bcc, ...replyTo]);
  if (to.length + cc.length + bcc.length > 50) {
    throw new SesError('MessageRejected', 'Recipient count exceeds 50.');
  }
  const tags: Record<string, string> = {};
  for (let i = 1; form.has(`Tags.member.${i}.Name`); i++) {
    tags[form.get(`Tags.member.${i}.Name`) ?? ''] = form.get(`Tags.member.${i}.Value`) ?? '';
  }
  const id = `${Date.now().toString(16).padStart(16, '0')}-${randomUUID()}-000000`;
  const configurationSetName = form.get('ConfigurationSetName');
  outbox.add({
    id,
    to,
    subject,
    text: text ?? '',
    html: html ?? '',
    sentAt: new Date().toISOString(),
    from: source,
    cc,
    bcc,
    replyTo,
    ...(configurationSetName ? { configurationSetName } : {}),
    tags,
  });
  return id;
};

const sendXml = (res: ServerResponse, status: number, body: string, requestId: string): void => {
  res.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
  });
  res.end(body);
};

const handle = async (req: IncomingMessage, res: ServerResponse, outbox: LocalOutbox): Promise<void> => {
  const requestId = randomUUID();
  try {
    const body = (await readBody(req)).toString('utf8');
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const form = new URLSearchParams(req.method === 'POST' ? body : query.toString());
    const action = form.get('Action');
    if (action === 'SendEmail') {
      const messageId = sendEmail(form, outbox);
      sendXml(
        res,
        200,
        `<SendEmailResponse xmlns="${NS}"><SendEmailResult><MessageId>${xmlEscape(messageId)}</MessageId></SendEmailResult>` +
          `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></SendEmailResponse>`,
        requestId,
      );
      return;
    }
    throw new SesError('InvalidAction', `The action ${action ?? '(none)'} is not valid for this web service.`);
  } catch (caught) {
    const error =
      caught instanceof SesError
        ? caught
        : new SesError('InternalFailure', caught instanceof Error ? caught.message : String(caught), 500, 'Receiver');
    sendXml(
      res,
      error.status,
      `<ErrorResponse xmlns="${NS}"><Error><Type>${error.type}</Type><Code>${error.code}</Code>` +
        `<Message>${xmlEscape(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      requestId,
    );
  }
};

export type LocalSesServer = { endpoint: string; outbox: LocalOutbox; stop(): Promise<void> };

/** Starts the SES stand-in on 127.0.0.1 (ephemeral port unless `port` is given). */
export const startSesServer = async (
  options: { port?: number; outbox?: LocalOutbox } = {},
): Promise<LocalSesServer> => {
  const outbox = options.outbox ?? new LocalOutbox();
  const server = createServer((req, res) => {
    handle(req, res, outbox).catch(() => res.destroy());
  });
  const endpoint = await listen(server, options.port);
  return { endpoint, outbox, stop: () => closeServer(server) };
};
