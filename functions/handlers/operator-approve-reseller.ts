import { apiGatewayKeys, resellerKeyVariables } from '../adapters/api-gateway-keys.ts';
import { apiGateway } from '../adapters/clients/api-gateway.ts';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { s3 } from '../adapters/clients/s3.ts';
import { ses } from '../adapters/clients/ses.ts';
import { dynamoEnrolmentRepository } from '../adapters/dynamodb/enrolment-repository.ts';
import { dynamoResellerRepository } from '../adapters/dynamodb/reseller-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { httpHandler, operatorOf, resellerIdParameter, withPathParameters } from '../adapters/http/http-handler.ts';
import { auditVariables, s3AuditLog } from '../adapters/s3-audit-log.ts';
import { senderOf, senderVariables } from '../adapters/ses-notifier.ts';
import { sesResellerNotifier } from '../adapters/ses-reseller-notifier.ts';
import { defineConfig } from '../config.ts';
import { approveEnrolment } from '../use-cases/reseller-enrolment.ts';

const config = defineConfig({ ...tableVariables, ...auditVariables, ...senderVariables, ...resellerKeyVariables });
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const deps = {
  enrolments: dynamoEnrolmentRepository(table),
  resellers: dynamoResellerRepository(table),
  apiKeys: apiGatewayKeys({ client: apiGateway, usagePlanName: config.RESELLER_USAGE_PLAN_NAME }),
  audit: s3AuditLog({ client: s3, bucket: config.AUDIT_BUCKET }),
  notifier: sesResellerNotifier(senderOf(ses, config)),
};

/** POST /operator/resellers/{resellerId}/approve: the reseller, its key and its first deposit to pay (again, to finish an approval that stopped). */
export const handler = httpHandler(withPathParameters(resellerIdParameter), async (event) => {
  const action = { enrolmentId: event.pathParameters.resellerId, operator: operatorOf(event) };
  return { status: 200, body: await approveEnrolment(deps, action, { now: new Date() }) };
});
