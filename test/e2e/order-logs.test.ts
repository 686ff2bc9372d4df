import { describe, expect, it } from 'vitest';
import { personalFiscalCodeCheckCharacter } from '../../functions/domain/fiscal-code.ts';
import { localApiKeyId } from '../../local/http-gateway.ts';
import { freshAddress, orderBody } from '../support/fixtures.ts';
import { linkIn, tokenOfLink } from '../support/holder.ts';
import { withLocalRuntime } from '../support/runtime.ts';
import { deliver, paymentEvent } from '../support/webhooks.ts';

/*
 * The functions' logs, as CloudWatch would get them: every line the execution environments write,
 * captured through the local runtime's log hook at INFO. One order is followed by its id through
 * intake, payment and activation; and no personal data (fiscal code, email, token, password) may
 * reach any line.
 */

const lines: { handler: string; text: string }[] = [];
const local = withLocalRuntime({ logLevel: 'INFO', onLog: (line) => lines.push(line) });

/** The captured lines that are Powertools JSON log entries, parsed, with the function that wrote each. */
const entries = (): ({ handler: string } & Record<string, unknown>)[] =>
  lines.flatMap(({ handler, text }) => {
    try {
      const entry = JSON.parse(text) as Record<string, unknown>;
      return typeof entry === 'object' && entry !== null && 'level' in entry ? [{ handler, ...entry }] : [];
    } catch {
      return [];
    }
  });

// Distinctive values, which no log line may ever contain.
const FISCAL_CODE = `ZQXWKJ85T10A562${personalFiscalCodeCheckCharacter('ZQXWKJ85T10A562')}`;
const HOLDER_EMAIL = `holder.${process.pid}.kq7zv@example.org`;
const PASSWORD = 'Gufo-Notturno-7391!';

/** The workflow's step functions and the payment webhook: each line of theirs must name the order. */
const ORDER_FUNCTIONS = [
  'await-payment',
  'provision-mailbox',
  'send-first-access-email',
  'complete-order',
  'payments-webhook',
];

describe('logs: one order followed by its id, and no personal data', () => {
  let orderId = '';
  let token = '';

  it('an order paid by transfer, activated, its password set, leaves lines of intake, payment and activation, each naming it', async () => {
    const { api } = local;
    const address = freshAddress();
    const body = orderBody({ address, payment: { method: 'bank_transfer' } });
    const created = await api.post('/orders', {
      ...body,
      holder: { ...body.holder, fiscalCode: FISCAL_CODE, email: HOLDER_EMAIL },
    });
    expect(created.status).toBe(201);
    orderId = created.json.orderId;
    await local.runtime.outbox.waitFor((m) => m.text.includes(orderId) && m.subject.includes('pagamento'), 10_000);
    expect((await deliver(api, paymentEvent(orderId, created.json.totals.grossCents))).status).toBe(200);
    await api.waitForOrder(orderId, (order) => order.status === 'completed');
    await local.runtime.idle();
    const email = (await api.outbox()).find((m) => m.text.includes(address) && m.text.includes('token='));
    token = tokenOfLink(linkIn(email));
    expect((await api.post('/password-setup', { token, password: PASSWORD }, { apiKey: null })).status).toBe(204);

    const storefrontId = localApiKeyId('sk_local_dev');
    const ofOrder = entries().filter((entry) => entry.orderId === orderId);
    // Followed by its id alone: intake, the payment webhook, the activation steps.
    const handlers = new Set(ofOrder.map((entry) => entry.handler));
    for (const handler of [
      'create-order',
      'await-payment',
      'payments-webhook',
      'provision-mailbox',
      'complete-order',
    ]) {
      expect(handlers, handler).toContain(handler);
    }
    for (const entry of ofOrder) expect(entry.storefrontId).toBe(storefrontId);
    // Every line of a step or of the webhook names the order and its storefront.
    const fromSteps = entries().filter((entry) => ORDER_FUNCTIONS.includes(entry.handler));
    expect(fromSteps.length).toBeGreaterThan(0);
    for (const entry of fromSteps) expect(entry).toMatchObject({ orderId, storefrontId });
  });

  it('no line of any function holds the fiscal code, the email, the first-access token or the password', () => {
    expect(token).not.toBe('');
    expect(lines.length).toBeGreaterThan(0);
    const secrets = { FISCAL_CODE, HOLDER_EMAIL, token, PASSWORD };
    for (const [name, value] of Object.entries(secrets)) {
      const leaking = lines.filter((line) => line.text.toLowerCase().includes(value.toLowerCase()));
      expect(
        leaking.map((line) => `${line.handler}: ${line.text}`),
        name,
      ).toEqual([]);
    }
  });
});
