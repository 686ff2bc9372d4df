import { describe, expect, it } from 'vitest';
import { ErrorName } from '../../../functions/domain/errors.ts';
import type { Mailbox } from '../../../functions/domain/mailbox.ts';
import { CreateOrderRequestSchema } from '../../../functions/domain/schemas.ts';
import { hashToken } from '../../../functions/use-cases/order-fulfilment.ts';
import { placeOrder } from '../../../functions/use-cases/place-order.ts';
import { setFirstPassword } from '../../../functions/use-cases/set-first-password.ts';
import {
  InMemoryAccessTokenRepository,
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
  storefrontId: 'storefront-1',
  randomBytes: new Uint8Array([9, 9, 9, 9, 9, 9, 9, ++counter]),
});

describe('placeOrder', () => {
  const intake = () => ({
    orders: new InMemoryOrderRepository(),
    mailboxes: new InMemoryMailboxRepository(),
    workflow: new RecordingWorkflow(),
    paymentWaitSeconds: 5 * 24 * 3600,
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
