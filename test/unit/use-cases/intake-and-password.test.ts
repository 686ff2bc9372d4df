import { describe, expect, it } from 'vitest';
import { ErrorName } from '../../../functions/domain/errors.ts';
import type { Mailbox } from '../../../functions/domain/mailbox.ts';
import { CreateOrderRequestSchema } from '../../../functions/domain/schemas.ts';
import {
  hashToken,
  requestPasswordReset,
  sendNewFirstAccessLink,
  setPasswordFromLink,
} from '../../../functions/use-cases/access-links.ts';
import { placeOrder } from '../../../functions/use-cases/place-order.ts';
import {
  InMemoryAccessTokenRepository,
  InMemoryDns,
  InMemoryMailboxRepository,
  InMemoryMailPlatform,
  InMemoryOrderRepository,
  InMemoryRateLimiter,
  RecordingNotifier,
  RecordingWorkflow,
} from '../../support/fakes.ts';
import { orderBody } from '../../support/fixtures.ts';

/*
 * A new order taken in, the first password set from its first-access link, new first-access links
 * and password resets, against the in-memory ports.
 */

/** An active mailbox, without a password unless said. */
const mailbox = (overrides: Partial<Mailbox> = {}): Mailbox => ({
  address: 'first.access@pec.it',
  type: 'standard',
  domainPec: false,
  status: 'active',
  storefrontId: 'storefront-1',
  orderId: 'ORDER1',
  orderedAt: '2025-03-01T09:00:00.000Z',
  holderEmail: 'mario.rossi@example.com',
  autoRenew: false,
  passwordSet: false,
  ...overrides,
});

const now = new Date('2025-03-15T09:30:00.000Z');
let counter = 0;
const context = () => ({
  now,
  storefrontId: 'storefront-1',
  randomBytes: new Uint8Array([9, 9, 9, 9, 9, 9, 9, ++counter]),
});

describe('placeOrder', () => {
  const intake = () => ({
    orders: new InMemoryOrderRepository(),
    mailboxes: new InMemoryMailboxRepository(),
    workflow: new RecordingWorkflow(),
    dns: new InMemoryDns().set('studiobianchi.it', []),
    paymentWaitSeconds: 5 * 24 * 3600,
  });
  const ownDomainOrder = (address: string) =>
    CreateOrderRequestSchema.parse({
      ...orderBody({ address }),
      mailbox: { address, type: 'standard', domainPec: true },
    });

  it('reserves the address, stores the order and starts its workflow', async () => {
    const deps = intake();
    const request = CreateOrderRequestSchema.parse(orderBody({ address: 'mario.rossi@pec.it' }));

    const { order } = await placeOrder(deps, request, context());

    expect(order).toMatchObject({ kind: 'new', status: 'pending_payment', mailbox: { address: 'mario.rossi@pec.it' } });
    expect(await deps.mailboxes.get('mario.rossi@pec.it')).toMatchObject({
      status: 'reserved',
      orderId: order.orderId,
    });
    expect(deps.workflow.started.map((start) => start.orderId)).toEqual([order.orderId]);
    expect(deps.orders.orders.get(order.orderId)?.consents).toEqual({
      termsVersion: '2026-01',
      acceptedAt: now.toISOString(),
    });
  });

  it('refuses an address another order holds, storing nothing', async () => {
    const deps = intake();
    const request = CreateOrderRequestSchema.parse(orderBody({ address: 'taken@pec.it' }));
    const { order: first } = await placeOrder(deps, request, context());

    await expect(placeOrder(deps, request, context())).rejects.toMatchObject({
      name: ErrorName.AddressUnavailableError,
    });
    expect([...deps.orders.orders.keys()]).toEqual([first.orderId]);
    expect(deps.workflow.started).toHaveLength(1);
  });

  it('takes an own-domain order for a domain that exists in DNS, even without MX records yet', async () => {
    const deps = intake();

    const { order } = await placeOrder(deps, ownDomainOrder('info@studiobianchi.it'), context());

    expect(order.mailbox).toEqual({ address: 'info@studiobianchi.it', type: 'standard', domainPec: true });
    expect(deps.dns.asked).toEqual(['studiobianchi.it']);
  });

  it('refuses, before anything is reserved or paid, an own domain that does not exist in DNS', async () => {
    const deps = intake();

    await expect(placeOrder(deps, ownDomainOrder('info@studio-bianchi-typo.it'), context())).rejects.toMatchObject({
      name: ErrorName.ValidationError,
      errors: [
        { path: 'mailbox.address', message: expect.stringContaining('"studio-bianchi-typo.it" does not exist') },
      ],
    });
    expect(await deps.mailboxes.get('info@studio-bianchi-typo.it')).toBeUndefined();
    expect(deps.orders.orders.size).toBe(0);
    expect(deps.workflow.started).toHaveLength(0);
  });

  it('takes the order when DNS cannot be asked (a resolver failing is no answer)', async () => {
    const deps = intake();
    deps.dns.failing = true;

    const { order } = await placeOrder(deps, ownDomainOrder('info@unreachable-dns.it'), context());

    expect(order.status).toBe('pending_payment');
    expect(deps.workflow.started).toHaveLength(1);
  });

  it('asks DNS nothing for an address on a generic domain', async () => {
    const deps = intake();
    await placeOrder(deps, CreateOrderRequestSchema.parse(orderBody({ address: 'mario.bianchi@pec.it' })), context());
    expect(deps.dns.asked).toEqual([]);
  });
});

