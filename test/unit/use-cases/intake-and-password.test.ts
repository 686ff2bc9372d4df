import { describe, expect, it } from 'vitest';
import { ErrorName } from '../../../functions/domain/errors.ts';
import type { Mailbox } from '../../../functions/domain/mailbox.ts';
import { CreateOrderRequestSchema } from '../../../functions/domain/schemas.ts';
import { hashToken } from '../../../functions/use-cases/order-fulfilment.ts';
import { placeOrder } from '../../../functions/use-cases/place-order.ts';
import { setFirstPassword } from '../../../functions/use-cases/set-first-password.ts';
import {
  InMemoryAccessTokenRepository,
  InMemoryDns,
  InMemoryMailboxRepository,
  InMemoryMailPlatform,
  InMemoryOrderRepository,
  RecordingWorkflow,
} from '../../support/fakes.ts';
import { orderBody } from '../../support/fixtures.ts';

/* A new order taken in, and the first password set from its first-access link, against the in-memory ports. */

const now = new Date('2025-03-15T09:30:00.000Z');
let counter = 0;
const context = () => ({
  now,
  clientId: 'storefront-1',
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

describe('setFirstPassword', () => {
  const PASSWORD = 'Lunga-Frase-Sicura-42!';
  const address = 'first.access@pec.it';

  async function activated() {
    const tokens = new InMemoryAccessTokenRepository();
    await tokens.put({
      tokenHash: hashToken('tok-1'),
      address,
      orderId: 'ORDER1',
      expiresAt: '2025-03-16T09:30:00.000Z',
    });
    const mailboxes = new InMemoryMailboxRepository().seed({
      address,
      type: 'standard',
      domainPec: false,
      status: 'active',
      orderId: 'ORDER1',
      holderEmail: 'mario.rossi@example.com',
      autoRenew: false,
      passwordSet: false,
    } as Mailbox);
    const platform = new InMemoryMailPlatform();
    await platform.createMailbox({ address, mailboxGb: 1, archiveGb: 0 });
    return { tokens, mailboxes, platform };
  }

  it('sets the password once; the link is spent', async () => {
    const deps = await activated();

    await setFirstPassword(deps, { token: 'tok-1', password: PASSWORD }, now);

    expect(deps.platform.accounts.get(address)?.password).toBe(PASSWORD);
    expect((await deps.mailboxes.get(address))?.passwordSet).toBe(true);
    await expect(setFirstPassword(deps, { token: 'tok-1', password: PASSWORD }, now)).rejects.toMatchObject({
      name: ErrorName.TokenGoneError,
    });
  });

  it('refuses a weak password without spending the link', async () => {
    const deps = await activated();

    await expect(setFirstPassword(deps, { token: 'tok-1', password: 'short' }, now)).rejects.toMatchObject({
      name: ErrorName.ValidationError,
    });
    await setFirstPassword(deps, { token: 'tok-1', password: PASSWORD }, now);
    expect(deps.platform.accounts.get(address)?.password).toBe(PASSWORD);
  });

  it('answers an unknown link as not found and an expired one as gone', async () => {
    const deps = await activated();

    await expect(setFirstPassword(deps, { token: 'tok-unknown', password: PASSWORD }, now)).rejects.toMatchObject({
      name: ErrorName.NotFoundError,
    });
    await expect(
      setFirstPassword(deps, { token: 'tok-1', password: PASSWORD }, new Date('2025-03-16T09:30:00.000Z')),
    ).rejects.toMatchObject({ name: ErrorName.TokenGoneError });
    expect(deps.platform.accounts.get(address)?.password).toBeUndefined();
  });
});
