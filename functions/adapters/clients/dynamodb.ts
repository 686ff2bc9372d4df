import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './tracer.ts';

/*
 * One module per SDK client (this one for DynamoDB), created once per execution environment so that
 * warm invocations reuse its connections. A function imports only the clients it uses, so its cold
 * start loads only those SDK packages. Region, credentials and endpoint come from the standard AWS
 * environment (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB`, ...), which is how the local runtime
 * points the very same code at its stand-ins. Each client is traced (`./tracer.ts`).
 */
export const dynamoDb = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
  marshallOptions: { removeUndefinedValues: true },
});
