import { afterEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { defineConfig, seconds } from '../../functions/config.ts';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('defineConfig', () => {
  it('answers the variables, parsed', () => {
    vi.stubEnv('PEC_TEST_URL', 'https://pec.example/setup');
    vi.stubEnv('PEC_TEST_TTL', '3600');

    expect(defineConfig({ PEC_TEST_URL: z.url(), PEC_TEST_TTL: seconds })).toEqual({
      PEC_TEST_URL: 'https://pec.example/setup',
      PEC_TEST_TTL: 3600,
    });
  });

  it('fails without a required variable, naming it', () => {
    vi.stubEnv('PEC_TEST_TTL', undefined);

    expect(() => defineConfig({ PEC_TEST_TTL: seconds })).toThrow('Invalid configuration: PEC_TEST_TTL is not set');
  });

  it.each(['', 'soon', '-5', '1.5', '0'])('refuses %j as a number of seconds, naming the variable', (value) => {
    vi.stubEnv('PEC_TEST_TTL', value);

    expect(() => defineConfig({ PEC_TEST_TTL: seconds })).toThrow(/Invalid configuration: PEC_TEST_TTL: /);
  });

  it('names every problem at once', () => {
    vi.stubEnv('PEC_TEST_A', undefined);
    vi.stubEnv('PEC_TEST_B', 'not a url');

    expect(() => defineConfig({ PEC_TEST_A: z.string().min(1), PEC_TEST_B: z.url() })).toThrow(
      /PEC_TEST_A is not set; PEC_TEST_B: /,
    );
  });

  it('checks a rule over several variables, given as a schema', () => {
    const eitherOne = z
      .object({ PEC_TEST_A: z.string().optional(), PEC_TEST_B: z.string().optional() })
      .refine((env) => env.PEC_TEST_A !== undefined || env.PEC_TEST_B !== undefined, {
        path: ['PEC_TEST_B'],
        message: 'one of PEC_TEST_A or PEC_TEST_B is required',
      });
    vi.stubEnv('PEC_TEST_A', undefined);
    vi.stubEnv('PEC_TEST_B', undefined);
    expect(() => defineConfig(eitherOne)).toThrow('PEC_TEST_B: one of PEC_TEST_A or PEC_TEST_B is required');

    vi.stubEnv('PEC_TEST_A', 'a');
    expect(defineConfig(eitherOne)).toEqual({ PEC_TEST_A: 'a' });
  });
});

/*
 * Each setting below used to have a default in the function; now the function refuses to load
 * without it, so a deployment that forgot it fails at cold start, not on the first order.
 */
const HANDLER_SETTINGS = [
  { handler: 'create-order', variable: 'PAYMENT_WAIT_SECONDS' },
  { handler: 'sweep-mailbox', variable: 'PAYMENT_WAIT_SECONDS' },
  { handler: 'sweep-mailbox', variable: 'RENEWAL_LINKS' },
  { handler: 'send-first-access-email', variable: 'ACCESS_TOKEN_TTL_SECONDS' },
  { handler: 'check-domain-dns', variable: 'DNS_DEADLINE_SECONDS' },
  { handler: 'check-domain-dns', variable: 'DNS_POLL_MAX_SECONDS' },
  { handler: 'get-catalog', variable: 'PEC_MX_HOSTS' },
  { handler: 'await-payment', variable: 'PAYMENT_IBAN' },
  { handler: 'await-payment', variable: 'PAYMENT_BENEFICIARY' },
  { handler: 'request-reseller-domain', variable: 'HOSTED_NAME_SERVERS' },
  { handler: 'request-reseller-domain', variable: 'DOMAIN_WORKFLOW_ARN' },
  { handler: 'check-pending-domain', variable: 'DNS_POLL_FIRST_SECONDS' },
  { handler: 'sweep-domain', variable: 'HOSTED_NAME_SERVERS' },
];

/** Everything those handlers need, so that only the one variable under test is missing. */
const FULL_ENV = {
  AWS_REGION: 'eu-south-1',
  TABLE_NAME: 'pec-test',
  AUDIT_BUCKET: 'pec-test-audit',
  ORDER_WORKFLOW_ARN: 'arn:aws:states:eu-south-1:000000000000:stateMachine:pec-test',
  SENDER_EMAIL: 'noreply@pec.example',
  PAYMENT_BENEFICIARY: 'PEC Provisioning S.p.A.',
  PAYMENT_IBAN: 'IT60X0542811101000000123456',
  PAYMENT_WAIT_SECONDS: '2592000',
  PASSWORD_SETUP_URL: 'https://pec.example/primo-accesso',
  ACCESS_TOKEN_TTL_SECONDS: '259200',
  PEC_MX_HOSTS: 'mx1.pec.example.com',
  DNS_DEADLINE_SECONDS: '1209600',
  DNS_POLL_FIRST_SECONDS: '300',
  DNS_POLL_MAX_SECONDS: '7200',
  RENEWAL_LINKS: '{"*":"https://shop.example/rinnovo?indirizzo={address}"}',
  HOSTED_NAME_SERVERS: 'ns1.pec.example.com,ns2.pec.example.com',
  DOMAIN_WORKFLOW_ARN: 'arn:aws:states:eu-south-1:000000000000:stateMachine:pec-domains',
};

const importHandler = (handler: string) => import(`../../functions/handlers/${handler}.ts`);

describe('a handler without a setting it needs', () => {
  it.each(HANDLER_SETTINGS)('$handler fails to load without $variable, naming it', async ({ handler, variable }) => {
    for (const [name, value] of Object.entries(FULL_ENV)) vi.stubEnv(name, value);
    vi.stubEnv(variable, undefined);

    await expect(importHandler(handler)).rejects.toThrow(`${variable} is not set`);
  });

  it.each(HANDLER_SETTINGS)('$handler loads with it', async ({ handler }) => {
    for (const [name, value] of Object.entries(FULL_ENV)) vi.stubEnv(name, value);

    expect((await importHandler(handler)).handler).toBeTypeOf('function');
  });
});

describe('the renewal links (RENEWAL_LINKS)', () => {
  it("names each storefront's page for an address, the `*` one for any other", async () => {
    const { renewalLinksFrom, renewalLinksVariables } = await import('../../functions/adapters/renewal-links.ts');
    vi.stubEnv(
      'RENEWAL_LINKS',
      '{"shop-a":"https://a.example/rinnovo?pec={address}","*":"https://www.example.com/rinnova/{address}"}',
    );
    const links = renewalLinksFrom(defineConfig(renewalLinksVariables));
    expect(links('shop-a', 'mario.rossi@pec.it')).toBe('https://a.example/rinnovo?pec=mario.rossi%40pec.it');
    expect(links('shop-b', 'a&b@pec.it')).toBe('https://www.example.com/rinnova/a%26b%40pec.it');
  });

  it.each(['not json', '[]', '{}', '{"shop":"ftp://x.example/{address}"}'])('refuses %s at load', async (value) => {
    const { renewalLinksVariables } = await import('../../functions/adapters/renewal-links.ts');
    vi.stubEnv('RENEWAL_LINKS', value);
    expect(() => defineConfig(renewalLinksVariables)).toThrow(/RENEWAL_LINKS/);
  });
});
