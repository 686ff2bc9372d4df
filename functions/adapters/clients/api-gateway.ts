import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { tracer } from './tracer.ts';

/** The API Gateway (control plane) client, once per execution environment (see `dynamodb.ts` beside it). */
export const apiGateway = tracer.captureAWSv3Client(new APIGatewayClient({}));
