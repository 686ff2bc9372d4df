import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamoOrderRepository, orderKey } from '../../functions/adapters/dynamodb/order-repository.ts';
import { intakeOrderId } from '../../functions/use-cases/order-intake.ts';
import { localApiKeyId } from '../../local/http-gateway.ts';
import { ApiClient, tokenFrom } from '../support/client.ts';
import { freshAddress, orderBody } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';
import { deliver, paymentEvent } from '../support/webhooks.ts';

/*
 * The operator routes (`/operator/*`) over HTTP, as an operator uses them locally: with the operator
 * key (`ok_local_ops`; IAM's SigV4 in AWS), refused without it (401) and with a storefront's key
 * (403). Each action is found in the order's audit trail with who did it (`local-operator`).
 */

// Faults can be injected (a step that keeps failing, for the redrive); retries wait milliseconds.
const local = withLocalRuntime({ faults: true, retryIntervalMs: 5 });
const operator = () => new ApiClient(local.runtime.url, 'ok_local_ops');
const storefront = () => local.api;

const OPERATOR_ROUTES: [string, string, unknown?][] = [
  ['GET', '/operator/orders?attention=true'],
  ['GET', '/operator/anomalies?day=2026-11-22'],
  ['POST', '/operator/orders/7GQ2M3XK9P1A/refund-done', { reference: 'TRN-1' }],
  ['POST', '/operator/orders/7GQ2M3XK9P1A/redrive'],
  ['POST', '/operator/orders/7GQ2M3XK9P1A/resend-emails'],
];

/** The order's audit entries of an operator action, parsed. */
const operatorEntries = (orderId: string, action: string) =>
  [...local.runtime.auditObjects()]
    .filter(([key]) => key.startsWith(`orders/${orderId}/operator-${action}/`))
    .map(([, body]) => JSON.parse(body));

const table = () => {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: local.runtime.dynamoDb.endpoint,
      region: 'eu-south-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }),
  );
  return { client, tableName: local.runtime.dynamoDb.tableName };
};

async function cardOrder() {
  const created = await storefront().post('/orders', orderBody({ address: freshAddress() }));
  expect(created.status).toBe(201);
  return created.json.orderId as string;
}

/** A transfer order cancelled by its storefront, its closing finished. */
async function cancelledTransferOrder() {
  const created = await storefront().post('/orders', orderBody({ payment: { method: 'bank_transfer' } }));
  const orderId: string = created.json.orderId;
  await local.runtime.outbox.waitFor((m) => m.text.includes(orderId) && m.subject.includes('pagamento'), 10_000);
  expect((await storefront().post(`/orders/${orderId}/cancel`, undefined)).status).toBe(200);
  await runsEnded(orderId);
  return { orderId, grossCents: created.json.totals.grossCents as number };
}

const runsOf = (orderId: string) =>
  local.runtime.stepFunctions.executions().filter((e) => e.name === orderId || e.name.startsWith(`${orderId}-`));

