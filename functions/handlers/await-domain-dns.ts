import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { defineConfig } from '../config.ts';
import { awaitDomainDns } from '../use-cases/order-fulfilment.ts';

const config = defineConfig(tableVariables);
const orders = dynamoOrderRepository({ client: dynamoDb, tableName: config.TABLE_NAME });

/** Workflow state WaitForDns (callback): keeps the task token of the wait for the next check of the holder's domain. */
export const handler = stateHandler(
  z.object({ orderId: z.string(), taskToken: z.string() }),
  ({ orderId, taskToken }) => awaitDomainDns({ orders }, orderId, taskToken),
);
