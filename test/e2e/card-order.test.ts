import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { intakeOrderId } from '../../functions/use-cases/order-intake.ts';
import { localApiKeyId } from '../../local/http-gateway.ts';
import { tokenFrom } from '../support/client.ts';
import { freshAddress, orderBody } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';

const local = withLocalRuntime();

const STRONG_PASSWORD = 'Sole-Luna-2026!';

describe('a card order over HTTP (charged through the Stripe adapter and the Stripe stand-in)', () => {
  it.each([
    ['a card token', { method: 'card', token: 'tok_visa' }, 'tok_visa'],
    ['a card PaymentMethod', { method: 'card', paymentMethod: 'pm_card_visa' }, 'pm_card_visa'],
  ])('%s: completes, activates the mailbox and sends the first-access email', async (_label, payment, credential) => {
    const address = freshAddress('arubapec.it');
    const created = await local.api.post('/orders', orderBody({ address, years: 2, payment }));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      kind: 'new',
      status: 'pending_payment',
      mailbox: { address, type: 'standard', domainPec: false },
      years: 2,
      totals: { netCents: 1000, vatCents: 220, grossCents: 1220 },
      payment: { method: payment.method, status: 'pending' },
      paidAt: null,
      completedAt: null,
    });

    const order = await local.api.waitForOrder(created.json.orderId, (o) => o.status === 'completed');
    expect(order.payment.status).toBe('paid');
    expect(order.paidAt).toEqual(expect.any(String));
    expect(order.completedAt).toEqual(expect.any(String));

    const mailbox = await local.api.get(`/mailboxes/${encodeURIComponent(address)}`);
    expect(mailbox.status).toBe(200);
    expect(mailbox.json).toMatchObject({
      address,
      status: 'active',
      type: 'standard',
      passwordSet: false,
      autoRenew: true,
    });
    const years =
      new Date(mailbox.json.expiresAt).getUTCFullYear() - new Date(mailbox.json.activatedAt).getUTCFullYear();
    expect(years).toBe(2);

    // The order confirmation, then the first-access email.
    const emails = (await local.api.outbox()).filter((m) => m.text.includes(address));
    expect(emails.map((m) => m.subject)).toEqual([
      `Conferma dell'ordine ${order.orderId}: casella PEC ${address}`,
      `La tua casella PEC ${address} è attiva`,
    ]);
    const firstAccess = emails[1];
    expect(firstAccess?.to).toEqual(['mario.rossi@example.com']);
    expect(firstAccess?.html).toContain('token=');
    const token = tokenFrom(firstAccess?.text ?? '');
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);

    const weak = await local.api.post('/password-setup', { token, password: 'password' }, { apiKey: null });
    expect(weak.status).toBe(400);
    expect(weak.headers.get('content-type')).toBe('application/problem+json');
    expect(weak.json.errors.every((e: { path: string }) => e.path === 'password')).toBe(true);

    const set = await local.api.post('/password-setup', { token, password: STRONG_PASSWORD }, { apiKey: null });
    expect(set.status).toBe(204);
    const reused = await local.api.post('/password-setup', { token, password: STRONG_PASSWORD }, { apiKey: null });
    expect(reused.status).toBe(410);
    expect(reused.json.code).toBe('token_gone');

    const after = await local.api.get(`/mailboxes/${encodeURIComponent(address)}`);
    expect(after.json.passwordSet).toBe(true);

    // The audit trail tells the order's story; the completed order is filed, without its payment token.
    const objects = local.runtime.auditObjects();
    const trail = [...objects.keys()].filter((key) => key.startsWith(`orders/${order.orderId}/`));
    for (const event of ['payment-charged', 'mailbox-activated', 'order-completed']) {
      expect(trail).toContain(`orders/${order.orderId}/${event}.json`);
    }
    const document = JSON.parse(objects.get(`documents/orders/${order.orderId}.json`) ?? '{}');
    expect(document).toMatchObject({
      orderId: order.orderId,
      status: 'completed',
      holder: { fiscalCode: 'RSSMRA85T10A562S' },
    });
    expect(JSON.stringify(document)).not.toContain(credential);
    for (const key of trail) expect(objects.get(key)).not.toContain('RSSMRA85T10A562S');
  });

  it('a declined card ends failed, frees the address and tells the holder', async () => {
    const address = freshAddress();
    const created = await local.api.post(
      '/orders',
      orderBody({ address, payment: { method: 'card', token: 'tok_declined_insufficient_funds' } }),
    );
    expect(created.status).toBe(201);
    const order = await local.api.waitForOrder(created.json.orderId, (o) => o.status === 'failed');
    expect(order.payment.status).toBe('failed');
    expect(order.completedAt).toBeNull();

    const availability = await local.api.get(`/availability?address=${encodeURIComponent(address)}`);
    expect(availability.json).toEqual({ address, available: true });
    expect((await local.api.get(`/mailboxes/${encodeURIComponent(address)}`)).status).toBe(404);
    // The order was confirmed as placed, then the decline told (right after the order shows failed).
    await local.runtime.outbox.waitFor((m) => m.text.includes(address) && m.subject.includes('non riuscita'));
    const emails = (await local.api.outbox()).filter((m) => m.text.includes(address));
    expect(emails).toHaveLength(2);
    expect(emails[0]?.subject).toContain("Conferma dell'ordine");
    expect(emails[1]?.subject).toContain('non riuscita');

    // The address can be ordered again.
    const again = await local.api.post('/orders', orderBody({ address }));
    expect(again.status).toBe(201);
    await local.api.waitForOrder(again.json.orderId, (o) => o.status === 'completed');
  });

  it('20 concurrent orders for one address: exactly one 201, nineteen 409', async () => {
    const address = freshAddress('gigapec.it');
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => local.api.post('/orders', orderBody({ address }))),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    for (const refused of responses.filter((r) => r.status === 409)) {
      expect(refused.json).toMatchObject({ status: 409, code: 'address_unavailable' });
    }
    const availability = await local.api.get(`/availability?address=${encodeURIComponent(address)}`);
    expect(availability.json.available).toBe(false);
  });

  it('an Idempotency-Key replays the same order and refuses another body', async () => {
    const body = orderBody();
    const headers = { 'idempotency-key': `key-${Date.now()}` };
    const first = await local.api.post('/orders', body, { headers });
    const second = await local.api.post('/orders', body, { headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.json.orderId).toBe(first.json.orderId);
    const other = await local.api.post('/orders', orderBody(), { headers });
    expect(other.status).toBe(422);
    expect(other.json.code).toBe('idempotency_key_reused');
  });
});

