import { SFNClient } from '@aws-sdk/client-sfn';

/** The Step Functions client, once per execution environment (see `dynamodb.ts` beside it). */
export const stepFunctions = new SFNClient({});