async function runsEnded(orderId: string) {
  for (let i = 0; i < 3000 && runsOf(orderId).some((e) => e.status === 'RUNNING'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return runsOf(orderId);
}

describe('operator routes: who may call them', () => {
  it.each(OPERATOR_ROUTES)('%s %s: 401 without a key, 403 with a storefront key', async (method, path, body) => {
    const withoutKey = await storefront().request(method, path, { body, apiKey: null });
    expect(withoutKey.status).toBe(401);
    expect(withoutKey.headers.get('content-type')).toBe('application/problem+json');
    const asStorefront = await storefront().request(method, path, { body });
    expect(asStorefront.status).toBe(403);
    expect(asStorefront.json.code).toBe('forbidden');
    const wrongKey = await storefront().request(method, path, { body, apiKey: 'ok_guessed' });
    expect(wrongKey.status).toBe(401);
  });

  it('the operator key opens no storefront route', async () => {
    expect((await operator().get('/orders')).status).toBe(401);
  });
});

describe('GET /operator/orders?attention=true and POST .../refund-done', () => {
  it('lists an order with a refund to make by hand, marks it refunded once (same reference: 200 again), then no more', async () => {
    const { orderId } = await cancelledTransferOrder();
    // The money turns out to have been taken after all (as the closing records a charge found late).
    const recordedAt = new Date().toISOString();
    const recorded = await dynamoOrderRepository(table()).recordRefund(orderId, {
      status: 'required',
      chargeId: 'evt_late_credit',
      amountCents: 610,
      currency: 'EUR',
      reason: 'order cancelled: credit found late',
      recordedAt,
    });
    expect(recorded).toBe(true);

    const listed = await operator().get('/operator/orders?attention=true&limit=100');
    expect(listed.status).toBe(200);
    const item = listed.json.items.find((candidate: { orderId: string }) => candidate.orderId === orderId);
    expect(item).toMatchObject({
      orderId,
      status: 'cancelled',
      reason: 'refund_required',
      since: recordedAt,
      payment: { method: 'bank_transfer', status: 'refund_required' },
      refund: { status: 'required', amountCents: 610 },
    });
    // Operators see no holder data.
    expect(JSON.stringify(listed.json)).not.toContain('RSSMRA');

    const done = await operator().post(`/operator/orders/${orderId}/refund-done`, { reference: 'TRN-2026-001' });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({
      orderId,
      payment: { status: 'refunded' },
      refund: { status: 'refunded', refundId: 'TRN-2026-001', refundedBy: 'local-operator' },
    });
    const again = await operator().post(`/operator/orders/${orderId}/refund-done`, { reference: 'TRN-2026-001' });
    expect(again.status).toBe(200);
    const other = await operator().post(`/operator/orders/${orderId}/refund-done`, { reference: 'TRN-OTHER' });
    expect(other.status).toBe(409);
    expect(other.json.code).toBe('refund_not_required');

    const after = await operator().get('/operator/orders?attention=true&limit=100');
    expect(after.json.items.map((candidate: { orderId: string }) => candidate.orderId)).not.toContain(orderId);
    const entries = operatorEntries(orderId, 'refund-done');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      event: 'operator-refund-done',
      detail: { by: 'local-operator', reference: 'TRN-2026-001' },
    });
  });

  it('refuses a refund-done for an order with no refund to make (409), an unknown order (404), no reference (400)', async () => {
    const orderId = await cardOrder();
    await storefront().waitForOrder(orderId, (order) => order.status === 'completed');
    const refused = await operator().post(`/operator/orders/${orderId}/refund-done`, { reference: 'TRN-3' });
    expect(refused.status).toBe(409);
    expect((await operator().post('/operator/orders/7GQ2M3XK9P1A/refund-done', { reference: 'x' })).status).toBe(404);
    const missing = await operator().post(`/operator/orders/${orderId}/refund-done`, {});
    expect(missing.status).toBe(400);
    expect(missing.json.errors[0].path).toBe('reference');
  });

  it('pages with an opaque cursor, and refuses attention without true (400 naming attention) or a forged cursor', async () => {
    const page = await operator().get('/operator/orders?attention=true&limit=1');
    expect(page.status).toBe(200);
    if (page.json.nextCursor) {
      const next = await operator().get(`/operator/orders?attention=true&limit=1&cursor=${page.json.nextCursor}`);
      expect(next.status).toBe(200);
    }
    const noFilter = await operator().get('/operator/orders');
    expect(noFilter.status).toBe(400);
    expect(noFilter.json.errors[0].path).toBe('attention');
    const forged = await operator().get('/operator/orders?attention=true&cursor=bm90LWEtY3Vyc29y');
    expect(forged.status).toBe(400);
    expect(forged.json.errors[0].path).toBe('cursor');
  });
});

describe('GET /operator/anomalies?day=', () => {
  it("lists the day's payment anomalies: a credit for a cancelled order, money to give back", async () => {
    const { orderId, grossCents } = await cancelledTransferOrder();
    const event = paymentEvent(orderId, grossCents);
    expect((await deliver(storefront(), event)).status).toBe(200);

    const today = new Date().toISOString().slice(0, 10);
    const listed = await operator().get(`/operator/anomalies?day=${today}&limit=100`);
    expect(listed.status).toBe(200);
    expect(listed.json.day).toBe(today);
    expect(listed.json.items).toContainEqual(
      expect.objectContaining({ eventId: event.id, orderId, amountCents: grossCents, action: 'refund-required' }),
    );
    const otherDay = await operator().get('/operator/anomalies?day=2001-01-01');
    expect(otherDay.json.items).toEqual([]);
  });

  it.each(['2026-13-01', '2026-02-30', 'yesterday', ''])('refuses day=%s with 400 naming day', async (day) => {
    const refused = await operator().get(`/operator/anomalies?day=${day}`);
    expect(refused.status).toBe(400);
    expect(refused.json.errors.map((error: { path: string }) => error.path)).toContain('day');
  });
});

