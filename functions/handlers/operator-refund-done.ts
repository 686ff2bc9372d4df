import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { s3 } from '../adapters/clients/s3.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { httpHandler, operatorOf, orderIdParameter, withJsonBody } from '../adapters/http/http-handler.ts';
import { auditVariables, s3AuditLog } from '../adapters/s3-audit-log.ts';
import { defineConfig } from '../config.ts';
import { RefundDoneRequestSchema } from '../domain/operator-schemas.ts';
import { markRefundDone } from '../use-cases/operator.ts';

const config = defineConfig({ ...tableVariables, ...auditVariables });
const deps = {
  orders: dynamoOrderRepository({ client: dynamoDb, tableName: config.TABLE_NAME }),
  audit: s3AuditLog({ client: s3, bucket: config.AUDIT_BUCKET }),
};

/** POST /operator/orders/{orderId}/refund-done `{ reference }`: a refund made by hand (operators, IAM). */
export const handler = httpHandler(
  withJsonBody(RefundDoneRequestSchema).extend({ pathParameters: orderIdParameter }),
  async (event) => {
    const action = { orderId: event.pathParameters.orderId, operator: operatorOf(event), ...event.body };
    return { status: 200, body: await markRefundDone(deps, action, new Date()) };
  },
);
