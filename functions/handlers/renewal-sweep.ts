import * as z from 'zod';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { dynamoMailPlatform } from '../adapters/dynamodb-mail-platform.ts';
import { logger } from '../adapters/logger.ts';
import { s3AuditLog } from '../adapters/s3-audit-log.ts';
import { sesNotifier } from '../adapters/ses-notifier.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { stepFunctionsWorkflow } from '../adapters/step-functions-workflow.ts';
import { defineConfig, seconds } from '../config.ts';
import { runRenewalSweep } from '../use-cases/renewal-sweep.ts';

const config = defineConfig({ PAYMENT_WAIT_SECONDS: seconds(30 * 24 * 3600) });
const deps = {
  mailboxes: dynamoMailboxRepository,
  orders: dynamoOrderRepository,
  workflow: stepFunctionsWorkflow,
  platform: dynamoMailPlatform,
  notifier: sesNotifier,
  audit: s3AuditLog,
  paymentWaitSeconds: config.PAYMENT_WAIT_SECONDS,
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
