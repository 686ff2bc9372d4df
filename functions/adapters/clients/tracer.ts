import { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME } from '../../use-cases/business-metrics.ts';

/**
 * Powertools Tracer, once per execution environment: every SDK client of `clients/` is wrapped by
 * it (`captureAWSv3Client`), so each AWS call is a subsegment of the function's X-Ray trace
 * (active tracing, set by PecFunction). Outside Lambda (the local runtime, tests) it traces nothing.
 */
export const tracer = new Tracer({ serviceName: SERVICE_NAME });
