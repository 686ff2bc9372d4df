import { describe, expect, it } from 'vitest';
import { ErrorName } from '../../../functions/domain/errors.ts';
import type { Mailbox } from '../../../functions/domain/mailbox.ts';
import { BYTES_PER_GB } from '../../../functions/domain/renewal-plan.ts';
import { RenewalRequestSchema } from '../../../functions/domain/schemas.ts';
import { provisionMailbox } from '../../../functions/use-cases/order-fulfilment.ts';
import { placeAutoRenewal, placeRenewal } from '../../../functions/use-cases/renewals.ts';
import {
  InMemoryMailboxRepository,
  InMemoryMailPlatform,
  InMemoryOrderRepository,
  RecordingAuditLog,
  RecordingWorkflow,
} from '../../support/fakes.ts';
import { savedCard, storedMailbox, storedOrder } from '../../support/fixtures.ts';

/* Renewals that change the plan, buy extra GB or name their billing, against the in-memory ports. */

const now = new Date('2025-03-15T09:30:00.000Z');
let counter = 0;

function world(mailbox: Mailbox) {
  return {
    orders: new InMemoryOrderRepository(),
    mailboxes: new InMemoryMailboxRepository().seed(mailbox),
    workflow: new RecordingWorkflow(),
    platform: new InMemoryMailPlatform(),
    paymentWaitSeconds: 5 * 24 * 3600,
  };
}

const box = (overrides: Partial<Mailbox> = {}) =>
  storedMailbox('storefront-1', new Date('2024-03-15T09:30:00Z'), overrides);
const context = () => ({
  now,
  storefrontId: 'storefront-1',
  randomBytes: new Uint8Array([9, 8, 7, 6, 5, 4, 3, counter++]),
});
const ask = (fields: Record<string, unknown>) =>
  RenewalRequestSchema.parse({ years: 1, payment: { method: 'bank_transfer' }, ...fields });

