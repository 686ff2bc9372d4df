import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { s3 } from '../adapters/clients/s3.ts';
import { ses } from '../adapters/clients/ses.ts';
import { dynamoEnrolmentRepository } from '../adapters/dynamodb/enrolment-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { httpHandler, operatorOf, resellerIdParameter, withJsonBody } from '../adapters/http/http-handler.ts';
import { auditVariables, s3AuditLog } from '../adapters/s3-audit-log.ts';
import { senderOf, senderVariables } from '../adapters/ses-notifier.ts';
import { sesResellerNotifier } from '../adapters/ses-reseller-notifier.ts';
import { defineConfig } from '../config.ts';
import { EnrolmentRejectionRequestSchema } from '../domain/schemas.ts';
import { rejectEnrolment } from '../use-cases/reseller-enrolment.ts';

const config = defineConfig({ ...tableVariables, ...auditVariables, ...senderVariables });
const deps = {
  enrolments: dynamoEnrolmentRepository({ client: dynamoDb, tableName: config.TABLE_NAME }),
  audit: s3AuditLog({ client: s3, bucket: config.AUDIT_BUCKET }),
  notifier: sesResellerNotifier(senderOf(ses, config)),
};

/** POST /operator/resellers/{resellerId}/reject `{ reason }`: recorded, audited, the applicant told why. */
export const handler = httpHandler(
  withJsonBody(EnrolmentRejectionRequestSchema).extend({ pathParameters: resellerIdParameter }),
  async (event) => {
    const action = { enrolmentId: event.pathParameters.resellerId, operator: operatorOf(event), ...event.body };
    return { status: 200, body: await rejectEnrolment(deps, action, new Date()) };
  },
);
