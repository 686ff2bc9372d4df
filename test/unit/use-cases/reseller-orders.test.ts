import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { InsufficientCreditError, ResellerOnlyError } from '../../../functions/domain/errors.ts';
import type { Reseller } from '../../../functions/domain/reseller-credit.ts';
import {
  CreateOrderRequestSchema,
  ResellerOrderRequestSchema,
  ResellerRenewalRequestSchema,
} from '../../../functions/domain/schemas.ts';
import {
  closeOrder,
  completeOrder,
  provisionMailbox,
  sendFirstAccessEmail,
} from '../../../functions/use-cases/order-fulfilment.ts';
import { fingerprint } from '../../../functions/use-cases/order-intake.ts';
import { getOrder } from '../../../functions/use-cases/queries.ts';
import { resellerCredit, updateResellerSettings } from '../../../functions/use-cases/reseller-credit.ts';
import { placeResellerOrder, placeResellerRenewal } from '../../../functions/use-cases/reseller-orders.ts';
import {
  fakeRenewalLink,
  InMemoryAccessTokenRepository,
  InMemoryDns,
  InMemoryMailboxRepository,
  InMemoryMailPlatform,
  InMemoryOrderRepository,
  InMemoryPaymentGateway,
  InMemoryResellerDomainRepository,
  InMemoryResellerRepository,
  InMemoryUploads,
  RecordingAuditLog,
  RecordingDocuments,
  RecordingNotifier,
  RecordingResellerNotifier,
  RecordingWorkflow,
} from '../../support/fakes.ts';
import { freshAddress, orderBody, RESELLER_DOCUMENTS, storedMailbox } from '../../support/fixtures.ts';

/*
 * A reseller's orders against the in-memory ports: the debit with the order and the reservation as one
 * change, 402 with nothing written, the credit-back of a closed order once, the credit's pages.
 */

const now = new Date('2026-11-22T10:00:00.000Z');
const RESELLER = 'reseller-1';

function world(balanceCents = 20_000) {
  const orders = new InMemoryOrderRepository();
  const mailboxes = new InMemoryMailboxRepository();
  const resellers = new InMemoryResellerRepository(orders, mailboxes);
  const reseller: Reseller = {
    resellerId: RESELLER,
    name: 'Rivenditore',
    email: 'r@example.com',
    priceList: 'reseller',
    balanceCents,
    lowBalanceThresholdCents: 0,
    createdAt: now.toISOString(),
  };
  resellers.resellers.set(RESELLER, reseller);
  resellers.ledger.set(
    RESELLER,
    new Map([
      [
        'deposit#opening',
        { movementId: 'deposit#opening', kind: 'deposit', amountCents: balanceCents, at: now.toISOString() },
      ],
    ]),
  );
  const workflow = new RecordingWorkflow();
  const resellerNotifier = new RecordingResellerNotifier();
  const documents = new InMemoryUploads();
  const platform = new InMemoryMailPlatform();
  const deps = {
    uploads: documents,
    documents,
    platform,
    orders,
    mailboxes,
    resellers,
    workflow,
    dns: new InMemoryDns(),
    domains: new InMemoryResellerDomainRepository(resellers),
    paymentWaitSeconds: 3600,
    resellerNotifier,
  };
  return { deps, orders, mailboxes, resellers, workflow, reseller, resellerNotifier, documents, platform };
}

let entropy = 0;
const context = (idempotencyKey?: string) => ({
  now,
  storefrontId: RESELLER,
  randomBytes: new Uint8Array([1, 2, 3, 4, 5, 6, 7, ++entropy]),
  ...(idempotencyKey ? { idempotencyKey } : {}),
});

const DOCUMENTS = RESELLER_DOCUMENTS;

const request = (overrides: Parameters<typeof orderBody>[0] = {}, extra: { initialPassword?: string } = {}) => {
  const { payment: _payment, ...body } = orderBody(overrides);
  return ResellerOrderRequestSchema.parse({ ...body, documents: DOCUMENTS, ...extra });
};

