import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ActivationPromise, BusinessCount, BusinessMetrics } from '../use-cases/business-metrics.ts';
import { PAYMENT_TO_ACTIVE_LATENCY } from '../use-cases/business-metrics.ts';
import { logger } from './logger.ts';

type GenericLogger = NonNullable<NonNullable<ConstructorParameters<typeof Metrics>[0]>['logger']>;

/**
 * Powertools Metrics, once per execution environment: namespace and service from the function's
 * settings (POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_SERVICE_NAME, set by PecFunction). What a
 * use case counts is kept until the handler wrapper's `logMetrics` middleware flushes it, as one
 * EMF line in the function's log (CloudWatch turns it into metrics; locally it stays a log line).
 */
export const metrics = new Metrics({ logger: quietAboutNothing(logger) });

/** The port of `use-cases/business-metrics.ts` over Powertools Metrics. */
export const powertoolsMetrics: BusinessMetrics = {
  count: (metric: BusinessCount, value = 1) => metrics.addMetric(metric, MetricUnit.Count, value),
  paymentToActive: (milliseconds: number, promise: ActivationPromise) => {
    // A metric of its own: the dimension must not apply to the counts flushed with it.
    const single = metrics.singleMetric();
    single.addDimension('Promise', promise);
    single.addMetric(PAYMENT_TO_ACTIVE_LATENCY, MetricUnit.Milliseconds, milliseconds);
  },
};

/**
 * Most invocations count nothing: Powertools' warning about an empty flush would be one more log
 * line per request, so it is dropped; every other warning goes to the structured log.
 */
function quietAboutNothing(target: GenericLogger): GenericLogger {
  return {
    debug: (...content) => target.debug(...content),
    info: (...content) => target.info(...content),
    error: (...content) => target.error(...content),
    warn: (...content) => {
      if (typeof content[0] === 'string' && content[0].startsWith('No application metrics to publish')) return;
      target.warn(...content);
    },
  };
}
