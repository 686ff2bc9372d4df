import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { s3 } from '../adapters/clients/s3.ts';
import { ses } from '../adapters/clients/ses.ts';
import { meterReads } from '../adapters/dynamodb/read-meter.ts';
import { dynamoMailPlatform } from '../adapters/dynamodb-mail-platform.ts';
import { orderIntakeDeps, orderIntakeVariables } from '../adapters/order-intake-deps.ts';
import { renewalLinksFrom, renewalLinksVariables } from '../adapters/renewal-links.ts';
import { auditVariables, s3AuditLog } from '../adapters/s3-audit-log.ts';
import { senderOf, senderVariables, sesNotifier } from '../adapters/ses-notifier.ts';
import { sesResellerNotifier } from '../adapters/ses-reseller-notifier.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { defineConfig } from '../config.ts';
import { sweepMailbox } from '../use-cases/renewal-sweep.ts';

const config = defineConfig({
  ...orderIntakeVariables,
  ...senderVariables,
  ...auditVariables,
  ...renewalLinksVariables,
});
const reads = meterReads(dynamoDb);
const deps = {
  ...orderIntakeDeps(config),
  platform: dynamoMailPlatform({ client: dynamoDb, tableName: config.TABLE_NAME }),
  notifier: sesNotifier(senderOf(ses, config)),
  resellerNotifier: sesResellerNotifier(senderOf(ses, config)),
  audit: s3AuditLog({ client: s3, bucket: config.AUDIT_BUCKET }),
  renewalLink: renewalLinksFrom(config),
};

const input = z.object({ address: z.string().min(1), at: z.iso.datetime() });

/** Sweep workflow, Map item SweepMailbox: the renewal policy's stage for one due mailbox, done once. */
export const handler = stateHandler(input, async ({ address, at }) => {
  const before = reads.units();
  const outcome = await sweepMailbox(deps, address, new Date(at));
  return { outcome, readUnits: reads.units() - before };
});