describe('placeRenewal with a plan change, extra GB or billing', () => {
  it('an upgrade is priced and stored as the plan of the new period; the mailbox keeps its plan until the extension', async () => {
    const mailbox = box({ type: 'standard' });
    const deps = world(mailbox);

    const { order } = await placeRenewal(deps, mailbox.address, ask({ type: 'pro', years: 2 }), context());

    expect(order).toMatchObject({
      kind: 'renewal',
      mailbox: { type: 'pro' },
      years: 2,
      totals: { netCents: 5000, vatCents: 1100, grossCents: 6100 },
    });
    expect(order.extraGb).toBeUndefined();
    expect((await deps.mailboxes.get(mailbox.address))?.type).toBe('standard');
  });

  it('prices the extra GB per GB and per year, and shows them on the order', async () => {
    const mailbox = box({ type: 'premium' });
    const deps = world(mailbox);

    const { order } = await placeRenewal(
      deps,
      mailbox.address,
      ask({ years: 3, extraGb: { mailbox: 2, archive: 10 } }),
      context(),
    );

    // (4000 + 2 × 100 + 10 × 50) × 3 = 14100 net.
    expect(order.totals).toEqual({ netCents: 14100, vatCents: 3102, grossCents: 17202 });
    expect(order.extraGb).toEqual({ mailbox: 2, archive: 10 });
    expect((await deps.orders.get(order.orderId))?.extraGb).toEqual({ mailbox: 2, archive: 10 });
  });

  it("keeps the mailbox's extra GB when the renewal names none", async () => {
    const mailbox = box({ type: 'pro', extraGb: { mailbox: 1, archive: 2 } });
    const deps = world(mailbox);

    const { order } = await placeRenewal(deps, mailbox.address, ask({}), context());

    expect(order.extraGb).toEqual({ mailbox: 1, archive: 2 });
    expect(order.totals.netCents).toBe(2500 + 100 + 2 * 50);
  });

  it('refuses extra archive GB on a Standard mailbox with 409 naming extraGb.archive, storing nothing', async () => {
    const mailbox = box({ type: 'standard' });
    const deps = world(mailbox);

    await expect(
      placeRenewal(deps, mailbox.address, ask({ extraGb: { archive: 1 } }), context()),
    ).rejects.toMatchObject({
      name: ErrorName.ConflictError,
      code: 'archive_not_available',
      errors: [expect.objectContaining({ path: 'extraGb.archive' })],
    });
    expect(deps.orders.orders.size).toBe(0);
    expect(deps.workflow.started).toEqual([]);
  });

  it("refuses another plan for PEC on the holder's own domain", async () => {
    const mailbox = box({ type: 'standard', domainPec: true, address: 'info@rossi-srl.it' });
    const deps = world(mailbox);

    await expect(placeRenewal(deps, mailbox.address, ask({ type: 'pro' }), context())).rejects.toMatchObject({
      code: 'plan_not_available',
      errors: [expect.objectContaining({ path: 'type' })],
    });
  });

  it('refuses a downgrade whose space in use does not fit, naming why, and takes it once it fits', async () => {
    const mailbox = box({ type: 'pro' });
    const deps = world(mailbox);
    deps.platform.inUse.set(mailbox.address, { mailboxBytes: 0, archiveBytes: BYTES_PER_GB });

    await expect(placeRenewal(deps, mailbox.address, ask({ type: 'standard' }), context())).rejects.toMatchObject({
      name: ErrorName.ConflictError,
      code: 'archive_in_use',
      errors: [expect.objectContaining({ path: 'type' })],
    });
    deps.platform.inUse.set(mailbox.address, { mailboxBytes: 1.5 * BYTES_PER_GB, archiveBytes: 0 });
    await expect(placeRenewal(deps, mailbox.address, ask({ type: 'standard' }), context())).rejects.toMatchObject({
      code: 'space_in_use_exceeds_plan',
    });
    expect(deps.orders.orders.size).toBe(0);

    deps.platform.inUse.set(mailbox.address, { mailboxBytes: 0.5 * BYTES_PER_GB, archiveBytes: 0 });
    const { order } = await placeRenewal(deps, mailbox.address, ask({ type: 'standard' }), context());
    expect(order).toMatchObject({ mailbox: { type: 'standard' }, totals: { netCents: 500 } });
  });

  it('reads the space in use only when the new period has less room', async () => {
    const mailbox = box({ type: 'standard' });
    const deps = world(mailbox);
    let reads = 0;
    const platform = {
      usage: (address: string) => {
        reads++;
        return deps.platform.usage(address);
      },
    };

    await placeRenewal({ ...deps, platform }, mailbox.address, ask({ type: 'premium' }), context());
    await placeRenewal({ ...deps, platform }, mailbox.address, ask({}), context());

    expect(reads).toBe(0);
  });

  it("carries the mailbox's billing identifier, or the one the renewal names", async () => {
    const mailbox = box({ billing: { recipientCode: 'ABC1234' } });
    const deps = world(mailbox);

    const byDefault = await placeRenewal(deps, mailbox.address, ask({}), context());
    const named = await placeRenewal(
      deps,
      mailbox.address,
      ask({ billing: { pecAddress: 'fatture@pec.it' } }),
      context(),
    );

    expect((await deps.orders.get(byDefault.order.orderId))?.billing).toEqual({ recipientCode: 'ABC1234' });
    expect((await deps.orders.get(named.order.orderId))?.billing).toEqual({ pecAddress: 'fatture@pec.it' });
    // A renewal's own identifier is for that renewal: the mailbox keeps its first order's.
    expect((await deps.mailboxes.get(mailbox.address))?.billing).toEqual({ recipientCode: 'ABC1234' });
  });
});

describe('placeAutoRenewal', () => {
  it("renews the same plan with the same extra GB, invoiced to the mailbox's billing identifier", async () => {
    const mailbox = box({
      type: 'pro',
      autoRenew: true,
      renewalPayment: savedCard,
      extraGb: { mailbox: 3, archive: 0 },
      billing: { recipientCode: 'ABC1234' },
    });
    const deps = world(mailbox);

    const { orderId } = await placeAutoRenewal(deps, mailbox, now);

    const order = await deps.orders.get(orderId);
    expect(order).toMatchObject({
      mailbox: { type: 'pro' },
      extraGb: { mailbox: 3, archive: 0 },
      billing: { recipientCode: 'ABC1234' },
    });
    expect(order?.totals.netCents).toBe((2500 + 300) * (order?.years ?? 0));
  });
});

describe('provisionMailbox', () => {
  it("keeps the order's billing identifier on the mailbox it activates", async () => {
    const order = storedOrder(
      { status: 'activating', paidAt: now.toISOString(), billing: { pecAddress: 'fatture@pec.it' } },
      now,
    );
    const mailboxes = new InMemoryMailboxRepository().seed(
      box({ address: order.mailbox.address, status: 'reserved', orderId: order.orderId }),
    );
    const deps = {
      orders: new InMemoryOrderRepository().seed(order),
      mailboxes,
      platform: new InMemoryMailPlatform(),
      audit: new RecordingAuditLog(),
    };

    await provisionMailbox(deps, order.orderId, now);

    expect(await mailboxes.get(order.mailbox.address)).toMatchObject({
      status: 'active',
      billing: { pecAddress: 'fatture@pec.it' },
    });
  });
});
