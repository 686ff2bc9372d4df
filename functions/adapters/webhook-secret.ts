import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import * as z from 'zod';
import { defineConfig } from '../config.ts';

/** One of the two is required; the secret itself, when set, takes precedence over the ARN. */
const config = defineConfig(
  z
    .object({
      /** In AWS: the Secrets Manager secret holding the provider's signing secret. */
      PAYMENT_WEBHOOK_SECRET_ARN: z.string().min(1).optional(),
      /** Locally (and in tests): the signing secret itself. */
      PAYMENT_WEBHOOK_SECRET: z.string().min(8).optional(),
    })
    .refine((env) => env.PAYMENT_WEBHOOK_SECRET !== undefined || env.PAYMENT_WEBHOOK_SECRET_ARN !== undefined, {
      path: ['PAYMENT_WEBHOOK_SECRET_ARN'],
      message: 'one of PAYMENT_WEBHOOK_SECRET_ARN (in AWS) or PAYMENT_WEBHOOK_SECRET (locally) is required',
    }),
);

/**
 * The payment webhook signing secret. Read from Secrets Manager through Powertools Parameters,
 * cached for five minutes so a warm function does not call Secrets Manager per delivery, yet picks
 * up a rotated secret soon after.
 */
export async function webhookSecret(): Promise<string> {
  if (config.PAYMENT_WEBHOOK_SECRET) return config.PAYMENT_WEBHOOK_SECRET;
  const secret = await getSecret(config.PAYMENT_WEBHOOK_SECRET_ARN as string, { maxAge: 300 });
  if (typeof secret !== 'string' || secret.length === 0) throw new Error('The payment webhook secret is empty');
  return secret;
}
