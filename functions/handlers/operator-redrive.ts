import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { s3 } from '../adapters/clients/s3.ts';
import { stepFunctions } from '../adapters/clients/step-functions.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { httpHandler, operatorOf, orderIdParameter, withPathParameters } from '../adapters/http/http-handler.ts';
import { auditVariables, s3AuditLog } from '../adapters/s3-audit-log.ts';
import { stepFunctionsRedrive } from '../adapters/step-functions-redrive.ts';
import { defineConfig } from '../config.ts';
import { redriveOrder } from '../use-cases/operator.ts';

const config = defineConfig({ ...tableVariables, ...auditVariables, ORDER_WORKFLOW_ARN: z.string().min(1) });
const deps = {
  orders: dynamoOrderRepository({ client: dynamoDb, tableName: config.TABLE_NAME }),
  workflow: stepFunctionsRedrive({ client: stepFunctions, stateMachineArn: config.ORDER_WORKFLOW_ARN }),
  audit: s3AuditLog({ client: s3, bucket: config.AUDIT_BUCKET }),
};

/** POST /operator/orders/{orderId}/redrive: continues the order's failed execution where it failed (operators, IAM). */
export const handler = httpHandler(withPathParameters(orderIdParameter), async (event) => ({
  status: 202,
  body: await redriveOrder(deps, { orderId: event.pathParameters.orderId, operator: operatorOf(event) }, new Date()),
}));
