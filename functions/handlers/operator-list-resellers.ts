import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoEnrolmentRepository } from '../adapters/dynamodb/enrolment-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { httpHandler, withQuery } from '../adapters/http/http-handler.ts';
import { defineConfig } from '../config.ts';
import { OperatorResellersQuerySchema } from '../domain/operator-schemas.ts';
import { listPendingEnrolments } from '../use-cases/reseller-enrolment.ts';

const config = defineConfig(tableVariables);
const enrolments = dynamoEnrolmentRepository({ client: dynamoDb, tableName: config.TABLE_NAME });

/** GET /operator/resellers?status=pending&limit=&cursor= (operators, IAM) */
export const handler = httpHandler(withQuery(OperatorResellersQuerySchema), async (event) => ({
  status: 200,
  body: await listPendingEnrolments(enrolments, event.queryStringParameters),
}));