describe('placeResellerOrder', () => {
  it('stores the order paid, its debit and the reservation together, and starts the workflow', async () => {
    const { deps, orders, mailboxes, resellers, workflow, reseller } = world();
    const address = freshAddress();

    const { order } = await placeResellerOrder(deps, reseller, request({ address, type: 'premium' }), context());

    expect(order).toMatchObject({ status: 'activating', payment: { method: 'credit', status: 'paid' } });
    expect(orders.orders.get(order.orderId)?.storefrontId).toBe(RESELLER);
    expect(mailboxes.mailboxes.get(address)).toMatchObject({ status: 'reserved', orderId: order.orderId });
    expect(resellers.resellers.get(RESELLER)?.balanceCents).toBe(20_000 - 2800);
    expect(resellers.ledger.get(RESELLER)?.get(`debit#${order.orderId}`)?.amountCents).toBe(2800);
    expect(workflow.started).toEqual([
      { orderId: order.orderId, input: expect.objectContaining({ payment: { method: 'credit' } }) },
    ]);
  });

  it('refuses with insufficient_credit when the credit is short: nothing reserved, nothing debited, no workflow', async () => {
    const { deps, orders, mailboxes, resellers, workflow, reseller } = world(2799);
    const address = freshAddress();

    const refused = placeResellerOrder(deps, reseller, request({ address, type: 'premium' }), context());

    await expect(refused).rejects.toBeInstanceOf(InsufficientCreditError);
    await expect(refused).rejects.toMatchObject({ code: 'insufficient_credit', neededCents: 2800, balanceCents: 2799 });
    expect(mailboxes.mailboxes.size).toBe(0);
    expect(orders.orders.size).toBe(0);
    expect(resellers.resellers.get(RESELLER)?.balanceCents).toBe(2799);
    expect(resellers.ledger.get(RESELLER)?.size).toBe(1);
    expect(workflow.started).toEqual([]);
  });

  it('debits nothing for an address that is taken', async () => {
    const { deps, resellers, reseller } = world();
    const address = freshAddress();
    await placeResellerOrder(deps, reseller, request({ address }), context());

    await expect(placeResellerOrder(deps, reseller, request({ address }), context())).rejects.toMatchObject({
      code: 'address_unavailable',
    });
    expect(resellers.resellers.get(RESELLER)?.balanceCents).toBe(20_000 - 350);
  });

  it('debits a replayed Idempotency-Key once', async () => {
    const { deps, resellers, reseller } = world();
    const body = request();
    const first = await placeResellerOrder(deps, reseller, body, context('key-1'));
    const again = await placeResellerOrder(deps, reseller, body, context('key-1'));

    expect(again).toMatchObject({ order: { orderId: first.order.orderId }, replayed: true });
    expect(resellers.resellers.get(RESELLER)?.balanceCents).toBe(20_000 - 350);
  });
});

describe('the low-balance email', () => {
  it('goes out once per crossing of the threshold, again after the balance is back above it', async () => {
    const { deps, orders, mailboxes, resellers, reseller, resellerNotifier } = world(1000);
    await updateResellerSettings(resellers, RESELLER, { lowBalanceThresholdCents: 500 });

    await placeResellerOrder(deps, reseller, request(), context()); // 650: above
    expect(resellerNotifier.lowBalances).toEqual([]);
    const { order } = await placeResellerOrder(deps, reseller, request(), context()); // 300: crossed
    await placeResellerOrder(deps, reseller, request({ type: 'standard' }), context()).catch(() => undefined); // 300 < 350: refused
    expect(resellerNotifier.lowBalances).toEqual([
      { to: 'r@example.com', name: 'Rivenditore', balanceCents: 300, thresholdCents: 500 },
    ]);

    // The failed order's debit comes back (650): the next crossing is told again.
    const closing = {
      orders,
      mailboxes,
      resellers,
      gateway: new InMemoryPaymentGateway(),
      notifier: new RecordingNotifier(),
      audit: new RecordingAuditLog(),
      renewalLink: fakeRenewalLink,
    };
    await closeOrder(closing, order.orderId, 'failed', 'ProvisioningImpossibleError', now);
    await placeResellerOrder(deps, reseller, request(), context()); // 300 again
    expect(resellerNotifier.lowBalances.map((email) => email.balanceCents)).toEqual([300, 300]);
  });

  it('is tried again at the next debit when it could not be sent; the order is placed all the same', async () => {
    const { deps, resellers, reseller, resellerNotifier } = world(1000);
    await updateResellerSettings(resellers, RESELLER, { lowBalanceThresholdCents: 900 });
    const failing = { ...deps, resellerNotifier: { lowBalance: () => Promise.reject(new Error('SES down')) } };

    const placed = await placeResellerOrder(failing, reseller, request(), context());
    expect(placed.order.status).toBe('activating');
    await placeResellerOrder(deps, reseller, request(), context());
    expect(resellerNotifier.lowBalances.map((email) => email.balanceCents)).toEqual([300]);
  });
});

