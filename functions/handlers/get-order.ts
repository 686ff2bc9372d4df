import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { s3 } from '../adapters/clients/s3.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { httpHandler, orderIdParameter, storefrontOf, withPathParameters } from '../adapters/http/http-handler.ts';
import { auditVariables } from '../adapters/s3-audit-log.ts';
import { s3UploadedDocuments } from '../adapters/s3-upload-forms.ts';
import { defineConfig } from '../config.ts';
import { getOrder } from '../use-cases/queries.ts';

const config = defineConfig({ ...tableVariables, ...auditVariables });
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const orders = dynamoOrderRepository(table);
/** A reseller's order shows whether its documents were uploaded. */
const documents = s3UploadedDocuments({ client: s3, bucket: config.AUDIT_BUCKET });

/** GET /orders/{orderId} */
export const handler = httpHandler(withPathParameters(orderIdParameter), async (event) => ({
  status: 200,
  body: await getOrder(orders, event.pathParameters.orderId, storefrontOf(event), documents),
}));
