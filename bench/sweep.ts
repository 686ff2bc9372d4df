import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import Stripe from 'stripe';
import { mailboxItem } from '../functions/adapters/dynamodb/mailbox-repository.ts';
import { sweepStateKey } from '../functions/adapters/dynamodb/sweep-state-repository.ts';
import type { Mailbox } from '../functions/domain/mailbox.ts';
import { addDays, dayOf, type Stage, stageKey } from '../functions/domain/renewal-policy.ts';
import { localApiKeyId } from '../local/http-gateway.ts';
import { LOCAL_STRIPE_SECRET_KEY, startLocalRuntime } from '../local/runtime.ts';
import { LOCAL_REGION } from '../local/template.ts';
import { loadTable } from './load-table.ts';

/*
 * The renewal sweep with 10k, then 100k, mailboxes in the local table, loaded directly with
 * BatchWrite (many batches in flight), the same DUE of them due: reminders, charge notices,
 * automatic renewals (each an order workflow charging the Stripe stand-in), suspensions and
 * deletions. The others fall due over the next year, a few of them later today. Per size: the items
 * the sweep listed from the due-day index, the read capacity units its functions consumed (what
 * DynamoDB bills for reads: the index pages, one consistent read per due mailbox, a few more), and
 * the sweep's wall time over the workflow (until the order workflows it started have ended).
 */

const DAY = 24 * 3600 * 1000;
const HOUR = 3600 * 1000;
/** The sweep runs at 02:00 UTC of a day a year from now (its schedule's time). */
const AT = Date.parse(`${dayOf(new Date(Date.now() + 365 * DAY))}T02:00:00.000Z`);

export interface SweepFigures {
  table: number;
  due: number;
  /** Items listed from the due-day index (what was due). */
  listed: number;
  /** Read capacity units the sweep's functions consumed. */
  read: number;
  seconds: number;
  /** Time the sweep's own functions ran (NextPage and SweepMailbox), and how many invocations. */
  lambdaMs: number;
  invocations: number;
  counts: Record<string, number>;
}

/** The due mix: what each of the DUE mailboxes falls due for (per 12: 6 reminders, 3 notices, 1 charge, 1 suspension, 1 deletion). */
const DUE_MIX = [
  'remind',
  'remind',
  'remind',
  'remind',
  'remind',
  'remind',
  'notice',
  'notice',
  'notice',
  'charge',
  'suspend',
  'delete',
];

const storefrontId = localApiKeyId('sk_local_dev');
/** A card saved with Stripe on `customerId`, a Customer the bench creates in the stand-in (an unknown one is an error, retried). */
const cardOf = (customerId: string) => ({ method: 'card' as const, customerId, paymentMethod: 'pm_card_visa' });

/** The n-th mailbox; the first `due` are due (an hour or a day before the sweep), the others later. */
function mailboxAt(n: number, due: number, customerId: string): Mailbox {
  const base: Mailbox = {
    address: `sweep.${n}@pec.it`,
    status: 'active',
    storefrontId,
    orderId: `SWEEP${String(n).padStart(7, '0')}`,
    orderedAt: new Date(AT - 300 * DAY).toISOString(),
    type: 'standard',
    domainPec: false,
    holderEmail: `holder.${n}@example.com`,
    activatedAt: new Date(AT - 300 * DAY).toISOString(),
    autoRenew: false,
    passwordSet: true,
  };
  // Due an hour before the sweep, or (every third) yesterday: a day missed is read too.
  const late = n % 3 === 0 ? DAY : HOUR;
  const done = (expiresAt: string, ...stages: Stage[]) => new Set(stages.map((stage) => stageKey(expiresAt, stage)));
  const autoRenewing = () => ({ autoRenew: true, renewalPayment: cardOf(customerId), renewalYears: 1 });
  if (n < due) {
    const kind = DUE_MIX[n % DUE_MIX.length];
    if (kind === 'remind') {
      const expiresAt = new Date(AT - late + 30 * DAY).toISOString();
      return { ...base, expiresAt, stagesDone: done(expiresAt, { kind: 'remind', days: 90 }) };
    }
    if (kind === 'notice')
      return { ...base, ...autoRenewing(), expiresAt: new Date(AT - late + 37 * DAY).toISOString() };
    if (kind === 'charge') {
      const expiresAt = new Date(AT - late + 7 * DAY).toISOString();
      return { ...base, ...autoRenewing(), expiresAt, stagesDone: done(expiresAt, { kind: 'charge-notice' }) };
    }
    if (kind === 'suspend') {
      const expiresAt = new Date(AT - late).toISOString();
      return { ...base, expiresAt, stagesDone: done(expiresAt, { kind: 'remind', days: 7 }) };
    }
    return { ...base, status: 'suspended', expiresAt: new Date(AT - late - 90 * DAY).toISOString() };
  }
  // Not due: 1 in 500 later today (in today's partition, after the sweep's time); the others over
  // the next year (their 90-day reminder from 1 to 365 days after the sweep).
  const ahead = n % 500 === 0 ? 6 * HOUR : (1 + (n % 365)) * DAY;
  return { ...base, expiresAt: new Date(AT + ahead + 90 * DAY).toISOString() };
}

/** One fresh runtime per size: load the table, record yesterday's sweep as missed, sweep. */
export async function benchSweep(assemblyDir: string, sizes: number[], due: number): Promise<SweepFigures[]> {
  const figures: SweepFigures[] = [];
  for (const size of sizes) {
    let lambdaMs = 0;
    let invocations = 0;
    const runtime = await startLocalRuntime({
      port: 0,
      logLevel: 'ERROR',
      assemblyDir,
      // The sweep's own functions (not the order workflows it starts): their billed time, warm.
      onInvoked: (record) => {
        if (!record.function.startsWith('RenewalSweep')) return;
        lambdaMs += record.durationMs;
        invocations++;
      },
    });
    const client = new DynamoDBClient({
      endpoint: runtime.dynamoDb.endpoint,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const documents = DynamoDBDocumentClient.from(client);
    try {
      const stripeUrl = new URL(runtime.stripe.endpoint);
      const stripe = new Stripe(LOCAL_STRIPE_SECRET_KEY, {
        host: stripeUrl.hostname,
        port: stripeUrl.port,
        protocol: 'http',
      });
      const { id: customerId } = await stripe.customers.create({ email: 'bench@example.com' });
      const loadStarted = performance.now();
      await loadTable(
        documents,
        runtime.dynamoDb.tableName,
        Array.from({ length: size }, (_, n) => mailboxItem(mailboxAt(n, due, customerId))),
        16,
      );
      // The last run swept through the day before yesterday: this one reads yesterday and today.
      await documents.send(
        new PutCommand({
          TableName: runtime.dynamoDb.tableName,
          Item: { ...sweepStateKey, sweptThrough: addDays(dayOf(new Date(AT)), -2) },
        }),
      );
      const loadSeconds = (performance.now() - loadStarted) / 1000;
      lambdaMs = 0;
      invocations = 0;
      const started = performance.now();
      const totals = await runtime.sweep(new Date(AT).toISOString());
      const seconds = (performance.now() - started) / 1000;
      const { reminders, chargeNotices, autoRenewals, retries, suspended, deleted, failed } = totals;
      figures.push({
        table: size,
        due,
        listed: totals.listed,
        read: Math.round(totals.readUnits),
        seconds,
        lambdaMs,
        invocations,
        counts: { reminders, chargeNotices, autoRenewals, retries, suspended, deleted, failed, loadSeconds },
      });
    } finally {
      client.destroy();
      await runtime.stop();
    }
  }
  return figures;
}
