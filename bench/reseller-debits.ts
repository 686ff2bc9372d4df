import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoResellerRepository } from '../functions/adapters/dynamodb/reseller-repository.ts';
import { type CreditMovement, debitOf, movementIdOf } from '../functions/domain/reseller-credit.ts';
import { createTableFromTemplate, startDynamoDbThread } from '../local/aws/dynamodb.ts';
import { LOCAL_REGION, synthesizeApp, tableOf } from '../local/template.ts';
import { storedMailbox, storedOrder } from '../test/support/fixtures.ts';

/*
 * Debits per second on ONE reseller (the hot item: every debit is a transaction that updates its
 * balance), through the product's repository on the local DynamoDB and its transactions: `DEBITS`
 * new orders, each the order, its debit, the balance and the address reservation in one
 * TransactWriteItems, `CONCURRENCY` at a time. Conflicts are the transactions cancelled because
 * another one held the same item (DynamoDB's TransactionConflict, retried by the repository); the
 * local stand-in runs transactions one at a time, so it never has any: in AWS it would.
 */

export interface ResellerDebitFigures {
  debits: number;
  concurrency: number;
  perSecond: number;
  conflicts: number;
  /** The balance at the end equals the deposit minus every debit. */
  balanced: boolean;
}

export async function benchResellerDebits(debits: number, concurrency: number): Promise<ResellerDebitFigures> {
  const dynamo = await startDynamoDbThread();
  const tableName = 'pec-bench-resellers';
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local-bench', secretAccessKey: 'local' },
  });
  try {
    await createTableFromTemplate(dynamo.endpoint, tableName, tableOf(synthesizeApp().stateful).properties);
    let conflicts = 0;
    const resellers = dynamoResellerRepository(
      { client: DynamoDBDocumentClient.from(client), tableName },
      { onConflict: () => conflicts++ },
    );
    const resellerId = 'bench-reseller';
    const at = new Date('2026-11-22T10:00:00.000Z');
    const deposit: CreditMovement = {
      movementId: movementIdOf('deposit', 'opening'),
      kind: 'deposit',
      amountCents: debits * 350,
      at: at.toISOString(),
    };
    await resellers.enrol(
      {
        resellerId,
        name: 'Bench',
        email: 'bench@example.com',
        priceList: 'reseller',
        lowBalanceThresholdCents: 0,
        createdAt: at.toISOString(),
      },
      deposit,
    );
    const debit = async (index: number) => {
      const orderId = `B${String(index).padStart(11, '0')}`;
      const address = `bench.${index}@pec.it`;
      const order = storedOrder(
        {
          orderId,
          storefrontId: resellerId,
          status: 'activating',
          mailbox: { address, type: 'standard', domainPec: false },
          totals: { netCents: 350, vatCents: 77, grossCents: 427 },
          payment: { method: 'credit', status: 'paid', reference: `RF00${orderId}` },
        },
        at,
      );
      const mailbox = storedMailbox(resellerId, at, {
        address,
        status: 'reserved',
        orderId,
        holdUntil: '2027-01-01T00:00:00.000Z',
      });
      const result = await resellers.placeDebitedOrder({
        resellerId,
        order,
        debit: debitOf(order, at),
        reservation: { mailbox, now: at },
      });
      if (result !== 'placed') throw new Error(`debit ${index}: ${result}`);
    };
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < debits) await debit(next++);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const balance = (await resellers.get(resellerId))?.balanceCents;
    return { debits, concurrency, perSecond: debits / seconds, conflicts, balanced: balance === 0 };
  } finally {
    client.destroy();
    await dynamo.stop();
  }
}
