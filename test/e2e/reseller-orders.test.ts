import { scryptSync, timingSafeEqual } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderKey } from '../../functions/adapters/dynamodb/order-repository.ts';
import type { Table } from '../../functions/adapters/dynamodb/table.ts';
import { platformAccountKey } from '../../functions/adapters/dynamodb-mail-platform.ts';
import { ApiClient } from '../support/client.ts';
import { freshAddress, orderBody } from '../support/fixtures.ts';
import { localRuntimeTable } from '../support/mail-platform-table.ts';
import { withLocalRuntime } from '../support/runtime.ts';

/*
 * A reseller's order as the reseller places it over HTTP: the signed contract and the holder's
 * identity document uploaded through the presigned forms of the answer (to the local S3) and shown
 * received on the order; an initial password chosen by the reseller, checked by the password policy,
 * set on the mailbox instead of a first-access email, and found in no log line, no workflow history,
 * no audit entry and no answer.
 */

const lines: { handler: string; text: string }[] = [];
const local = withLocalRuntime({ logLevel: 'INFO', onLog: (line) => lines.push(line) });
const reseller = () => new ApiClient(local.runtime.url, 'rk_local_reseller');
let table: Table & { close(): void };
beforeAll(() => {
  table = localRuntimeTable(local.runtime.dynamoDb);
});
afterAll(() => table?.close());

const DOCUMENTS = {
  signedContract: { contentType: 'application/pdf' },
  identityDocument: { contentType: 'image/png' },
};
const PASSWORD = 'Rondine-Bianca-4821!';

/** A reseller's order for `address`: the storefront body without payment, with its documents. */
function resellerOrder(address: string, extra: Record<string, unknown> = {}) {
  const { payment: _payment, ...body } = orderBody({ address });
  return { ...body, documents: DOCUMENTS, ...extra };
}

interface Form {
  url: string;
  fields: Record<string, string>;
  maxBytes: number;
}

/** Uploads `bytes` through a presigned POST form, as a browser would: the fields, then the file. */
function upload(form: Form, bytes: Uint8Array<ArrayBuffer>, contentType = form.fields['Content-Type'] ?? '') {
  const data = new FormData();
  for (const [name, value] of Object.entries(form.fields)) {
    data.append(name, name === 'Content-Type' ? contentType : value);
  }
  data.append('file', new Blob([bytes], { type: contentType }), 'document');
  return fetch(form.url, { method: 'POST', body: data });
}

const balance = async () => (await reseller().get('/reseller/credit')).json.balanceCents as number;

describe("a reseller order's documents", () => {
  it('answers an upload form per document; activation does not wait; the order shows each one received', async () => {
    const api = reseller();
    const created = await api.post('/orders', resellerOrder(freshAddress()));
    expect(created.status).toBe(201);
    const { orderId, documents } = created.json;
    expect(documents).toMatchObject({
      signedContract: { contentType: 'application/pdf', received: false, upload: { maxBytes: 10 * 1024 * 1024 } },
      identityDocument: { contentType: 'image/png', received: false, upload: { url: expect.any(String) } },
    });
    expect(documents.signedContract.upload.fields.key).toBe(`documents/orders/${orderId}/signed-contract`);

    // The mailbox is activated without them: the reseller answers for the documents it declared.
    await api.waitForOrder(orderId, (order) => order.status === 'completed');

    const contract = documents.signedContract.upload as Form;
    const pdf = new TextEncoder().encode('%PDF-1.7 contratto firmato dal titolare');
    expect((await upload(contract, pdf, 'text/html')).status).toBe(403);
    expect((await upload(contract, pdf)).status).toBe(204);
    const halfway = await api.get(`/orders/${orderId}`);
    expect(halfway.json.documents).toEqual({
      signedContract: { contentType: 'application/pdf', received: true },
      identityDocument: { contentType: 'image/png', received: false },
    });

    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect((await upload(documents.identityDocument.upload as Form, png)).status).toBe(204);
    const read = await api.get(`/orders/${orderId}`);
    expect(read.json.documents.identityDocument).toEqual({ contentType: 'image/png', received: true });
    const stored = [...local.runtime.auditObjects().keys()].filter((key) =>
      key.startsWith(`documents/orders/${orderId}/`),
    );
    expect(stored.sort()).toEqual([
      `documents/orders/${orderId}/identity-document`,
      `documents/orders/${orderId}/signed-contract`,
    ]);
  });

  it('refuses a reseller order without its documents, naming the field, debiting nothing', async () => {
    const before = await balance();
    const { documents: _documents, ...body } = resellerOrder(freshAddress());
    const refused = await reseller().post('/orders', body);
    expect(refused.status).toBe(400);
    expect(refused.json.errors).toEqual([{ path: 'documents', message: expect.any(String) }]);
    expect(await balance()).toBe(before);
  });

  it("refuses a storefront's order that sends documents or an initial password, naming each", async () => {
    const refused = await local.api.post('/orders', {
      ...orderBody(),
      documents: DOCUMENTS,
      initialPassword: PASSWORD,
    });
    expect(refused.status).toBe(400);
    expect(refused.json.errors.map((error: { path: string }) => error.path).sort()).toEqual([
      'documents',
      'initialPassword',
    ]);
  });
});

