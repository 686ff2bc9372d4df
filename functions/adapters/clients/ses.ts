import { SESClient } from '@aws-sdk/client-ses';
import { tracer } from './tracer.ts';

/** The SES client, once per execution environment (see `dynamodb.ts` beside it). */
export const ses = tracer.captureAWSv3Client(new SESClient({}));
