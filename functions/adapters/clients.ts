import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/*
 * SDK clients, created once per execution environment so that warm invocations reuse their
 * connections. Region, credentials and endpoints come from the standard AWS environment
 * (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB`, ...), which is how the local runtime points the very
 * same code at its stand-ins. The `@__PURE__` marks let the bundler drop the clients a function
 * does not use, so each bundle carries only its own SDK clients.
 */

export const dynamoDb = /* @__PURE__ */ DynamoDBDocumentClient.from(/* @__PURE__ */ new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});

export const stepFunctions = /* @__PURE__ */ new SFNClient({});

export const ses = /* @__PURE__ */ new SESClient({});

export const s3 = /* @__PURE__ */ new S3Client({ forcePathStyle: true });
