import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { HANDLER_METADATA_KEY } from '../../infra/constructs/pec-function.ts';
import { buildPecApp } from '../../infra/pec-app.ts';
import {
  allowStatementsOfRole,
  asArray,
  type CfnResource,
  referencedLogicalId,
  resourcesOfType,
} from './template-queries.ts';

/*
 * Card and PayPal payments in the CDK app: the Stripe secrets (created, or the key imported by name),
 * read only by the functions that need them, and the sandbox rule: no stack charges through anything
 * but Stripe unless its stage says it is a sandbox.
 */

const synth = (context: Record<string, unknown> = {}) => {
  const { stateful, stateless } = buildPecApp({ skipBundling: true, nag: false, context });
  return { stateful: Template.fromStack(stateful), stateless: Template.fromStack(stateless) };
};

const variablesOf = (fn: CfnResource) =>
  (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};

/** handler → its function's environment, for every function. */
const environments = (template: Template) =>
  Object.fromEntries(
    Object.values(resourcesOfType(template, 'AWS::Lambda::Function'))
      .filter((fn) => fn.Metadata?.[HANDLER_METADATA_KEY])
      .map((fn) => [String(fn.Metadata?.[HANDLER_METADATA_KEY]), variablesOf(fn)]),
  );

/** The handlers whose role may read a secret whose reference mentions `secretId`. */
function readersOf(template: Template, secretId: string): string[] {
  const readers = Object.values(resourcesOfType(template, 'AWS::Lambda::Function')).filter((fn) => {
    const role = referencedLogicalId(fn.Properties?.Role);
    return (
      role !== undefined &&
      allowStatementsOfRole(template, role).some(
        (statement) =>
          asArray(statement.Action).includes('secretsmanager:GetSecretValue') &&
          JSON.stringify(statement.Resource).includes(secretId),
      )
    );
  });
  return readers.map((fn) => String(fn.Metadata?.[HANDLER_METADATA_KEY])).sort();
}

describe('Stripe secrets', () => {
  it('creates the Stripe secret key and webhook secret, kept when the stack goes', () => {
    const { stateful } = synth();
    const secrets = Object.entries(resourcesOfType(stateful, 'AWS::SecretsManager::Secret'));
    for (const id of ['StripeSecretKey', 'StripeWebhookSecret']) {
      const found = secrets.filter(([logicalId]) => logicalId.startsWith(id));
      expect(found, id).toHaveLength(1);
      expect(found[0]?.[1].DeletionPolicy).toBe('Retain');
    }
  });

  it('lets only the functions that charge (orders and top-ups), wait for the holder or close read the secret key, and only the Stripe webhook its secret', () => {
    const { stateless } = synth();
    expect(readersOf(stateless, 'StripeSecretKey')).toEqual([
      'await-authentication',
      'charge-payment',
      'close-order',
      'request-top-up',
    ]);
    expect(readersOf(stateless, 'StripeWebhookSecret')).toEqual(['stripe-webhook']);
    const env = environments(stateless);
    for (const [handler, variables] of Object.entries(env)) {
      const charges = ['await-authentication', 'charge-payment', 'close-order', 'request-top-up'].includes(handler);
      expect('STRIPE_SECRET_KEY_ARN' in variables, handler).toBe(charges);
      expect('STRIPE_WEBHOOK_SECRET_ARN' in variables, handler).toBe(handler === 'stripe-webhook');
    }
  });

  it('imports the secret key by name when pec:stripeSecretName names one', () => {
    const { stateful, stateless } = synth({ 'pec:stripeSecretName': 'pec/stripe/secret-key' });
    const created = Object.keys(resourcesOfType(stateful, 'AWS::SecretsManager::Secret'));
    expect(created.some((id) => id.startsWith('StripeSecretKey'))).toBe(false);
    const charge = environments(stateless)['charge-payment'];
    expect(JSON.stringify(charge?.STRIPE_SECRET_KEY_ARN)).toContain(':secret:pec/stripe/secret-key');
  });
});

describe('the sandbox rule', () => {
  it('a stage is live unless it says otherwise: live keys only, and Stripe itself', () => {
    const charge = environments(synth().stateless)['charge-payment'];
    expect(charge?.STRIPE_SANDBOX).toBe('false');
    expect(charge).not.toHaveProperty('STRIPE_API_URL');
  });

  it('refuses a stack that would charge through anything but Stripe unless the stage is a sandbox', () => {
    expect(() => synth({ 'pec:stripeApiUrl': 'http://127.0.0.1:12111' })).toThrow(
      /pec:stripeApiUrl sends the charges to http:\/\/127\.0\.0\.1:12111 instead of Stripe.*pec:sandbox=true/,
    );
    expect(() => synth({ 'pec:stripeApiUrl': 'http://127.0.0.1:12111', 'pec:sandbox': 'false' })).toThrow(
      /only a sandbox stage/,
    );
  });

  it('a sandbox charges in test mode, through the stand-in it names', () => {
    const env = environments(synth({ 'pec:sandbox': 'true', 'pec:stripeApiUrl': 'http://127.0.0.1:12111' }).stateless);
    for (const handler of ['charge-payment', 'close-order']) {
      expect(env[handler]).toMatchObject({ STRIPE_SANDBOX: 'true', STRIPE_API_URL: 'http://127.0.0.1:12111' });
    }
  });

  it.each([
    ['pec:sandbox', { 'pec:sandbox': 'yes' }, /pec:sandbox must be true or false/],
    ['pec:stripeApiUrl', { 'pec:sandbox': 'true', 'pec:stripeApiUrl': 'stand-in' }, /pec:stripeApiUrl must be a URL/],
  ])('refuses a malformed %s', (_setting, context, message) => {
    expect(() => synth(context)).toThrow(message);
  });
});
