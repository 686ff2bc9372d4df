import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoAttentionIndex } from '../adapters/dynamodb/order-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { logger } from '../adapters/logger.ts';
import { powertoolsMetrics } from '../adapters/metrics.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { defineConfig } from '../config.ts';
import { measureAttention } from '../use-cases/attention-gauge.ts';

const config = defineConfig(tableVariables);
const deps = {
  attention: dynamoAttentionIndex({ client: dynamoDb, tableName: config.TABLE_NAME }),
  metrics: powertoolsMetrics,
};

/** The schedule's event (EventBridge, its `time`). */
const input = z.looseObject({ time: z.iso.datetime().optional() });

/** Every 5 minutes: how many orders need a person, for the alarms (RefundsPending, ActivationOverdue). */
export const handler = stateHandler(input, async (event) => {
  const gauge = await measureAttention(deps, new Date(event.time ?? Date.now()));
  logger.info('Orders needing a person', { ...gauge });
  return gauge;
});