describe('placeResellerRenewal', () => {
  it("debits a renewal of the reseller's own mailbox; another's is not found", async () => {
    const { deps, mailboxes, resellers, reseller } = world();
    const mailbox = storedMailbox(RESELLER, now, { status: 'active', expiresAt: '2027-11-22T10:00:00.000Z' });
    const other = storedMailbox('storefront-2', now, { status: 'active', expiresAt: '2027-11-22T10:00:00.000Z' });
    mailboxes.seed(mailbox, other);
    const body = ResellerRenewalRequestSchema.parse({ years: 2 });

    const { order } = await placeResellerRenewal(deps, reseller, mailbox.address, body, context());

    expect(order).toMatchObject({ kind: 'renewal', payment: { method: 'credit', status: 'paid' } });
    expect(resellers.resellers.get(RESELLER)?.balanceCents).toBe(20_000 - 700);
    await expect(placeResellerRenewal(deps, reseller, other.address, body, context())).rejects.toMatchObject({
      code: 'mailbox_not_found',
    });
  });
});

describe('closing a reseller order', () => {
  it('credits the debit back exactly once, however often the closing runs', async () => {
    const { deps, orders, mailboxes, resellers, reseller } = world();
    const address = freshAddress();
    const { order } = await placeResellerOrder(deps, reseller, request({ address }), context());
    const notifier = new RecordingNotifier();
    const closing = {
      orders,
      mailboxes,
      resellers,
      gateway: new InMemoryPaymentGateway(),
      notifier,
      audit: new RecordingAuditLog(),
      renewalLink: fakeRenewalLink,
    };

    for (let attempt = 0; attempt < 3; attempt++) {
      await closeOrder(closing, order.orderId, 'failed', 'ProvisioningImpossibleError', now);
    }

    expect(orders.orders.get(order.orderId)?.payment.status).toBe('refunded');
    expect(resellers.resellers.get(RESELLER)?.balanceCents).toBe(20_000);
    expect([...(resellers.ledger.get(RESELLER)?.keys() ?? [])].sort()).toEqual([
      `credit_back#${order.orderId}`,
      `debit#${order.orderId}`,
      'deposit#opening',
    ]);
    expect(mailboxes.mailboxes.has(address)).toBe(false);
    // The holder paid nothing: the email does not promise a refund.
    expect(notifier.of('orderFailed')).toEqual([expect.not.objectContaining({ refundCents: expect.anything() })]);
  });

  it('refuses to close a credit order without the ledger rather than lose the credit', async () => {
    const { deps, orders, mailboxes, reseller } = world();
    const { order } = await placeResellerOrder(deps, reseller, request(), context());
    const closing = {
      orders,
      mailboxes,
      gateway: new InMemoryPaymentGateway(),
      notifier: new RecordingNotifier(),
      audit: new RecordingAuditLog(),
      renewalLink: fakeRenewalLink,
    };
    await expect(closeOrder(closing, order.orderId, 'failed', 'ProvisioningImpossibleError', now)).rejects.toThrow();
  });
});

