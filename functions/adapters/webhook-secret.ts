import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import * as z from 'zod';
import { defineConfig } from '../config.ts';

const config = defineConfig({
  /** In AWS: the Secrets Manager secret holding the provider's signing secret. */
  PAYMENT_WEBHOOK_SECRET_ARN: z.string().optional(),
  /** Locally (and in tests): the signing secret itself. */
  PAYMENT_WEBHOOK_SECRET: z.string().min(8).optional(),
});
if (!config.PAYMENT_WEBHOOK_SECRET && !config.PAYMENT_WEBHOOK_SECRET_ARN) {
  throw new Error('Invalid configuration: PAYMENT_WEBHOOK_SECRET_ARN (or PAYMENT_WEBHOOK_SECRET locally) is required');
}

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
