import { SESClient } from '@aws-sdk/client-ses';

/** The SES client, once per execution environment (see `dynamodb.ts` beside it). */
export const ses = new SESClient({});
