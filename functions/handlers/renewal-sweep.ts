import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { s3 } from '../adapters/clients/s3.ts';
import { ses } from '../adapters/clients/ses.ts';
import { dynamoMailPlatform } from '../adapters/dynamodb-mail-platform.ts';
import { logger } from '../adapters/logger.ts';
import { orderIntakeDeps, orderIntakeVariables } from '../adapters/order-intake-deps.ts';
import { auditVariables, s3AuditLog } from '../adapters/s3-audit-log.ts';
import { senderOf, senderVariables, sesNotifier } from '../adapters/ses-notifier.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { defineConfig } from '../config.ts';
import { runRenewalSweep } from '../use-cases/renewal-sweep.ts';

const config = defineConfig({ ...orderIntakeVariables, ...senderVariables, ...auditVariables });
const deps = {
  ...orderIntakeDeps(config),
  platform: dynamoMailPlatform({ client: dynamoDb, tableName: config.TABLE_NAME }),
  notifier: sesNotifier(senderOf(ses, config)),
  audit: s3AuditLog({ client: s3, bucket: config.AUDIT_BUCKET }),
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
