import { SnsSchema } from '@aws-lambda-powertools/parser/schemas/sns';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { logger } from '../adapters/logger.ts';
import { powertoolsMetrics } from '../adapters/metrics.ts';
import { feedbackOf, SesFeedbackEventSchema } from '../adapters/ses-feedback.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { defineConfig } from '../config.ts';
import { recordEmailFeedback } from '../use-cases/email-feedback.ts';

const config = defineConfig(tableVariables);
const deps = {
  mailboxes: dynamoMailboxRepository({ client: dynamoDb, tableName: config.TABLE_NAME }),
  metrics: powertoolsMetrics,
};

/**
 * SES's bounce and complaint events (the configuration set's event destination, an SNS topic): a
 * hard bounce of a holder's reference email marks the mailbox's contact undeliverable.
 */
export const handler = stateHandler(SnsSchema, async (event) => {
  const outcomes = [];
  for (const record of event.Records) {
    const feedback = feedbackOf(SesFeedbackEventSchema.parse(JSON.parse(record.Sns.Message)));
    const outcome = await recordEmailFeedback(deps, feedback);
    // The mailbox address and the outcome; never the recipient (personal data).
    logger.info('SES feedback', {
      kind: feedback.kind,
      bounceType: feedback.bounceType,
      mailbox: feedback.mailbox,
      outcome,
    });
    outcomes.push(outcome);
  }
  return { outcomes };
});
