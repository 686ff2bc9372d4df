import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { creditorReference, formatCreditorReference } from '../../functions/domain/creditor-reference.ts';
import { bankRef, camt054 } from '../support/camt.ts';
import { freshAddress, orderBody } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';

/*
 * Bank transfers confirmed by the bank's statement, over HTTP: `POST /_local/bank-statements` puts
 * the camt.054 file in the local statements bucket and runs the bank-statement function's bundle on
 * its "Object Created" event, as S3 and EventBridge do in AWS.
 */

const local = withLocalRuntime();

/** Places a bank transfer (or postal slip) order and waits until its workflow waits for the credit. */
async function waitingOrder(method: 'bank_transfer' | 'postal_slip' = 'bank_transfer') {
  const address = freshAddress('pec.cloud');
  const created = await local.api.post('/orders', orderBody({ address, payment: { method } }));
  expect(created.status).toBe(201);
  const orderId: string = created.json.orderId;
  await local.runtime.outbox.waitFor((m) => m.text.includes(orderId) && m.subject.includes('pagamento'), 10_000);
  return { address, orderId, reference: created.json.payment.reference as string };
}

const postStatement = (xml: string) =>
  local.api.request('POST', '/_local/bank-statements', {
    rawBody: xml,
    headers: { 'content-type': 'application/xml' },
    apiKey: null,
  });

const firstAccessEmails = async (address: string) =>
  (await local.api.outbox()).filter((m) => m.text.includes(address) && m.text.includes('token='));

const MARIO = { name: 'Mario Rossi', iban: 'IT02L1234512345123456789012' };

describe('POST /_local/bank-statements', () => {
  it('a camt.054 credit quoting the RF reference completes the bank transfer order: the mailbox is active', async () => {
    const { orderId, address, reference } = await waitingOrder();
    const statement = camt054([
      { bankRef: bankRef(), transactions: [{ amountCents: 610, structured: reference, payer: MARIO }] },
    ]);

    const response = await postStatement(statement);

    expect(response.status).toBe(200);
    expect(response.json).toEqual({ entries: 1, matched: 1, anomalies: 0 });
    // The route answers once the order's workflow has ended.
    expect((await local.api.get(`/orders/${orderId}`)).json).toMatchObject({
      status: 'completed',
      payment: { status: 'paid' },
    });
    expect((await local.api.get(`/mailboxes/${encodeURIComponent(address)}`)).json.status).toBe('active');
    expect(await firstAccessEmails(address)).toHaveLength(1);
  });

  it('the same file posted twice applies nothing twice: matched once', async () => {
    const { orderId, address, reference } = await waitingOrder('postal_slip');
    const statement = camt054([
      { bankRef: bankRef(), transactions: [{ amountCents: 610, structured: reference, payer: MARIO }] },
    ]);

    expect((await postStatement(statement)).json).toEqual({ entries: 1, matched: 1, anomalies: 0 });
    const paid = (await local.api.get(`/orders/${orderId}`)).json;
    expect(paid.status).toBe('completed');

    const again = await postStatement(statement);
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ entries: 1, matched: 0, anomalies: 0 });
    expect((await local.api.get(`/orders/${orderId}`)).json).toEqual(paid);
    expect(await firstAccessEmails(address)).toHaveLength(1);
  });

  it('a short credit is an anomaly and the order still waits; the full credit in a later file completes it', async () => {
    const { orderId, reference } = await waitingOrder();
    const short = await postStatement(
      camt054([{ bankRef: bankRef(), transactions: [{ amountCents: 500, structured: reference, payer: MARIO }] }]),
    );
    expect(short.status).toBe(200);
    expect(short.json).toEqual({ entries: 1, matched: 0, anomalies: 1 });
    expect((await local.api.get(`/orders/${orderId}`)).json).toMatchObject({
      status: 'pending_payment',
      payment: { status: 'pending' },
    });

    // The payer typed the reference by hand: lower case, in groups, amid other words.
    const typed = `saldo ordine ${formatCreditorReference(reference).toLowerCase()} grazie`;
    const full = await postStatement(
      camt054([{ bankRef: bankRef(), transactions: [{ amountCents: 610, unstructured: typed, payer: MARIO }] }]),
    );
    expect(full.json).toEqual({ entries: 1, matched: 1, anomalies: 0 });
    expect((await local.api.get(`/orders/${orderId}`)).json.status).toBe('completed');
  });

  it('a credit naming an unknown order, or none, is an anomaly', async () => {
    const response = await postStatement(
      camt054([
        {
          bankRef: bankRef(),
          transactions: [{ amountCents: 610, structured: creditorReference('0000UNKNOWN0'), payer: MARIO }],
        },
        { bankRef: bankRef(), transactions: [{ amountCents: 2500, unstructured: 'Bonifico per abbonamento' }] },
      ]),
    );
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ entries: 2, matched: 0, anomalies: 2 });
  });

  it('a batch booking pays each order its transactions name', async () => {
    const first = await waitingOrder();
    const second = await waitingOrder('postal_slip');
    const response = await postStatement(
      camt054([
        {
          bankRef: bankRef(),
          transactions: [
            { bankRef: bankRef(), amountCents: 610, structured: first.reference, payer: MARIO },
            {
              bankRef: bankRef(),
              amountCents: 610,
              unstructured: `Causale ${formatCreditorReference(second.reference)}`,
            },
          ],
        },
      ]),
    );
    expect(response.json).toEqual({ entries: 2, matched: 2, anomalies: 0 });
    for (const { orderId } of [first, second]) {
      expect((await local.api.get(`/orders/${orderId}`)).json.status).toBe('completed');
    }
  });

  it('a malformed file is a 400 problem naming what is wrong, and nothing of it is applied', async () => {
    const { orderId, reference } = await waitingOrder();
    const good = { bankRef: bankRef(), transactions: [{ amountCents: 610, structured: reference, payer: MARIO }] };
    const broken = camt054([good, { bankRef: bankRef(), transactions: [{ amountCents: 610 }] }]).replace(
      /(<Ntry>[\s\S]*?<\/Ntry>[\s\S]*?<Ntry>[\s\S]*?)<Amt Ccy="EUR">6\.10<\/Amt>/,
      '$1<Amt Ccy="EUR">6,10</Amt>',
    );

    const response = await postStatement(broken);

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.json).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(response.json.errors).toEqual([
      {
        path: 'BkToCstmrDbtCdtNtfctn.Ntfctn.0.Ntry.1.Amt',
        message: 'An amount is a decimal number with a dot, e.g. 6.10.',
      },
    ]);
    expect((await local.api.get(`/orders/${orderId}`)).json.payment.status).toBe('pending');

    const truncated = await postStatement(broken.slice(0, broken.length / 2));
    expect(truncated.status).toBe(400);
    expect(truncated.json.errors[0].path).toBe('(body)');

    // The good credit, in a file of its own, then pays the order: the refused file recorded nothing.
    expect((await postStatement(camt054([good]))).json).toEqual({ entries: 1, matched: 1, anomalies: 0 });
  });

  it('reads the fixture files as a bank delivers them (camt.054.001.02 with a namespace prefix)', async () => {
    const file = readFileSync(new URL('../fixtures/camt/camt054-v02-notification.xml', import.meta.url), 'utf8');
    expect((await postStatement(file)).json).toEqual({ entries: 2, matched: 0, anomalies: 2 });
  });
});
