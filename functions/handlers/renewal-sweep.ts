import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { meterReads } from '../adapters/dynamodb/read-meter.ts';
import { dynamoSweepStateRepository } from '../adapters/dynamodb/sweep-state-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { logger } from '../adapters/logger.ts';
import { powertoolsMetrics } from '../adapters/metrics.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { defineConfig } from '../config.ts';
import { DOMAIN_OUTCOMES } from '../use-cases/domain-renewal-sweep.ts';
import { nextSweepPage } from '../use-cases/renewal-sweep.ts';

const config = defineConfig(tableVariables);
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const reads = meterReads(dynamoDb);
const deps = {
  mailboxes: dynamoMailboxRepository(table),
  sweepState: dynamoSweepStateRepository(table),
  metrics: powertoolsMetrics,
};

const count = z.number().int().nonnegative();
/** The state the sweep workflow carries (`SweepState`): at first only `{ at }`, the schedule's time. */
const input = z.looseObject({
  at: z.iso.datetime({ offset: true }).transform((at) => new Date(at).toISOString()),
  days: z.array(z.iso.date()).optional(),
  completes: z.iso.date().optional(),
  cursor: z.object({ partition: count, sortKey: z.string().optional() }).nullable().optional(),
  totals: z.record(z.string(), z.number().nonnegative()).optional(),
  results: z
    .array(
      z.object({
        outcome: z.enum([
          'reminder',
          'charge-notice',
          'auto-renewal',
          'retry',
          'suspended',
          'deleted',
          'nothing',
          'failed',
          // A reseller's certified domain (SweepDomain).
          ...DOMAIN_OUTCOMES,
        ]),
        readUnits: z.number().nonnegative().optional(),
      }),
    )
    .optional(),
});

/** Sweep workflow state NextPage: a page of due mailboxes, the tally of the page before; the days recorded as swept at the end. */
export const handler = stateHandler(input, async (state) => {
  const before = reads.units();
  const page = await nextSweepPage(deps, state as Parameters<typeof nextSweepPage>[1], () => reads.units() - before);
  if (page.done) logger.info('Renewal sweep done', { at: page.at, days: page.days.length, ...page.totals });
  return page;
});