describe("a reseller's initial password", () => {
  it('refuses a weak one with 400 naming initialPassword, the address rule included; nothing debited', async () => {
    const before = await balance();
    const weak = await reseller().post('/orders', resellerOrder(freshAddress(), { initialPassword: 'password' }));
    expect(weak.status).toBe(400);
    expect(new Set(weak.json.errors.map((error: { path: string }) => error.path))).toEqual(
      new Set(['initialPassword']),
    );

    const address = `serena.gallo.${Date.now()}@pec.it`;
    const fromAddress = await reseller().post(
      '/orders',
      resellerOrder(address, { initialPassword: 'Gallo-Serena!2026' }),
    );
    expect(fromAddress.status).toBe(400);
    expect(fromAddress.json.errors).toEqual([
      { path: 'initialPassword', message: expect.stringContaining('part of the mailbox address') },
    ]);
    expect(await balance()).toBe(before);
    expect((await local.api.get(`/availability?address=${encodeURIComponent(address)}`)).json.available).toBe(true);
  });

  it('sets a good one on the mailbox: passwordSet, no first-access email, and the password is nowhere', async () => {
    const api = reseller();
    const address = freshAddress();
    const holderEmail = `titolare.${Date.now()}@example.org`;
    const body = resellerOrder(address, { initialPassword: PASSWORD });
    const created = await api.post('/orders', { ...body, holder: { ...body.holder, email: holderEmail } });
    expect(created.status).toBe(201);
    const { orderId } = created.json;
    await api.waitForOrder(orderId, (order) => order.status === 'completed');
    await local.runtime.idle();

    const mailbox = await api.get(`/mailboxes/${encodeURIComponent(address)}`);
    expect(mailbox.json).toMatchObject({ status: 'active', passwordSet: true });
    // The holder logs in with it: the platform keeps its scrypt hash.
    const { Item: account } = await table.client.send(
      new GetCommand({ TableName: table.tableName, Key: platformAccountKey(address) }),
    );
    expect(scryptMatches(String(account?.passwordHash), PASSWORD)).toBe(true);
    expect(scryptMatches(String(account?.passwordHash), `${PASSWORD}x`)).toBe(false);
    // No first-access email (nor link): the password is set.
    expect((await api.outbox()).filter((message) => message.to.includes(holderEmail))).toEqual([]);
    const link = await api.post(`/mailboxes/${encodeURIComponent(address)}/first-access-link`, {});
    expect(link.status).toBe(409);
    expect(link.json.code).toBe('password_already_set');

    // The order forgot the credential once completed; the password itself was never anywhere.
    const { Item: order } = await table.client.send(
      new GetCommand({ TableName: table.tableName, Key: orderKey(orderId) }),
    );
    expect(order?.initialPasswordByReseller).toBe(true);
    expect(order).not.toHaveProperty('initialPasswordCredential');
    const history = local.runtime.stepFunctions.executions().filter((execution) => execution.name.startsWith(orderId));
    expect(history.length).toBeGreaterThan(0);
    const places = {
      answers: JSON.stringify([created.json, mailbox.json, (await api.get(`/orders/${orderId}`)).json]),
      order: JSON.stringify(order),
      history: JSON.stringify(history),
      audit: JSON.stringify([...local.runtime.auditObjects().values()]),
      logs: lines.map((line) => line.text).join('\n'),
    };
    for (const [place, text] of Object.entries(places)) expect(text.includes(PASSWORD), place).toBe(false);
    expect(lines.some((line) => line.handler === 'create-order')).toBe(true);
  });
});

/** Whether `password` is the one a platform credential `scrypt$N$r$p$salt$hash` was made from. */
function scryptMatches(credential: string, password: string): boolean {
  const [scheme, n, r, p, salt = '', hash = ''] = credential.split('$');
  if (scheme !== 'scrypt') return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return timingSafeEqual(actual, expected);
}
