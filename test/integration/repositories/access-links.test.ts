import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformAccountKey } from '../../../functions/adapters/dynamodb-mail-platform.ts';
import {
  ConflictError,
  NotFoundError,
  TokenGoneError,
  TooManyRequestsError,
  ValidationError,
} from '../../../functions/domain/errors.ts';
import { CreateOrderRequestSchema } from '../../../functions/domain/schemas.ts';
import {
  requestPasswordReset,
  type SetPasswordDeps,
  sendNewFirstAccessLink,
  setPasswordFromLink,
} from '../../../functions/use-cases/access-links.ts';
import {
  chargePayment,
  type FulfilmentDeps,
  provisionMailbox,
  sendFirstAccessEmail,
} from '../../../functions/use-cases/order-fulfilment.ts';
import { placeOrder } from '../../../functions/use-cases/place-order.ts';
import type { AuditLog, MailPlatform, Notifier } from '../../../functions/use-cases/ports.ts';
import { fakeRenewalLink, InMemoryDns, InMemoryPaymentGateway } from '../../support/fakes.ts';
import { orderBody } from '../../support/fixtures.ts';
import { dynamoAdapters, type LocalTable, startLocalTable } from '../../support/local-dynamodb.ts';

/** The emails as the use cases see them: each one recorded, none sent. */
class RecordingNotifier implements Notifier {
  readonly firstAccessEmails: Parameters<Notifier['firstAccess']>[0][] = [];
  async firstAccess(input: Parameters<Notifier['firstAccess']>[0]) {
    this.firstAccessEmails.push(input);
    return `msg-${this.firstAccessEmails.length}`;
  }
  readonly resetEmails: Parameters<Notifier['passwordReset']>[0][] = [];
  async passwordReset(input: Parameters<Notifier['passwordReset']>[0]) {
    this.resetEmails.push(input);
    return `msg-reset-${this.resetEmails.length}`;
  }
  async orderConfirmation() {
    return 'msg-confirmation';
  }
  async orderFailed() {
    return 'msg-failed';
  }
  async orderCancelled() {
    return 'msg-cancelled';
  }
  async paymentInstructions() {
    return 'msg-instructions';
  }
  async renewalConfirmed() {
    return 'msg-renewed';
  }
  async domainDnsInstructions() {
    return 'msg-dns';
  }
  async expiryReminder() {
    return 'msg-reminder';
  }
  async chargeNotice() {
    return 'msg-notice';
  }
  async renewalDeclined() {
    return 'msg-declined';
  }
}

class RecordingAuditLog implements AuditLog {
  readonly entries: Parameters<AuditLog['record']>[0][] = [];
  async record(entry: Parameters<AuditLog['record']>[0]) {
    this.entries.push(entry);
  }
}

const PASSWORD = 'Corretto-Cavallo-42!';
const TOKEN_TTL_SECONDS = 7 * 24 * 3600;

let table: LocalTable;
let fulfilment: FulfilmentDeps;
let deps: SetPasswordDeps;
let linkDeps: Parameters<typeof sendNewFirstAccessLink>[0] & Parameters<typeof requestPasswordReset>[0];
const notifier = new RecordingNotifier();

beforeAll(async () => {
  table = await startLocalTable();
  const { orders, mailboxes, tokens, platform } = dynamoAdapters(table);
  fulfilment = {
    orders,
    mailboxes,
    tokens,
    gateway: new InMemoryPaymentGateway(),
    platform,
    notifier,
    audit: new RecordingAuditLog(),
    dns: { mx: async () => [] },
    documents: { putOrderDocument: async () => {} },
    renewalLink: fakeRenewalLink,
  };
  deps = { tokens: fulfilment.tokens, mailboxes: fulfilment.mailboxes, platform: fulfilment.platform };
  linkDeps = { mailboxes, tokens, limiter: dynamoAdapters(table).limiter, notifier };
});
afterAll(() => table?.stop());