describe('setPasswordFromLink', () => {
  const PASSWORD = 'Lunga-Frase-Sicura-42!';
  const address = 'first.access@pec.it';

  async function activated() {
    const tokens = new InMemoryAccessTokenRepository();
    await tokens.issue({
      tokenHash: hashToken('tok-1'),
      address,
      orderId: 'ORDER1',
      purpose: 'first_access',
      expiresAt: '2025-03-16T09:30:00.000Z',
    });
    const mailboxes = new InMemoryMailboxRepository().seed(mailbox({ address }));
    const platform = new InMemoryMailPlatform();
    await platform.createMailbox({ address, mailboxGb: 1, archiveGb: 0 });
    return { tokens, mailboxes, platform };
  }

  it('sets the password once; the link is spent', async () => {
    const deps = await activated();

    await setPasswordFromLink(deps, { token: 'tok-1', password: PASSWORD }, now);

    expect(deps.platform.accounts.get(address)?.password).toBe(PASSWORD);
    expect((await deps.mailboxes.get(address))?.passwordSet).toBe(true);
    await expect(setPasswordFromLink(deps, { token: 'tok-1', password: PASSWORD }, now)).rejects.toMatchObject({
      name: ErrorName.TokenGoneError,
    });
  });

  it('refuses a weak password without spending the link', async () => {
    const deps = await activated();

    await expect(setPasswordFromLink(deps, { token: 'tok-1', password: 'short' }, now)).rejects.toMatchObject({
      name: ErrorName.ValidationError,
    });
    await setPasswordFromLink(deps, { token: 'tok-1', password: PASSWORD }, now);
    expect(deps.platform.accounts.get(address)?.password).toBe(PASSWORD);
  });

  it('answers an unknown link as not found and an expired one as gone', async () => {
    const deps = await activated();

    await expect(setPasswordFromLink(deps, { token: 'tok-unknown', password: PASSWORD }, now)).rejects.toMatchObject({
      name: ErrorName.NotFoundError,
    });
    await expect(
      setPasswordFromLink(deps, { token: 'tok-1', password: PASSWORD }, new Date('2025-03-16T09:30:00.000Z')),
    ).rejects.toMatchObject({ name: ErrorName.TokenGoneError });
    expect(deps.platform.accounts.get(address)?.password).toBeUndefined();
  });
});

const LINKS = { passwordSetupUrl: 'https://pec.example/password', tokenTtlSeconds: 3600 };

/** The ports of the link use cases, around one seeded mailbox. */
function linkPorts(...seeded: Mailbox[]) {
  const platform = new InMemoryMailPlatform();
  for (const { address } of seeded) platform.accounts.set(address, { mailboxGb: 1, archiveGb: 0, receiveOnly: false });
  return {
    mailboxes: new InMemoryMailboxRepository().seed(...seeded),
    tokens: new InMemoryAccessTokenRepository(),
    limiter: new InMemoryRateLimiter(),
    notifier: new RecordingNotifier(),
    platform,
  };
}
const tokenOf = (link: string | undefined) => new URL(link ?? 'https://invalid').searchParams.get('token') ?? '';

