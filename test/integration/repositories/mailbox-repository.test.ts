import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  duePartition,
  dueShardOf,
  dynamoMailboxRepository,
  mailboxKey,
} from '../../../functions/adapters/dynamodb/mailbox-repository.ts';
import type { MailboxStatus } from '../../../functions/domain/lifecycles.ts';
import type { Mailbox } from '../../../functions/domain/mailbox.ts';
import type { MailboxRepository } from '../../../functions/use-cases/ports.ts';
import { freshAddress, savedCard } from '../../support/fixtures.ts';
import { type LocalTable, startLocalTable } from '../../support/local-dynamodb.ts';

let table: LocalTable;
let mailboxes: MailboxRepository;

beforeAll(async () => {
  table = await startLocalTable();
  mailboxes = dynamoMailboxRepository(table, () => now);
});
afterAll(() => table?.stop());

const now = new Date('2025-03-15T09:30:00.000Z');
const later = (hours: number) => new Date(now.getTime() + hours * 3600_000);

const reservation = (address: string, orderId: string, holdUntil = later(24)): Mailbox => ({
  address,
  status: 'reserved',
  storefrontId: 'storefront-1',
  orderId,
  orderedAt: now.toISOString(),
  holdUntil: holdUntil.toISOString(),
  type: 'standard',
  domainPec: false,
  holderEmail: 'mario.rossi@example.com',
  autoRenew: false,
  passwordSet: false,
});

const activation = {
  activatedAt: '2025-03-16T10:00:00.000Z',
  expiresAt: '2026-03-16T10:00:00.000Z',
  autoRenew: true,
  renewalPayment: savedCard,
};

describe('DynamoDB mailbox repository: reserve', () => {
  it('gives an address to exactly one of many concurrent orders', async () => {
    const address = freshAddress();
    const orderIds = Array.from({ length: 25 }, (_, i) => `ORDER${String(i).padStart(7, '0')}`);

    const results = await Promise.all(orderIds.map((orderId) => mailboxes.reserve(reservation(address, orderId), now)));

    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = orderIds[results.indexOf(true)];
    expect((await mailboxes.get(address))?.orderId).toBe(winner);
  });

  it('refuses an address held by another order until the hold expires, then gives it', async () => {
    const address = freshAddress();
    await mailboxes.reserve(reservation(address, 'FIRST', later(1)), now);

    expect(await mailboxes.reserve(reservation(address, 'SECOND', later(25)), later(0.5))).toBe(false);
    expect(await mailboxes.reserve(reservation(address, 'SECOND', later(25)), later(2))).toBe(true);
    expect(await mailboxes.get(address)).toMatchObject({ orderId: 'SECOND', holdUntil: later(25).toISOString() });
  });

  it('gives the address of a deleted mailbox to a new order', async () => {
    const address = freshAddress();
    await mailboxes.reserve(reservation(address, 'OLD'), now);
    await mailboxes.activate(address, 'OLD', activation);
    await setStatus(address, 'deleted');

    expect(await mailboxes.reserve(reservation(address, 'NEW'), later(1))).toBe(true);
    expect(await mailboxes.get(address)).toMatchObject({ status: 'reserved', orderId: 'NEW' });
  });

  it('refuses the address of an active or suspended mailbox, whatever the order', async () => {
    const address = freshAddress();
    await mailboxes.reserve(reservation(address, 'OWNER'), now);
    await mailboxes.activate(address, 'OWNER', activation);

    expect(await mailboxes.reserve(reservation(address, 'OTHER'), later(48))).toBe(false);
    // Not even the order that created it: a late retry must not turn a mailbox back into a reservation.
    expect(await mailboxes.reserve(reservation(address, 'OWNER'), later(48))).toBe(false);
    expect((await mailboxes.get(address))?.status).toBe('active');

    await setStatus(address, 'suspended');
    expect(await mailboxes.reserve(reservation(address, 'OTHER'), later(48))).toBe(false);
    expect((await mailboxes.get(address))?.status).toBe('suspended');
  });

  it('lets the same order reserve its address again (a retried request)', async () => {
    const address = freshAddress();
    expect(await mailboxes.reserve(reservation(address, 'RETRIED'), now)).toBe(true);

    expect(await mailboxes.reserve(reservation(address, 'RETRIED'), later(1))).toBe(true);
    expect((await mailboxes.get(address))?.orderId).toBe('RETRIED');
  });
});

