import type * as z from 'zod';
import { secretValue, withSecretVariables } from './secret-value.ts';

/**
 * The variables of the payment webhook's signing secret, over the rest of a function's variables
 * `shape`: PAYMENT_WEBHOOK_SECRET_ARN in AWS, or PAYMENT_WEBHOOK_SECRET itself (which takes precedence).
 */
export const withWebhookSecretVariables = <Shape extends z.ZodRawShape>(shape: Shape) =>
  withSecretVariables('PAYMENT_WEBHOOK_SECRET', shape);

/**
 * The payment webhook signing secret: `secret` as given, or else read from Secrets Manager (`secretArn`)
 * through Powertools Parameters, cached for five minutes.
 */
export const webhookSecret = (source: { secret?: string | undefined; secretArn?: string | undefined }) =>
  secretValue(source, 'payment webhook secret');
