import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { s3 } from '../adapters/clients/s3.ts';
import { dynamoEnrolmentRepository } from '../adapters/dynamodb/enrolment-repository.ts';
import { dynamoRateLimiter } from '../adapters/dynamodb/rate-limiter.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { httpHandler, withJsonBody } from '../adapters/http/http-handler.ts';
import { auditVariables } from '../adapters/s3-audit-log.ts';
import { s3UploadForms } from '../adapters/s3-upload-forms.ts';
import { defineConfig } from '../config.ts';
import { EnrolmentRequestSchema } from '../domain/schemas.ts';
import { applyForResale } from '../use-cases/reseller-enrolment.ts';

const config = defineConfig({ ...tableVariables, ...auditVariables });
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const deps = {
  enrolments: dynamoEnrolmentRepository(table),
  limiter: dynamoRateLimiter(table),
  uploads: s3UploadForms({ client: s3, bucket: config.AUDIT_BUCKET }),
};

const event = withJsonBody(EnrolmentRequestSchema).extend({
  requestContext: z.looseObject({ identity: z.looseObject({ sourceIp: z.string() }) }),
});

/** POST /resellers (public, rate-limited per source IP): a company applies; 202 with its document upload forms. */
export const handler = httpHandler(event, async (request) => {
  const context = { sourceIp: request.requestContext.identity.sourceIp, now: new Date(), randomBytes: randomBytes(8) };
  return { status: 202, body: await applyForResale(deps, request.body, context) };
});