describe('sendNewFirstAccessLink', () => {
  const address = 'first.access@pec.it';

  it('emails the holder a link to the page with a 256-bit token, stored only as its hash', async () => {
    const deps = linkPorts(mailbox({ storefrontId: 'storefront-1' }));

    await sendNewFirstAccessLink(deps, { address, storefrontId: 'storefront-1' }, LINKS, now);

    const [email] = deps.notifier.of('firstAccess');
    expect(email).toMatchObject({ to: 'mario.rossi@example.com', address, reissued: true });
    expect(email?.link).toMatch(/^https:\/\/pec\.example\/password\?token=[A-Za-z0-9_-]{43}$/);
    const token = tokenOf(email?.link);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect([...deps.tokens.tokens.keys()]).toEqual([hashToken(token)]);
    expect(JSON.stringify([...deps.tokens.tokens.values()])).not.toContain(token);
  });

  it.each([
    ['another storefront', mailbox({ storefrontId: 'storefront-2' }), 'NotFoundError', 'mailbox_not_found'],
    ['a reservation', mailbox({ status: 'reserved' }), 'NotFoundError', 'mailbox_not_found'],
    ['a deleted mailbox', mailbox({ status: 'deleted' }), 'NotFoundError', 'mailbox_not_found'],
    ['a mailbox with its password', mailbox({ passwordSet: true }), 'ConflictError', 'password_already_set'],
    ['a mailbox still activating', mailbox({ status: 'activating' }), 'ConflictError', 'mailbox_not_active'],
  ])('refuses %s, sending nothing', async (_case, seeded, name, code) => {
    const deps = linkPorts(seeded);

    await expect(
      sendNewFirstAccessLink(deps, { address, storefrontId: 'storefront-1' }, LINKS, now),
    ).rejects.toMatchObject({ name, code });
    expect(deps.notifier.sent).toEqual([]);
  });

  it('serves a mailbox that records no storefront (created before storefronts were recorded)', async () => {
    const deps = linkPorts(mailbox());

    await sendNewFirstAccessLink(deps, { address, storefrontId: 'storefront-1' }, LINKS, now);

    expect(deps.notifier.of('firstAccess')).toHaveLength(1);
  });

  it('refuses the sixth in 24 hours with the seconds to wait, counting only links sent', async () => {
    const deps = linkPorts(mailbox());
    const request = { address, storefrontId: 'storefront-1' };
    for (let i = 0; i < 5; i++) await sendNewFirstAccessLink(deps, request, LINKS, now);

    await expect(sendNewFirstAccessLink(deps, request, LINKS, now)).rejects.toMatchObject({
      name: ErrorName.TooManyRequestsError,
      code: 'too_many_requests',
      retryAfterSeconds: 24 * 3600,
    });
    expect(deps.notifier.of('firstAccess')).toHaveLength(5);
  });
});

describe('requestPasswordReset', () => {
  const address = 'first.access@pec.it';

  it('emails a reset link to the holder of a mailbox with a password; the link sets a new one once', async () => {
    const deps = linkPorts(mailbox({ passwordSet: true }));

    await requestPasswordReset(deps, address, LINKS, now);

    const [email] = deps.notifier.of('passwordReset');
    expect(email).toMatchObject({ to: 'mario.rossi@example.com', address, expiresAt: '2025-03-15T10:30:00.000Z' });
    const token = tokenOf(email?.link);
    await setPasswordFromLink(deps, { token, password: 'Nuova-Frase-Sicura-7?' }, now);
    expect(deps.platform.accounts.get(address)?.password).toBe('Nuova-Frase-Sicura-7?');
    await expect(setPasswordFromLink(deps, { token, password: 'Nuova-Frase-Sicura-8?' }, now)).rejects.toMatchObject({
      name: ErrorName.TokenGoneError,
    });
  });

  it.each([
    ['no mailbox', []],
    ['a mailbox without a password', [mailbox()]],
    ['a deleted mailbox', [mailbox({ status: 'deleted' })]],
  ])('sends nothing for %s', async (_case, seeded) => {
    const deps = linkPorts(...seeded);

    await requestPasswordReset(deps, address, LINKS, now);

    expect(deps.notifier.sent).toEqual([]);
    expect(deps.tokens.tokens.size).toBe(0);
  });

  it('refuses a reset link once the mailbox has no password any more (deleted meanwhile)', async () => {
    const deps = linkPorts(mailbox({ passwordSet: true }));
    await requestPasswordReset(deps, address, LINKS, now);
    const resetToken = tokenOf(deps.notifier.of('passwordReset')[0]?.link);
    deps.mailboxes.seed(mailbox({ passwordSet: false, status: 'deleted' }));

    await expect(
      setPasswordFromLink(deps, { token: resetToken, password: 'Nuova-Frase-Sicura-7?' }, now),
    ).rejects.toMatchObject({ name: ErrorName.TokenGoneError });
    expect(deps.platform.accounts.get(address)?.password).toBeUndefined();
  });
});
