import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoAnomalyIndex } from '../adapters/dynamodb/payment-event-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { httpHandler, withQuery } from '../adapters/http/http-handler.ts';
import { defineConfig } from '../config.ts';
import { OperatorAnomaliesQuerySchema } from '../domain/operator-schemas.ts';
import { listAnomalies } from '../use-cases/operator.ts';

const config = defineConfig(tableVariables);
const index = dynamoAnomalyIndex({ client: dynamoDb, tableName: config.TABLE_NAME });

/** GET /operator/anomalies?day=YYYY-MM-DD&limit=&cursor= (operators, IAM) */
export const handler = httpHandler(withQuery(OperatorAnomaliesQuerySchema), async (event) => ({
  status: 200,
  body: await listAnomalies(index, event.queryStringParameters),
}));
