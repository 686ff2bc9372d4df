import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { tracer } from './tracer.ts';

/** Secrets Manager through Powertools Parameters (its cache), on a traced client (see `dynamodb.ts` beside it). */
export const secrets = new SecretsProvider({
  awsSdkV3Client: tracer.captureAWSv3Client(new SecretsManagerClient({})),
});
