import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformAccountKey } from '../../../functions/adapters/dynamodb-mail-platform.ts';
import { NotFoundError, TokenGoneError, ValidationError } from '../../../functions/domain/errors.ts';
import { CreateOrderRequestSchema } from '../../../functions/domain/schemas.ts';
import {
  chargePayment,
  type FulfilmentDeps,
  provisionMailbox,
  sendFirstAccessEmail,
} from '../../../functions/use-cases/order-fulfilment.ts';
import { placeOrder } from '../../../functions/use-cases/place-order.ts';
import type { AuditLog, MailPlatform, Notifier } from '../../../functions/use-cases/ports.ts';
import { type SetFirstPasswordDeps, setFirstPassword } from '../../../functions/use-cases/set-first-password.ts';
import { InMemoryPaymentGateway } from '../../support/fakes.ts';
import { orderBody } from '../../support/fixtures.ts';
import { dynamoAdapters, type LocalTable, startLocalTable } from '../../support/local-dynamodb.ts';

/** The emails as the use cases see them: each one recorded, none sent. */
class RecordingNotifier implements Notifier {
  readonly firstAccessEmails: Parameters<Notifier['firstAccess']>[0][] = [];
  async firstAccess(input: Parameters<Notifier['firstAccess']>[0]) {
    this.firstAccessEmails.push(input);
    return `msg-${this.firstAccessEmails.length}`;
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
let deps: SetFirstPasswordDeps;
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
  };
  deps = { tokens: fulfilment.tokens, mailboxes: fulfilment.mailboxes, platform: fulfilment.platform };
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
    { orders: fulfilment.orders, mailboxes: fulfilment.mailboxes, workflow, paymentWaitSeconds: 3600 },
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

describe('setFirstPassword on DynamoDB', () => {
  it('sets the password once: the platform keeps a hash and the mailbox shows it set', async () => {
    const { address, token } = await activatedMailbox();
    expect(await fulfilment.mailboxes.get(address)).toMatchObject({ status: 'active', passwordSet: false });

    await setFirstPassword(deps, { token, password: PASSWORD }, soon);

    expect(await passwordHashOf(address)).toMatch(/^scrypt\$/);
    expect((await fulfilment.mailboxes.get(address))?.passwordSet).toBe(true);
    const everything = JSON.stringify(await table.scan());
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(token);
  });

  it('refuses a second use of the link, and keeps the first password', async () => {
    const { address, token } = await activatedMailbox();
    await setFirstPassword(deps, { token, password: PASSWORD }, soon);
    const hash = await passwordHashOf(address);

    const again = setFirstPassword(deps, { token, password: 'Altro-Cavallo-43?' }, soon);

    await expect(again).rejects.toBeInstanceOf(TokenGoneError);
    await expect(again).rejects.toMatchObject({ code: 'token_gone', message: 'This link was already used.' });
    expect(await passwordHashOf(address)).toBe(hash);
  });

  it('refuses a weak password before spending the link', async () => {
    const { address, token } = await activatedMailbox();

    const weak = setFirstPassword(deps, { token, password: 'password' }, soon);

    await expect(weak).rejects.toBeInstanceOf(ValidationError);
    await expect(weak).rejects.toMatchObject({
      errors: expect.arrayContaining([expect.objectContaining({ path: 'password' })]),
    });
    expect(await passwordHashOf(address)).toBeUndefined();
    await setFirstPassword(deps, { token, password: PASSWORD }, soon);
    expect((await fulfilment.mailboxes.get(address))?.passwordSet).toBe(true);
  });

  it('refuses a password made from the address, and leaves the link usable', async () => {
    const { address, token } = await activatedMailbox();
    // The fixtures' addresses start with "test.", so "test" is part of the address.
    const fromAddress = 'Test-Cavallo-42!';

    await expect(setFirstPassword(deps, { token, password: fromAddress }, soon)).rejects.toBeInstanceOf(
      ValidationError,
    );

    expect(await passwordHashOf(address)).toBeUndefined();
    await expect(setFirstPassword(deps, { token, password: PASSWORD }, soon)).resolves.toBeUndefined();
  });

  it('answers not found for a token it never issued', async () => {
    const unknown = setFirstPassword(deps, { token: 'never-issued-token', password: PASSWORD }, soon);

    await expect(unknown).rejects.toBeInstanceOf(NotFoundError);
    await expect(unknown).rejects.toMatchObject({ code: 'token_not_found' });
  });

  it('refuses an expired link', async () => {
    const { address, token } = await activatedMailbox();
    const afterExpiry = new Date(now.getTime() + TOKEN_TTL_SECONDS * 1000 + 1);

    const late = setFirstPassword(deps, { token, password: PASSWORD }, afterExpiry);

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
      setFirstPassword({ ...deps, platform: failingPlatform }, { token, password: PASSWORD }, soon),
    ).rejects.toBe(outage);

    expect((await fulfilment.mailboxes.get(address))?.passwordSet).toBe(false);
    await setFirstPassword(deps, { token, password: PASSWORD }, soon);
    expect(await passwordHashOf(address)).toMatch(/^scrypt\$/);
  });

  it('lets exactly one of many concurrent uses of the link through', async () => {
    const { token } = await activatedMailbox();

    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => setFirstPassword(deps, { token, password: PASSWORD }, soon)),
    );

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(TokenGoneError);
    }
  });
});