const now = new Date('2025-03-15T09:30:00.000Z');
const soon = new Date('2025-03-15T10:00:00.000Z');

/**
 * A card order taken, charged, provisioned and announced by email, as the workflow runs it: answers the new
 * mailbox's address and the token of its first-access link.
 */
async function activatedMailbox(): Promise<{ address: string; token: string }> {
  const workflow = { startOrder: async () => {} };
  const { order } = await placeOrder(
    {
      orders: fulfilment.orders,
      mailboxes: fulfilment.mailboxes,
      workflow,
      dns: new InMemoryDns(),
      paymentWaitSeconds: 3600,
    },
    CreateOrderRequestSchema.parse(orderBody()),
    { now, storefrontId: 'storefront-1', randomBytes: crypto.getRandomValues(new Uint8Array(8)) },
  );
  await chargePayment(fulfilment, order.orderId, now);
  await provisionMailbox(fulfilment, order.orderId, now);
  const settings = { passwordSetupUrl: 'https://pec.example/password', tokenTtlSeconds: TOKEN_TTL_SECONDS };
  await sendFirstAccessEmail(fulfilment, settings, order.orderId, now);
  const email = notifier.firstAccessEmails.find((sent) => sent.address === order.mailbox.address);
  const token = new URL(email?.link ?? 'https://invalid').searchParams.get('token');
  if (!token) throw new Error('no first-access link was sent');
  return { address: order.mailbox.address, token };
}

const passwordHashOf = async (address: string) => (await table.item(platformAccountKey(address)))?.passwordHash;

describe('setPasswordFromLink on DynamoDB', () => {
  it('sets the password once: the platform keeps a hash and the mailbox shows it set', async () => {
    const { address, token } = await activatedMailbox();
    expect(await fulfilment.mailboxes.get(address)).toMatchObject({ status: 'active', passwordSet: false });

    await setPasswordFromLink(deps, { token, password: PASSWORD }, soon);

    expect(await passwordHashOf(address)).toMatch(/^scrypt\$/);
    expect((await fulfilment.mailboxes.get(address))?.passwordSet).toBe(true);
    const everything = JSON.stringify(await table.scan());
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(token);
  });

  it('refuses a second use of the link, and keeps the first password', async () => {
    const { address, token } = await activatedMailbox();
    await setPasswordFromLink(deps, { token, password: PASSWORD }, soon);
    const hash = await passwordHashOf(address);

    const again = setPasswordFromLink(deps, { token, password: 'Altro-Cavallo-43?' }, soon);

    await expect(again).rejects.toBeInstanceOf(TokenGoneError);
    await expect(again).rejects.toMatchObject({ code: 'token_gone', message: 'This link was already used.' });
    expect(await passwordHashOf(address)).toBe(hash);
  });

  it('refuses a weak password before spending the link', async () => {
    const { address, token } = await activatedMailbox();

    const weak = setPasswordFromLink(deps, { token, password: 'password' }, soon);

    await expect(weak).rejects.toBeInstanceOf(ValidationError);
    await expect(weak).rejects.toMatchObject({
      errors: expect.arrayContaining([expect.objectContaining({ path: 'password' })]),
    });
    expect(await passwordHashOf(address)).toBeUndefined();
    await setPasswordFromLink(deps, { token, password: PASSWORD }, soon);
    expect((await fulfilment.mailboxes.get(address))?.passwordSet).toBe(true);
  });

  it('refuses a password made from the address, and leaves the link usable', async () => {
    const { address, token } = await activatedMailbox();
    // The fixtures' addresses start with "test.", so "test" is part of the address.
    const fromAddress = 'Test-Cavallo-42!';

    await expect(setPasswordFromLink(deps, { token, password: fromAddress }, soon)).rejects.toBeInstanceOf(
      ValidationError,
    );

    expect(await passwordHashOf(address)).toBeUndefined();
    await expect(setPasswordFromLink(deps, { token, password: PASSWORD }, soon)).resolves.toBeUndefined();
  });

  it('answers not found for a token it never issued', async () => {
    const unknown = setPasswordFromLink(deps, { token: 'never-issued-token', password: PASSWORD }, soon);

    await expect(unknown).rejects.toBeInstanceOf(NotFoundError);
    await expect(unknown).rejects.toMatchObject({ code: 'token_not_found' });
  });

  it('refuses an expired link', async () => {
    const { address, token } = await activatedMailbox();
    const afterExpiry = new Date(now.getTime() + TOKEN_TTL_SECONDS * 1000 + 1);

    const late = setPasswordFromLink(deps, { token, password: PASSWORD }, afterExpiry);

    await expect(late).rejects.toBeInstanceOf(TokenGoneError);
    await expect(late).rejects.toMatchObject({ message: 'This link has expired.' });
    expect(await passwordHashOf(address)).toBeUndefined();
  });

  it('gives the link back when the platform fails, so the holder can try again', async () => {
    const { address, token } = await activatedMailbox();
    const outage = new Error('mail platform unavailable');
    const failingPlatform: Pick<MailPlatform, 'setPassword'> = {
      setPassword: async () => {
        throw outage;
      },
    };

    await expect(
      setPasswordFromLink({ ...deps, platform: failingPlatform }, { token, password: PASSWORD }, soon),
    ).rejects.toBe(outage);

    expect((await fulfilment.mailboxes.get(address))?.passwordSet).toBe(false);
    await setPasswordFromLink(deps, { token, password: PASSWORD }, soon);
    expect(await passwordHashOf(address)).toMatch(/^scrypt\$/);
  });

  it('lets exactly one of many concurrent uses of the link through', async () => {
    const { token } = await activatedMailbox();

    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => setPasswordFromLink(deps, { token, password: PASSWORD }, soon)),
    );

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(TokenGoneError);
    }
  });
});