describe('DynamoDB mailbox repository: release', () => {
  it('frees an address only for the order holding it', async () => {
    const address = freshAddress();
    await mailboxes.reserve(reservation(address, 'HOLDER'), now);

    await mailboxes.release(address, 'STRANGER');
    expect((await mailboxes.get(address))?.orderId).toBe('HOLDER');

    await mailboxes.release(address, 'HOLDER');
    expect(await mailboxes.get(address)).toBeUndefined();
  });

  it('never frees an activated mailbox', async () => {
    const address = freshAddress();
    await mailboxes.reserve(reservation(address, 'HOLDER'), now);
    await mailboxes.activate(address, 'HOLDER', activation);

    await mailboxes.release(address, 'HOLDER');

    expect((await mailboxes.get(address))?.status).toBe('active');
  });

  it('does nothing for an address nobody holds', async () => {
    await expect(mailboxes.release(freshAddress(), 'NOBODY')).resolves.toBeUndefined();
  });
});

describe('DynamoDB mailbox repository: activate', () => {
  it('turns the reservation into an active mailbox, in the due-day index at its first renewal stage', async () => {
    const address = freshAddress();
    await mailboxes.reserve(reservation(address, 'HOLDER'), now);

    expect(await mailboxes.activate(address, 'HOLDER', activation)).toBe(true);

    const mailbox = await mailboxes.get(address);
    expect(mailbox).toMatchObject({ status: 'active', orderId: 'HOLDER', ...activation });
    expect(mailbox?.holdUntil).toBeUndefined();
    expect(mailbox).not.toHaveProperty('gsi4pk');
    // Expiring 2026-03-16 10:00, renewing automatically: the charge notice (37 days before) is next.
    const item = await table.item(mailboxKey(address));
    expect(item).toMatchObject({
      gsi4pk: duePartition('2026-02-07', dueShardOf(address)),
      gsi4sk: `2026-02-07T10:00:00.000Z#${address}`,
    });
    const due = await mailboxes.listDue({ days: ['2026-02-07'], until: '2026-02-07T10:00:00.000Z', limit: 1000 });
    expect(due.addresses).toContain(address);
    // Not yet due an instant before, nor on another day.
    const before = await mailboxes.listDue({ days: ['2026-02-07'], until: '2026-02-07T09:59:59.999Z', limit: 1000 });
    expect(before.addresses).not.toContain(address);
  });

  it('refuses an order that does not hold the address', async () => {
    const address = freshAddress();
    await mailboxes.reserve(reservation(address, 'HOLDER'), now);

    expect(await mailboxes.activate(address, 'STRANGER', activation)).toBe(false);
    expect((await mailboxes.get(address))?.status).toBe('reserved');
  });

  it('refuses an address released in the meantime', async () => {
    const address = freshAddress();
    await mailboxes.reserve(reservation(address, 'HOLDER'), now);
    await mailboxes.release(address, 'HOLDER');

    expect(await mailboxes.activate(address, 'HOLDER', activation)).toBe(false);
    expect(await mailboxes.get(address)).toBeUndefined();
  });

  it('keeps no renewal payment when none is given', async () => {
    const address = freshAddress();
    await mailboxes.reserve(reservation(address, 'HOLDER'), now);
    const { renewalPayment: _none, ...withoutPayment } = activation;

    expect(await mailboxes.activate(address, 'HOLDER', { ...withoutPayment, autoRenew: false })).toBe(true);
    expect(await mailboxes.get(address)).not.toHaveProperty('renewalPayment');
  });

  it("keeps the order's billing identifier when given, none otherwise", async () => {
    const withBilling = freshAddress();
    const without = freshAddress();
    await mailboxes.reserve(reservation(withBilling, 'HOLDER'), now);
    await mailboxes.reserve(reservation(without, 'HOLDER'), now);

    await mailboxes.activate(withBilling, 'HOLDER', { ...activation, billing: { recipientCode: 'ABC1234' } });
    await mailboxes.activate(without, 'HOLDER', activation);

    expect((await mailboxes.get(withBilling))?.billing).toEqual({ recipientCode: 'ABC1234' });
    expect(await mailboxes.get(without)).not.toHaveProperty('billing');
  });
});