describe('an order whose execution name was already used', () => {
  it('runs under the next name and completes, when the run with its name has ended', async () => {
    const idempotencyKey = `key-taken-${Date.now()}`;
    // The id the order will get: derived from the storefront key's id and the Idempotency-Key.
    const orderId = intakeOrderId({
      now: new Date(),
      storefrontId: localApiKeyId('sk_local_dev'),
      idempotencyKey,
      randomBytes: new Uint8Array(8),
    });
    const { stepFunctions, stateMachineArn } = local.runtime;
    const sfn = new SFNClient({
      endpoint: stepFunctions.endpoint,
      region: stateMachineArn.split(':')[3],
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    // A run under the order's name that ended (here: for an order that did not exist yet).
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: orderId,
        input: JSON.stringify({ orderId, payment: { method: 'card' }, paymentWaitSeconds: 60 }),
      }),
    );
    for (;;) {
      const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (status !== 'RUNNING') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const created = await local.api.post('/orders', orderBody(), { headers: { 'idempotency-key': idempotencyKey } });
    expect(created.status).toBe(201);
    expect(created.json.orderId).toBe(orderId);
    await local.api.waitForOrder(orderId, (o) => o.status === 'completed');
    // The order is marked completed by the workflow's last task; the run ends right after it.
    while (stepFunctions.executions().some((e) => e.name === `${orderId}-2` && e.status === 'RUNNING')) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const runs = stepFunctions
      .executions()
      .filter((e) => e.name === orderId || e.name.startsWith(`${orderId}-`))
      .map((e) => [e.name, e.status]);
    expect(runs).toEqual([
      [orderId, 'FAILED'],
      [`${orderId}-2`, 'SUCCEEDED'],
    ]);
  });
});