const LINKS = { passwordSetupUrl: 'https://pec.example/password', tokenTtlSeconds: 3600 };
const tokenOf = (link: string | undefined) => new URL(link ?? 'https://invalid').searchParams.get('token') ?? '';
const HOUR_MS = 3600 * 1000;

describe('new first-access links on DynamoDB', () => {
  const storefront = { storefrontId: 'storefront-1' };

  it('emails a new link to the holder; the link emailed before stops working (410) and the new one works', async () => {
    const { address, token: emailed } = await activatedMailbox();

    await sendNewFirstAccessLink(linkDeps, { address, ...storefront }, LINKS, soon);

    const sent = notifier.firstAccessEmails.filter((email) => email.address === address);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toMatchObject({ to: 'mario.rossi@example.com', reissued: true });
    await expect(setPasswordFromLink(deps, { token: emailed, password: PASSWORD }, soon)).rejects.toMatchObject({
      name: 'TokenGoneError',
      message: expect.stringContaining('replaced by a newer one'),
    });
    await setPasswordFromLink(deps, { token: tokenOf(sent[1]?.link), password: PASSWORD }, soon);
    expect((await fulfilment.mailboxes.get(address))?.passwordSet).toBe(true);
  });

  it('refuses once the password is set, and for an address without a mailbox', async () => {
    const { address, token } = await activatedMailbox();
    await setPasswordFromLink(deps, { token, password: PASSWORD }, soon);

    await expect(sendNewFirstAccessLink(linkDeps, { address, ...storefront }, LINKS, soon)).rejects.toMatchObject({
      constructor: ConflictError,
      code: 'password_already_set',
    });
    await expect(
      sendNewFirstAccessLink(linkDeps, { address: 'nobody.here@pec.it', ...storefront }, LINKS, soon),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('sends at most 5 in 24 hours per mailbox, then says when to retry', async () => {
    const { address } = await activatedMailbox();
    for (let i = 0; i < 5; i++) {
      await sendNewFirstAccessLink(linkDeps, { address, ...storefront }, LINKS, new Date(soon.getTime() + i * HOUR_MS));
    }

    const sixth = sendNewFirstAccessLink(
      linkDeps,
      { address, ...storefront },
      LINKS,
      new Date(soon.getTime() + 5 * HOUR_MS),
    );

    await expect(sixth).rejects.toBeInstanceOf(TooManyRequestsError);
    // The first of the five leaves the window 24 hours after it was let through: 19 hours later.
    await expect(sixth).rejects.toMatchObject({ retryAfterSeconds: 19 * 3600 });
    expect(notifier.firstAccessEmails.filter((email) => email.address === address)).toHaveLength(6);
    await sendNewFirstAccessLink(linkDeps, { address, ...storefront }, LINKS, new Date(soon.getTime() + 24 * HOUR_MS));
  });
});

describe('password resets on DynamoDB', () => {
  /** A mailbox whose holder has set the password. */
  async function withPassword() {
    const { address, token } = await activatedMailbox();
    await setPasswordFromLink(deps, { token, password: PASSWORD }, soon);
    return address;
  }
  const resetLinks = (address: string) => notifier.resetEmails.filter((email) => email.address === address);

  it('emails a link valid one hour that sets a new password once, to the reference email', async () => {
    const address = await withPassword();
    const before = await passwordHashOf(address);

    await requestPasswordReset(linkDeps, address, LINKS, soon);

    const [email] = resetLinks(address);
    expect(email).toMatchObject({
      to: 'mario.rossi@example.com',
      expiresAt: new Date(soon.getTime() + HOUR_MS).toISOString(),
    });
    const token = tokenOf(email?.link);
    await setPasswordFromLink(deps, { token, password: 'Nuova-Frase-Sicura-7?' }, soon);
    expect(await passwordHashOf(address)).not.toBe(before);
    await expect(setPasswordFromLink(deps, { token, password: 'Altra-Frase-Sicura-8?' }, soon)).rejects.toMatchObject({
      name: 'TokenGoneError',
      message: 'This link was already used.',
    });
  });

  it('revokes the earlier unused reset link, and lets an hour-old link expire', async () => {
    const address = await withPassword();
    await requestPasswordReset(linkDeps, address, LINKS, soon);
    await requestPasswordReset(linkDeps, address, LINKS, soon);
    const [first, second] = resetLinks(address).map((email) => tokenOf(email.link));

    await expect(setPasswordFromLink(deps, { token: first ?? '', password: PASSWORD }, soon)).rejects.toBeInstanceOf(
      TokenGoneError,
    );
    const anHourLater = new Date(soon.getTime() + HOUR_MS);
    await expect(
      setPasswordFromLink(deps, { token: second ?? '', password: PASSWORD }, anHourLater),
    ).rejects.toMatchObject({ message: 'This link has expired.' });
  });

  it('sends nothing for an address without a mailbox or without a password, and limits every address alike', async () => {
    const { address: noPassword } = await activatedMailbox();
    const addresses = ['nobody.at.all@pec.it', noPassword, await withPassword()];

    for (const address of addresses) {
      for (let i = 0; i < 5; i++) await requestPasswordReset(linkDeps, address, LINKS, soon);
    }
    const sixth = await Promise.all(
      addresses.map((address) => requestPasswordReset(linkDeps, address, LINKS, soon).catch((error: Error) => error)),
    );

    expect(addresses.map((address) => resetLinks(address).length)).toEqual([0, 0, 5]);
    // The refusal reads the same whether or not the address has a mailbox.
    expect(
      sixth.map((error) => [error?.constructor, error?.message, (error as TooManyRequestsError)?.retryAfterSeconds]),
    ).toEqual(addresses.map(() => [TooManyRequestsError, sixth[0]?.message, 24 * 3600]));
  });
});
