import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ZodType, z } from 'zod';
import { logger, logOrderKeys } from './logger.ts';
import { metrics } from './metrics.ts';
import { synchronousSchema } from './synchronous-schema.ts';

/**
 * Wraps a workflow state's function: structured logs with the Lambda context and the order's id
 * (and storefront) on every line, the state input
 * validated by `schema`. Errors are left to propagate: Lambda reports the error's `name`
 * (e.g. `PaymentDeclinedError`) and the state machine's Retry and Catch clauses match on it.
 */
export function stateHandler<Schema extends ZodType, Result>(
  schema: Schema,
  step: (input: z.output<Schema>, context: Context) => Promise<Result>,
) {
  return middy<unknown, Result>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(parser({ schema: synchronousSchema(schema) }))
    .use({
      onError: async (request) => {
        const error = request.error as Error;
        logger.warn('State failed', { errorName: error.name, errorMessage: error.message });
      },
    })
    .handler(async (input, context) => {
      // Every line of the step carries the order (and, once the order is read, its storefront).
      const { orderId } = (input ?? {}) as { orderId?: unknown };
      if (typeof orderId === 'string') logOrderKeys({ orderId });
      const result = await step(input as z.output<Schema>, context);
      logger.info('State done');
      return result;
    });
}
