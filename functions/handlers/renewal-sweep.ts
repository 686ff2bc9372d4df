import * as z from 'zod';
import { dynamoMailPlatform } from '../adapters/dynamodb-mail-platform.ts';
import { logger } from '../adapters/logger.ts';
import { orderIntakeDeps } from '../adapters/order-intake-deps.ts';
import { s3AuditLog } from '../adapters/s3-audit-log.ts';
import { sesNotifier } from '../adapters/ses-notifier.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { runRenewalSweep } from '../use-cases/renewal-sweep.ts';

const deps = {
  ...orderIntakeDeps,
  platform: dynamoMailPlatform,
  notifier: sesNotifier,
  audit: s3AuditLog,
};

/** The EventBridge schedule's event (its `time`), or `{ at }` to sweep as of another instant. */
const input = z.looseObject({ at: z.iso.datetime().optional(), time: z.iso.datetime().optional() });

/** The daily renewal sweep: reminders, automatic renewals, suspensions, deletions. */
export const handler = stateHandler(input, async (event) => {
  const at = new Date(event.at ?? event.time ?? Date.now());
  const result = await runRenewalSweep(deps, at);
  logger.info('Renewal sweep done', { at: at.toISOString(), ...result, startedOrders: result.startedOrders.length });
  return result;
});