describe('DynamoDB mailbox repository: extend with a plan', () => {
  it("applies the new period's plan and extra GB with the expiry, once per order", async () => {
    const address = freshAddress();
    await mailboxes.reserve(reservation(address, 'HOLDER'), now);
    await mailboxes.activate(address, 'HOLDER', activation);
    const plan = { type: 'premium' as const, extraGb: { mailbox: 1, archive: 2 } };

    const change = { previousExpiresAt: activation.expiresAt, expiresAt: '2027-03-16T10:00:00.000Z', plan };
    expect(await mailboxes.extend(address, 'RENEWAL', change)).toBe('extended');
    expect(await mailboxes.extend(address, 'RENEWAL', { ...change, previousExpiresAt: change.expiresAt })).toBe(
      'applied',
    );

    expect(await mailboxes.get(address)).toMatchObject({
      type: 'premium',
      extraGb: { mailbox: 1, archive: 2 },
      expiresAt: '2027-03-16T10:00:00.000Z',
    });
  });

  it('leaves the plan as it is for a renewal that names none', async () => {
    const address = freshAddress();
    await mailboxes.reserve(reservation(address, 'HOLDER'), now);
    await mailboxes.activate(address, 'HOLDER', activation);

    await mailboxes.extend(address, 'RENEWAL', {
      previousExpiresAt: activation.expiresAt,
      expiresAt: '2027-03-16T10:00:00.000Z',
    });

    const mailbox = await mailboxes.get(address);
    expect(mailbox?.type).toBe('standard');
    expect(mailbox).not.toHaveProperty('extraGb');
  });
});

describe('DynamoDB mailbox repository: markPasswordSet', () => {
  it('records the first password once', async () => {
    const address = freshAddress();
    await mailboxes.reserve(reservation(address, 'HOLDER'), now);
    await mailboxes.activate(address, 'HOLDER', activation);

    expect(await mailboxes.markPasswordSet(address)).toBe(true);
    expect(await mailboxes.markPasswordSet(address)).toBe(false);
    expect((await mailboxes.get(address))?.passwordSet).toBe(true);
  });

  it('answers false for an address without a mailbox', async () => {
    expect(await mailboxes.markPasswordSet(freshAddress())).toBe(false);
  });
});

/** Moves a mailbox along its lifecycle as the renewal sweep does (suspended when expired, deleted after grace). */
async function setStatus(address: string, status: MailboxStatus) {
  await table.documents.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: mailboxKey(address),
      UpdateExpression: 'SET #status = :status',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':status': status },
    }),
  );
}

describe('DynamoDB mailbox repository: setAutoRenew', () => {
  it("switches only the storefront's own mailbox; another storefront's write changes nothing", async () => {
    const address = freshAddress();
    await mailboxes.reserve(reservation(address, 'ORDER0000AR1'), now);
    await mailboxes.activate(address, 'ORDER0000AR1', activation);

    expect(await mailboxes.setAutoRenew(address, false, 'storefront-2')).toBeUndefined();
    expect((await mailboxes.get(address))?.autoRenew).toBe(true);

    expect(await mailboxes.setAutoRenew(address, false, 'storefront-1')).toMatchObject({ autoRenew: false });
    expect((await mailboxes.get(address))?.autoRenew).toBe(false);
  });
});

describe("DynamoDB mailbox repository: the holder's contact", () => {
  const contact = { undeliverable: true as const, since: '2026-11-22T10:00:00.000Z', reason: 'smtp; 550 5.1.1' };

  async function activeMailbox() {
    const address = freshAddress();
    await mailboxes.reserve(reservation(address, 'HOLDER'), now);
    await mailboxes.activate(address, 'HOLDER', activation);
    return address;
  }

  it('marks the contact undeliverable while the bounced address is the reference email, keeping the first report', async () => {
    const address = await activeMailbox();

    expect(await mailboxes.markContactUndeliverable(address, 'someone.else@example.com', contact)).toBe(false);
    expect(await mailboxes.markContactUndeliverable(address, 'mario.rossi@example.com', contact)).toBe(true);
    expect(
      await mailboxes.markContactUndeliverable(address, 'mario.rossi@example.com', { ...contact, since: 'later' }),
    ).toBe(false);
    expect((await mailboxes.get(address))?.contact).toEqual(contact);
    expect(await mailboxes.markContactUndeliverable(freshAddress(), 'mario.rossi@example.com', contact)).toBe(false);
  });

  it("a deleted mailbox keeps neither the holder's email nor what was learnt of it", async () => {
    const address = await activeMailbox();
    await mailboxes.markContactUndeliverable(address, 'mario.rossi@example.com', contact);
    expect(await mailboxes.suspend(address, activation.expiresAt)).toBe(true);

    expect(await mailboxes.markDeleted(address, activation.expiresAt)).toBe(true);

    const item = await table.item(mailboxKey(address));
    expect(item).toMatchObject({ status: 'deleted', holderEmail: '' });
    expect(item).not.toHaveProperty('contact');
    expect(JSON.stringify(item)).not.toContain('mario.rossi@example.com');
  });
});

