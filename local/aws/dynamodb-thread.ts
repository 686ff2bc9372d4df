import { parentPort } from 'node:worker_threads';
import { startDynamoDb } from './dynamodb.ts';

/** The DynamoDB stand-in's own thread (see `startDynamoDbThread`): it answers its endpoint, then serves. */
const { endpoint } = await startDynamoDb();
parentPort?.postMessage({ endpoint });
