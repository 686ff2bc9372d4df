import { S3Client } from '@aws-sdk/client-s3';

/** The S3 client, once per execution environment (see `dynamodb.ts` beside it). */
export const s3 = new S3Client({ forcePathStyle: true });
