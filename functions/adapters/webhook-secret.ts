import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import * as z from 'zod';

/**
 * The variables of the signing secret, over the rest of a function's variables `shape`: one of the
 * two is required; the secret itself, when set, takes precedence over the ARN.
 */
export const withWebhookSecretVariables = <Shape extends z.ZodRawShape>(shape: Shape) =>
  z
    .object({
      ...shape,
      /** In AWS: the Secrets Manager secret holding the provider's signing secret. */
      PAYMENT_WEBHOOK_SECRET_ARN: z.string().min(1).optional(),
      /** Locally (and in tests): the signing secret itself. */
      PAYMENT_WEBHOOK_SECRET: z.string().min(8).optional(),
    })
    .refine(
      ({ PAYMENT_WEBHOOK_SECRET: secret, PAYMENT_WEBHOOK_SECRET_ARN: arn }: Record<string, unknown>) =>
        secret !== undefined || arn !== undefined,
      {
        path: ['PAYMENT_WEBHOOK_SECRET_ARN'],
        message: 'one of PAYMENT_WEBHOOK_SECRET_ARN (in AWS) or PAYMENT_WEBHOOK_SECRET (locally) is required',
      },
    );

/**
 * The payment webhook signing secret: `secret` as given, or else read from Secrets Manager (`secretArn`)
 * through Powertools Parameters, cached for five minutes so a warm function does not call Secrets
 * Manager per delivery, yet picks up a rotated secret soon after.
 */
export function webhookSecret(source: { secret?: string | undefined; secretArn?: string | undefined }) {
  return async (): Promise<string> => {
    if (source.secret) return source.secret;
    const secret = await getSecret(source.secretArn as string, { maxAge: 300 });
    if (typeof secret !== 'string' || secret.length === 0) throw new Error('The payment webhook secret is empty');
    return secret;
  };
}
