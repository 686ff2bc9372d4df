import { S3Client } from '@aws-sdk/client-s3';
import { tracer } from './tracer.ts';

/** The S3 client, once per execution environment (see `dynamodb.ts` beside it). */
export const s3 = tracer.captureAWSv3Client(new S3Client({ forcePathStyle: true }));