describe('GET /reseller/credit and PUT /reseller/settings', () => {
  it('pages the movements newest first with a cursor only this reseller can use', async () => {
    const { deps, resellers, reseller } = world();
    for (let i = 0; i < 3; i++) {
      await placeResellerOrder(deps, reseller, request(), {
        ...context(),
        now: new Date(now.getTime() + (i + 1) * 1000),
      });
    }
    const first = await resellerCredit(resellers, RESELLER, { limit: 2 });
    expect(first.balanceCents).toBe(20_000 - 3 * 350);
    expect(first.movements.map((m) => m.kind)).toEqual(['debit', 'debit']);
    const second = await resellerCredit(resellers, RESELLER, { limit: 2, cursor: first.nextCursor ?? '' });
    expect(second.movements.map((m) => m.kind)).toEqual(['debit', 'deposit']);
    expect(second.nextCursor).toBeNull();
    await expect(
      resellerCredit(resellers, 'reseller-2', { limit: 2, cursor: first.nextCursor ?? '' }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('answers reseller_only to a storefront, and keeps a threshold', async () => {
    const { resellers } = world();
    await expect(resellerCredit(resellers, 'storefront-1', { limit: 20 })).rejects.toBeInstanceOf(ResellerOnlyError);
    await expect(
      updateResellerSettings(resellers, 'storefront-1', { lowBalanceThresholdCents: 5 }),
    ).rejects.toBeInstanceOf(ResellerOnlyError);
    expect(await updateResellerSettings(resellers, RESELLER, { lowBalanceThresholdCents: 5000 })).toEqual({
      balanceCents: 20_000,
      lowBalanceThresholdCents: 5000,
    });
  });
});

describe("a reseller order's documents", () => {
  it('are expected under documents/orders/<orderId>/, with an upload form each; the order shows which arrived', async () => {
    const { deps, orders, documents, reseller } = world();
    const body = request();

    const { order } = await placeResellerOrder(deps, reseller, body, context('docs-1'));

    const signedKey = `documents/orders/${order.orderId}/signed-contract`;
    const identityKey = `documents/orders/${order.orderId}/identity-document`;
    expect(orders.orders.get(order.orderId)?.documents).toEqual({
      signedContract: { key: signedKey, contentType: 'application/pdf' },
      identityDocument: { key: identityKey, contentType: 'image/jpeg' },
    });
    expect(order.documents).toEqual({
      signedContract: {
        contentType: 'application/pdf',
        received: false,
        upload: {
          url: expect.any(String),
          fields: expect.objectContaining({ key: signedKey }),
          maxBytes: 10 * 1024 * 1024,
          expiresAt: '2026-11-22T11:00:00.000Z',
        },
      },
      identityDocument: expect.objectContaining({ received: false, upload: expect.anything() }),
    });
    expect(documents.forms.map((form) => [form.key, form.contentType, form.expiresSeconds])).toEqual([
      [signedKey, 'application/pdf', 3600],
      [identityKey, 'image/jpeg', 3600],
    ]);

    documents.uploaded.add(signedKey);
    const read = await getOrder(orders, order.orderId, RESELLER, documents);
    expect(read.documents).toEqual({
      signedContract: { contentType: 'application/pdf', received: true },
      identityDocument: { contentType: 'image/jpeg', received: false },
    });
    // A replay gives a new form for the document still missing only.
    const again = await placeResellerOrder(deps, reseller, body, context('docs-1'));
    expect(again.replayed).toBe(true);
    expect(again.order.documents?.signedContract).toEqual({ contentType: 'application/pdf', received: true });
    expect(again.order.documents?.identityDocument.upload?.fields.key).toBe(identityKey);
  });

  it('are required from a reseller, refused from a storefront, each naming its field', () => {
    const { payment: _payment, ...body } = orderBody();
    expect(ResellerOrderRequestSchema.safeParse(body).error?.issues.map((issue) => issue.path.join('.'))).toEqual([
      'documents',
    ]);
    const wrongType = { ...body, documents: { ...DOCUMENTS, identityDocument: { contentType: 'text/html' } } };
    expect(problemPaths(ResellerOrderRequestSchema, wrongType)).toEqual(['documents.identityDocument.contentType']);
    expect(
      problemPaths(CreateOrderRequestSchema, {
        ...orderBody(),
        documents: DOCUMENTS,
        initialPassword: 'Xy7!long-enough',
      }),
    ).toEqual(['documents', 'initialPassword']);
  });
});

describe("a reseller's initial password", () => {
  const GOOD = 'Tr3no-Lento!2026';

  it('is checked by the password policy, address rule included, on initialPassword', () => {
    const { payment: _payment, ...body } = orderBody({ address: 'giuseppe.verdi@pec.it' });
    const parse = (initialPassword: string) =>
      ResellerOrderRequestSchema.safeParse({ ...body, documents: DOCUMENTS, initialPassword });

    const weak = parse('short');
    expect(weak.success).toBe(false);
    expect(new Set(weak.error?.issues.map((issue) => issue.path.join('.')))).toEqual(new Set(['initialPassword']));
    expect(weak.error?.issues.map((issue) => issue.message)).toEqual(
      expect.arrayContaining([expect.stringContaining('at least 10 characters')]),
    );
    const withAddress = parse('Verdi-Giuseppe!2026');
    expect(withAddress.error?.issues).toEqual([
      expect.objectContaining({ path: ['initialPassword'], message: expect.stringContaining('"giuseppe"') }),
    ]);
    expect(parse(GOOD).success).toBe(true);
  });

  it('becomes the platform credential at intake: never in the order, the workflow input or the fingerprint', async () => {
    const { deps, orders, workflow, reseller } = world();
    const body = request({}, { initialPassword: GOOD });

    const { order } = await placeResellerOrder(deps, reseller, body, context('pw-1'));

    const stored = orders.orders.get(order.orderId);
    expect(stored?.initialPasswordByReseller).toBe(true);
    expect(JSON.stringify(stored)).not.toContain(GOOD);
    expect(JSON.stringify(order)).not.toContain(GOOD);
    expect(JSON.stringify(workflow.started)).not.toContain(GOOD);
    const { initialPassword: _password, ...rest } = body;
    expect(stored?.requestHash).toBe(fingerprint({ ...rest, initialPassword: true }));
    expect(orders.credentials.get(order.orderId)).toBe(`sealed:${GOOD}`);
  });

  it('activates the mailbox with its password set and sends no first-access email; the credential is forgotten', async () => {
    const { deps, orders, mailboxes, platform, reseller } = world();
    const address = freshAddress();
    const { order } = await placeResellerOrder(
      deps,
      reseller,
      request({ address }, { initialPassword: GOOD }),
      context(),
    );
    const notifier = new RecordingNotifier();
    const fulfilment = {
      orders,
      mailboxes,
      platform,
      notifier,
      tokens: new InMemoryAccessTokenRepository(),
      audit: new RecordingAuditLog(),
      documents: new RecordingDocuments(),
    };

    await provisionMailbox(fulfilment, order.orderId, now);
    await sendFirstAccessEmail(fulfilment, LINKS, order.orderId, now);
    await completeOrder(fulfilment, order.orderId, now);

    expect(platform.accounts.get(address)?.password).toBe(GOOD);
    expect(mailboxes.mailboxes.get(address)).toMatchObject({ status: 'active', passwordSet: true });
    expect(notifier.of('firstAccess')).toEqual([]);
    expect(orders.credentials.has(order.orderId)).toBe(false);
    expect(JSON.stringify(fulfilment.documents.documents.get(order.orderId))).not.toContain(GOOD);
  });

  it('without one, the holder gets the first-access email as for any order', async () => {
    const { deps, orders, mailboxes, platform, reseller } = world();
    const address = freshAddress();
    const { order } = await placeResellerOrder(deps, reseller, request({ address }), context());
    const notifier = new RecordingNotifier();
    const fulfilment = {
      orders,
      mailboxes,
      platform,
      notifier,
      tokens: new InMemoryAccessTokenRepository(),
      audit: new RecordingAuditLog(),
    };

    await provisionMailbox(fulfilment, order.orderId, now);
    await sendFirstAccessEmail(fulfilment, LINKS, order.orderId, now);

    expect(platform.accounts.get(address)?.password).toBeUndefined();
    expect(mailboxes.mailboxes.get(address)).toMatchObject({ status: 'active', passwordSet: false });
    expect(notifier.of('firstAccess')).toEqual([expect.objectContaining({ address })]);
  });

  it('a closed order forgets it, and one that lost it cannot be activated without it', async () => {
    const { deps, orders, mailboxes, platform, reseller } = world();
    const { order } = await placeResellerOrder(deps, reseller, request({}, { initialPassword: GOOD }), context());
    orders.credentials.delete(order.orderId);
    const fulfilment = { orders, mailboxes, platform, audit: new RecordingAuditLog() };
    await expect(provisionMailbox(fulfilment, order.orderId, now)).rejects.toMatchObject({
      name: 'ProvisioningImpossibleError',
    });
    expect(platform.accounts.size).toBe(0);

    const other = await placeResellerOrder(deps, reseller, request({}, { initialPassword: GOOD }), context());
    await orders.close(other.order.orderId, 'failed', 'ProvisioningImpossibleError', now);
    expect(orders.credentials.has(other.order.orderId)).toBe(false);
  });
});

const LINKS = { passwordSetupUrl: 'https://pec.example/password-setup', tokenTtlSeconds: 3600 };

const problemPaths = (schema: z.ZodType, input: unknown) =>
  schema.safeParse(input).error?.issues.map((issue) => issue.path.join('.')) ?? [];