describe('refusals over HTTP', () => {
  it('needs the storefront API key', async () => {
    const missing = await local.api.get('/catalog', { apiKey: null });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect((await local.api.get('/catalog', { apiKey: 'sk_wrong' })).status).toBe(401);
    expect((await local.api.get('/catalog')).status).toBe(200);
  });

  it('malformed JSON is a 400 problem about the body', async () => {
    const response = await local.api.request('POST', '/orders', {
      rawBody: '{"mailbox":',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ status: 400, code: 'validation_failed', errors: [{ path: '(body)' }] });
  });

  it('an invalid body names every failing field', async () => {
    const body = orderBody();
    const response = await local.api.post('/orders', {
      ...body,
      years: 9,
      mailbox: { address: 'Not An Address@pec.it', type: 'gold' },
      holder: {
        ...body.holder,
        fiscalCode: 'RSSMRA85T10A562X',
        vatNumber: '12345678901',
        residence: { ...body.holder.residence, postalCode: '5210', province: 'XX' },
      },
      billing: { recipientCode: '12' },
    });
    expect(response.status).toBe(400);
    const paths = response.json.errors.map((e: { path: string }) => e.path);
    for (const path of [
      'years',
      'mailbox.address',
      'mailbox.type',
      'holder.fiscalCode',
      'holder.vatNumber',
      'holder.residence.postalCode',
      'holder.residence.province',
      'billing.recipientCode',
    ]) {
      expect(paths).toContain(path);
    }
  });

  it.each([
    ['an empty body', undefined],
    ['a JSON array', '[]'],
    ['a string', '"order"'],
    ['null', 'null'],
  ])('%s is a 400, never a 5xx', async (_label, rawBody) => {
    const response = await local.api.request('POST', '/orders', {
      rawBody,
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    expect(response.json.code).toBe('validation_failed');
  });

  it('a domain outside the catalog is refused, and availability validates the address', async () => {
    const response = await local.api.post('/orders', orderBody({ address: 'mario@gmail.com' }));
    expect(response.status).toBe(400);
    expect(response.json.errors.map((e: { path: string }) => e.path)).toContain('mailbox.address');
    const availability = await local.api.get('/availability?address=nope');
    expect(availability.status).toBe(400);
    expect(availability.json.errors[0].path).toBe('address');
  });

  it('unknown orders, mailboxes and tokens are 404', async () => {
    expect((await local.api.get('/orders/ZZZZZZZZZZZZ')).status).toBe(404);
    expect((await local.api.get('/mailboxes/nobody%40pec.it')).status).toBe(404);
    const token = await local.api.post(
      '/password-setup',
      { token: 'x'.repeat(43), password: STRONG_PASSWORD },
      { apiKey: null },
    );
    expect(token.status).toBe(404);
  });

  it('serves the catalog and the OpenAPI document', async () => {
    const catalog = await local.api.get('/catalog');
    expect(catalog.json.domains).toContain('pec.it');
    expect(catalog.json.plans.map((p: { type: string }) => p.type)).toEqual(['standard', 'pro', 'premium']);
    const openapi = await local.api.get('/openapi.json', { apiKey: null });
    expect(openapi.status).toBe(200);
    expect(openapi.json.openapi).toMatch(/^3\.1/);
    expect(Object.keys(openapi.json.paths)).toContain('/orders');
  });
});