describe('DynamoDB mailbox repository: the due-day index', () => {
  const activeMailbox = async (fields: Partial<typeof activation> = {}) => {
    const address = freshAddress();
    await mailboxes.reserve(reservation(address, 'HOLDER'), now);
    await mailboxes.activate(address, 'HOLDER', { ...activation, ...fields });
    return address;
  };
  const dueKeys = async (address: string) => {
    const item = await table.item(mailboxKey(address));
    return { pk: item?.gsi4pk, sk: item?.gsi4sk };
  };

  it('moves a mailbox to the day of its next stage whenever it changes, and out of the index once deleted', async () => {
    const address = await activeMailbox();
    // Switched off: reminders instead of the charge; the 90-day one (2025-12-16) is next.
    await mailboxes.setAutoRenew(address, false, 'storefront-1');
    expect(await dueKeys(address)).toEqual({
      pk: duePartition('2025-12-16', dueShardOf(address)),
      sk: `2025-12-16T10:00:00.000Z#${address}`,
    });
    expect(await mailboxes.markStageDone(address, activation.expiresAt, `${activation.expiresAt}#remind-90`)).toBe(
      true,
    );
    expect(await mailboxes.markStageDone(address, activation.expiresAt, `${activation.expiresAt}#remind-90`)).toBe(
      false,
    );
    expect((await dueKeys(address)).sk).toBe(`2026-02-14T10:00:00.000Z#${address}`);
    expect(await mailboxes.suspend(address, activation.expiresAt)).toBe(true);
    expect((await dueKeys(address)).sk).toBe(`2026-06-14T10:00:00.000Z#${address}`);
    expect(await mailboxes.markDeleted(address, activation.expiresAt)).toBe(true);
    expect(await dueKeys(address)).toEqual({ pk: undefined, sk: undefined });
  });

  it('files a stage due already under the day of the write, never under a day swept', async () => {
    const late = dynamoMailboxRepository(table, () => new Date('2026-03-01T08:00:00.000Z'));
    const address = await activeMailbox();
    // 15 days before expiry automatic renewal goes off: the reminders, due since December, are due today.
    await late.setAutoRenew(address, false, 'storefront-1');
    expect(await dueKeys(address)).toEqual({
      pk: duePartition('2026-03-01', dueShardOf(address)),
      sk: `2025-12-16T10:00:00.000Z#${address}`,
    });
    expect(
      (await late.listDue({ days: ['2026-03-01'], until: '2026-03-01T08:00:00.000Z', limit: 1000 })).addresses,
    ).toContain(address);
  });

  it('pages through every shard of every day asked for, each address once', async () => {
    const addresses = await Promise.all(
      Array.from({ length: 23 }, () => activeMailbox({ expiresAt: '2027-01-20T10:00:00.000Z' })),
    );
    const seen: string[] = [];
    let after: Awaited<ReturnType<MailboxRepository['listDue']>>['next'];
    let pages = 0;
    do {
      const page = await mailboxes.listDue({
        days: ['2026-12-13', '2026-12-14', '2026-12-15'],
        until: '2026-12-15T00:00:00.000Z',
        limit: 5,
        ...(after ? { after } : {}),
      });
      seen.push(...page.addresses);
      after = page.next;
      pages++;
    } while (after);
    expect(seen.sort()).toEqual([...addresses].sort());
    expect(pages).toBeGreaterThanOrEqual(5);
  });
});