describe('POST /operator/orders/{orderId}/redrive', () => {
  it('continues an execution that failed in CompleteOrder once the cause is gone; the order completes and is settled', async () => {
    const address = freshAddress();
    const idempotencyKey = `redrive-${address}`;
    const orderId = intakeOrderId({
      now: new Date(),
      storefrontId: localApiKeyId('sk_local_dev'),
      idempotencyKey,
      randomBytes: new Uint8Array(8),
    });
    // The audit bucket refuses every write of this order's completion.
    const fault = local.runtime.faults?.add({
      service: 's3',
      caller: 'complete-order',
      contains: orderId,
      times: Number.POSITIVE_INFINITY,
    });
    const created = await storefront().post('/orders', orderBody({ address }), {
      headers: { 'Idempotency-Key': idempotencyKey },
    });
    expect(created.json.orderId).toBe(orderId);
    const [failed] = await runsEnded(orderId);
    fault?.remove();
    expect(failed?.status).toBe('FAILED');
    expect(failed?.history.filter((e) => e.type === 'TaskStateEntered').at(-1)?.stateEnteredEventDetails).toMatchObject(
      {
        name: 'CompleteOrder',
      },
    );
    const before = [...local.runtime.auditObjects().keys()].filter(
      (key) => key === `orders/${orderId}/order-completed.json`,
    );
    expect(before).toEqual([]);

    const redriven = await operator().post(`/operator/orders/${orderId}/redrive`, undefined);
    expect(redriven.status).toBe(202);
    expect(redriven.json).toMatchObject({ orderId, execution: orderId });
    const [succeeded] = await runsEnded(orderId);
    expect(succeeded?.status).toBe('SUCCEEDED');
    expect(local.runtime.auditObjects().has(`orders/${orderId}/order-completed.json`)).toBe(true);
    expect(local.runtime.auditObjects().has(`documents/orders/${orderId}.json`)).toBe(true);
    // Settled: out of the attention index.
    const { Item } = await table().client.send(
      new GetCommand({ TableName: table().tableName, Key: orderKey(orderId) }),
    );
    expect(Item?.status).toBe('completed');
    expect(Item).not.toHaveProperty('attentionPk');
    expect(operatorEntries(orderId, 'redrive')[0]).toMatchObject({
      detail: { by: 'local-operator', execution: orderId },
    });

    // Succeeded now: nothing to redrive.
    const again = await operator().post(`/operator/orders/${orderId}/redrive`, undefined);
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('not_redrivable');
  });

  it('refuses an execution that ended as designed (a cancelled order): 409', async () => {
    const { orderId } = await cancelledTransferOrder();
    const refused = await operator().post(`/operator/orders/${orderId}/redrive`, undefined);
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toContain('OrderCancelled');
    expect((await operator().post('/operator/orders/7GQ2M3XK9P1A/redrive', undefined)).status).toBe(404);
  });
});

describe('POST /operator/orders/{orderId}/resend-emails', () => {
  it('sends a completed card order its confirmation and a new first-access link; the old link stops working', async () => {
    const address = freshAddress();
    const created = await storefront().post('/orders', orderBody({ address }));
    const orderId: string = created.json.orderId;
    await storefront().waitForOrder(orderId, (order) => order.status === 'completed');
    const linksTo = async () =>
      (await storefront().outbox()).filter((m) => m.text.includes(address) && m.text.includes('token='));
    const [firstLink] = await linksTo();
    const oldToken = tokenFrom(firstLink?.text ?? '');

    const resent = await operator().post(`/operator/orders/${orderId}/resend-emails`, undefined);
    expect(resent.status).toBe(200);
    expect(resent.json).toEqual({ orderId, sent: ['order_confirmation', 'first_access'] });
    expect(operatorEntries(orderId, 'resend-emails')[0]).toMatchObject({
      detail: { by: 'local-operator', sent: ['order_confirmation', 'first_access'] },
    });
    const links = await linksTo();
    expect(links).toHaveLength(2);
    const newToken = tokenFrom(links[1]?.text ?? '');
    expect(newToken).not.toBe(oldToken);
    const password = 'Sole-Luna-2026!';
    const old = await storefront().post('/password-setup', { token: oldToken, password }, { apiKey: null });
    expect(old.status).toBe(410);
    const fresh = await storefront().post('/password-setup', { token: newToken, password }, { apiKey: null });
    expect(fresh.status).toBe(204);
    // A mailbox with its password has no first-access link to send any more.
    const after = await operator().post(`/operator/orders/${orderId}/resend-emails`, undefined);
    expect(after.json.sent).toEqual(['order_confirmation']);
  });

  it('sends a transfer order waiting for its credit its payment instructions; a cancelled one has nothing (409)', async () => {
    const created = await storefront().post('/orders', orderBody({ payment: { method: 'bank_transfer' } }));
    const orderId: string = created.json.orderId;
    await local.runtime.outbox.waitFor((m) => m.text.includes(orderId) && m.subject.includes('pagamento'), 10_000);
    const resent = await operator().post(`/operator/orders/${orderId}/resend-emails`, undefined);
    expect(resent.json).toEqual({ orderId, sent: ['payment_instructions'] });
    const instructions = (await storefront().outbox()).filter(
      (m) => m.text.includes(orderId) && m.subject.includes('pagamento'),
    );
    expect(instructions).toHaveLength(2);

    expect((await storefront().post(`/orders/${orderId}/cancel`, undefined)).status).toBe(200);
    await runsEnded(orderId);
    const nothing = await operator().post(`/operator/orders/${orderId}/resend-emails`, undefined);
    expect(nothing.status).toBe(409);
    expect(nothing.json.code).toBe('nothing_to_resend');
  });
});
