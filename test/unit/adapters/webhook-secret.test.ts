import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { webhookSecret, withWebhookSecretVariables } from '../../../functions/adapters/webhook-secret.ts';
import { defineConfig } from '../../../functions/config.ts';

const secretsManager = mockClient(SecretsManagerClient);

/**
 * Reads this configuration and builds the adapter from it, as the webhook's cold start does. Powertools keeps its
 * cache across builds, so each test uses an ARN of its own.
 */
async function loadWebhookSecret(env: { PAYMENT_WEBHOOK_SECRET?: string; PAYMENT_WEBHOOK_SECRET_ARN?: string }) {
  vi.stubEnv('AWS_REGION', 'eu-south-1');
  vi.stubEnv('PAYMENT_WEBHOOK_SECRET', env.PAYMENT_WEBHOOK_SECRET);
  vi.stubEnv('PAYMENT_WEBHOOK_SECRET_ARN', env.PAYMENT_WEBHOOK_SECRET_ARN);
  const config = defineConfig(withWebhookSecretVariables({}));
  return webhookSecret({ secret: config.PAYMENT_WEBHOOK_SECRET, secretArn: config.PAYMENT_WEBHOOK_SECRET_ARN });
}

const arn = (name: string) => `arn:aws:secretsmanager:eu-south-1:123456789012:secret:${name}-AbCdEf`;

beforeEach(() => {
  secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'whsec_from_secrets_manager' });
});
afterEach(() => {
  secretsManager.reset();
});
afterAll(() => {
  vi.unstubAllEnvs();
});

describe('payment webhook secret', () => {
  it('uses the secret from the environment when there is one, without calling Secrets Manager', async () => {
    const webhookSecret = await loadWebhookSecret({
      PAYMENT_WEBHOOK_SECRET: 'whsec_local_dev',
      PAYMENT_WEBHOOK_SECRET_ARN: arn('env-wins'),
    });

    expect(await webhookSecret()).toBe('whsec_local_dev');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('reads the secret from Secrets Manager once, then answers from the cache', async () => {
    const webhookSecret = await loadWebhookSecret({ PAYMENT_WEBHOOK_SECRET_ARN: arn('cached') });

    expect(await webhookSecret()).toBe('whsec_from_secrets_manager');
    expect(await webhookSecret()).toBe('whsec_from_secrets_manager');

    const calls = secretsManager.commandCalls(GetSecretValueCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input.SecretId).toBe(arn('cached'));
  });

  it('refuses an empty secret', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: '' });
    const webhookSecret = await loadWebhookSecret({ PAYMENT_WEBHOOK_SECRET_ARN: arn('empty') });

    await expect(webhookSecret()).rejects.toThrow(/empty/);
  });

  it('lets a Secrets Manager failure reach the caller', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(
        Object.assign(new Error('Secrets Manager can not find the secret'), { name: 'ResourceNotFoundException' }),
      );
    const webhookSecret = await loadWebhookSecret({ PAYMENT_WEBHOOK_SECRET_ARN: arn('missing') });

    await expect(webhookSecret()).rejects.toThrow(/can not find the secret/);
  });

  it('fails to load with neither the secret nor its ARN, naming the variable', async () => {
    await expect(loadWebhookSecret({})).rejects.toThrow(/PAYMENT_WEBHOOK_SECRET_ARN/);
  });

  it('fails to load with a secret shorter than 8 characters', async () => {
    await expect(loadWebhookSecret({ PAYMENT_WEBHOOK_SECRET: 'short' })).rejects.toThrow(/PAYMENT_WEBHOOK_SECRET/);
  });

  it('fails to load with a malformed secret even when the ARN is set (the secret would take precedence)', async () => {
    await expect(
      loadWebhookSecret({ PAYMENT_WEBHOOK_SECRET: 'short', PAYMENT_WEBHOOK_SECRET_ARN: arn('shadowed') }),
    ).rejects.toThrow(/PAYMENT_WEBHOOK_SECRET: /);
  });
});
