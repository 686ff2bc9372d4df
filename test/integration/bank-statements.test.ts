import { readFileSync } from 'node:fs';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderKey } from '../../functions/adapters/dynamodb/order-repository.ts';
import { paymentEventKey } from '../../functions/adapters/dynamodb/payment-event-repository.ts';
import type { Order } from '../../functions/domain/order.ts';
import { processBankStatement } from '../../functions/use-cases/bank-statements.ts';
import { InMemoryStatementFiles, RecordingAuditLog, RecordingCallbacks } from '../support/fakes.ts';
import { storedOrder } from '../support/fixtures.ts';
import { dynamoAdapters, type LocalTable, startLocalTable } from '../support/local-dynamodb.ts';

/*
 * A bank statement registered on the local DynamoDB table with the production repositories: what
 * the order and payment event items hold afterwards, and the same file processed twice at once
 * (a retried invocation racing the first) taking effect once.
 */

let table: LocalTable;
beforeAll(async () => {
  table = await startLocalTable('pec-statements');
});
afterAll(() => table?.stop());

const now = new Date('2026-11-22T10:30:00.000Z');
const fixture = (name: string) => readFileSync(new URL(`../fixtures/camt/${name}`, import.meta.url), 'utf8');
const OUR_IBAN = 'IT60X0542811101000000123456';

/** Waiting orders on the table, and the v08 notification with its bank references made `run`'s own. */
async function world(orders: Order[], run: string) {
  const adapters = dynamoAdapters(table);
  for (const order of orders) {
    await adapters.orders.create(order);
    await adapters.orders.saveTaskToken(order.orderId, `token-${order.orderId}`);
  }
  const statement = fixture('camt054-v08-notification.xml').replaceAll('<AcctSvcrRef>26112200', `<AcctSvcrRef>${run}`);
  return {
    orders: adapters.orders,
    events: adapters.events,
    callbacks: new RecordingCallbacks(),
    audit: new RecordingAuditLog(),
    files: new InMemoryStatementFiles().put('incoming/camt054.xml', statement),
  };
}

describe('bank statements on the table', () => {
  it('keeps who paid on the order and what the statement said on each payment event, anomalies listed by day', async () => {
    const deps = await world([storedOrder({ orderId: '7Q2M9XK4PA1C' }, now)], '26112200');

    await processBankStatement(deps, 'incoming/camt054.xml', now);

    expect(await table.item(orderKey('7Q2M9XK4PA1C'))).toMatchObject({
      status: 'activating',
      payment: { status: 'paid' },
      paidBy: { name: 'Mario Rossi', iban: 'IT02L1234512345123456789012' },
    });
    const unreferenced = await table.item(paymentEventKey(`stmt_${OUR_IBAN}:entry:2611220000412349`));
    expect(unreferenced).toMatchObject({
      status: 'done',
      type: 'credit.registered',
      amountCents: 5000,
      outcome: 'no_order_reference',
      action: 'refund-required',
      payer: { name: 'Giuseppe Neri', iban: 'IT91D0300203280000400162854' },
      source: {
        kind: 'camt.054',
        account: OUR_IBAN,
        entryReference: { kind: 'entry', value: '2611220000412349' },
        remittance: { structured: [], unstructured: ['Bonifico per abbonamento annuale'] },
      },
      refund: { amountCents: 5000, currency: 'EUR', payer: { iban: 'IT91D0300203280000400162854' } },
    });
    expect(unreferenced).not.toHaveProperty('orderId');

    const { Items } = await table.documents.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: 'byExpiry',
        KeyConditionExpression: 'gsi1pk = :day',
        ExpressionAttributeValues: { ':day': 'ANOMALY#2026-11-22' },
      }),
    );
    // The batch's two credits name orders this table does not have; the last names none.
    expect(Items?.map((item) => item.outcome).sort()).toEqual(['no_order_reference', 'unknown_order', 'unknown_order']);
  });

  it('takes effect once when the same file is processed twice at the same time', async () => {
    const deps = await world(
      [
        storedOrder({ orderId: 'H3VN8D0RT6WE' }, now),
        storedOrder({ orderId: 'K9BZ4M2QX7SF', totals: { netCents: 1000, vatCents: 220, grossCents: 1220 } }, now),
      ],
      'RACE0000',
    );

    await Promise.all([
      processBankStatement(deps, 'incoming/camt054.xml', now),
      processBankStatement(deps, 'incoming/camt054.xml', now),
    ]);

    for (const orderId of ['H3VN8D0RT6WE', 'K9BZ4M2QX7SF']) {
      expect(await table.item(orderKey(orderId))).toMatchObject({
        payment: { status: 'paid' },
        chargeId: expect.stringMatching(/^stmt_/),
      });
      const resumed = deps.callbacks.calls.filter((call) => call.token === `token-${orderId}`);
      // Resuming twice is harmless (Step Functions refuses a used token); once is what took effect.
      expect(resumed.length).toBeGreaterThanOrEqual(1);
      expect(resumed.every((call) => call.outcome === 'succeed')).toBe(true);
    }
    const again = await processBankStatement(deps, 'incoming/camt054.xml', now);
    expect(again).toMatchObject({ entries: 4, matched: 0, duplicates: 4 });
  });
});
