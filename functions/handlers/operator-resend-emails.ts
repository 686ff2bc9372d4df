import { firstAccessLinkSettings, firstAccessLinkVariables } from '../adapters/access-link-settings.ts';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { s3 } from '../adapters/clients/s3.ts';
import { ses } from '../adapters/clients/ses.ts';
import { dynamoAccessTokenRepository } from '../adapters/dynamodb/access-token-repository.ts';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { httpHandler, operatorOf, orderIdParameter, withPathParameters } from '../adapters/http/http-handler.ts';
import { auditVariables, s3AuditLog } from '../adapters/s3-audit-log.ts';
import { senderOf, senderVariables, sesNotifier } from '../adapters/ses-notifier.ts';
import { bankVariables, sesPaymentInstructions } from '../adapters/ses-payment-instructions.ts';
import { defineConfig } from '../config.ts';
import { resendOrderEmails } from '../use-cases/operator.ts';

const config = defineConfig({
  ...tableVariables,
  ...auditVariables,
  ...senderVariables,
  ...bankVariables,
  ...firstAccessLinkVariables,
});
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const sender = senderOf(ses, config);
const deps = {
  orders: dynamoOrderRepository(table),
  mailboxes: dynamoMailboxRepository(table),
  tokens: dynamoAccessTokenRepository(table),
  notifier: {
    ...sesNotifier(sender),
    ...sesPaymentInstructions(sender, {
      beneficiary: config.PAYMENT_BENEFICIARY,
      iban: config.PAYMENT_IBAN,
      postalAccount: config.PAYMENT_POSTAL_ACCOUNT,
    }),
  },
  audit: s3AuditLog({ client: s3, bucket: config.AUDIT_BUCKET }),
};
const settings = firstAccessLinkSettings(config);

/** POST /operator/orders/{orderId}/resend-emails: the emails the order's state implies, sent again (operators, IAM). */
export const handler = httpHandler(withPathParameters(orderIdParameter), async (event) => ({
  status: 200,
  body: await resendOrderEmails(
    deps,
    settings,
    { orderId: event.pathParameters.orderId, operator: operatorOf(event) },
    new Date(),
  ),
}));
