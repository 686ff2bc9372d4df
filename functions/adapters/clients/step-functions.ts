import { SFNClient } from '@aws-sdk/client-sfn';
import { tracer } from './tracer.ts';

/** The Step Functions client, once per execution environment (see `dynamodb.ts` beside it). */
export const stepFunctions = tracer.captureAWSv3Client(new SFNClient({}));
