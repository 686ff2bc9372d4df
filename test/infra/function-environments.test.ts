import { readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { bundleHandler, handlerEntry } from '../../infra/bundling.ts';
import { functionsOf, type LocalFunction, synthesizeApp } from '../../local/template.ts';
import { type BundleLoad, deployedEnvironment, importInWorker } from '../support/bundle-worker.ts';

/*
 * Every function of the synthesized template, bundled as deployed and loaded with only its own
 * environment: it must load (it was given every variable it requires), and it must refuse to load
 * without any one of them, naming it (no default in the code hides a variable the CDK app forgot).
 */

/** Variables a function may be given without requiring them: Powertools' and Node's own, and optional settings. */
const NOT_REQUIRED = new Set([
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_METRICS_NAMESPACE',
  'NODE_OPTIONS',
  /** Without one, postal slip instructions show the IBAN. */
  'PAYMENT_POSTAL_ACCOUNT',
  'SES_CONFIGURATION_SET',
]);

interface Checked {
  fn: LocalFunction;
  /** Loaded with its whole environment. */
  whole: BundleLoad;
  /** Loaded without one required variable, for each of them. */
  without: { name: string; outcome: BundleLoad }[];
}
const checked: Checked[] = [];

beforeAll(async () => {
  const functions = functionsOf(synthesizeApp().stateless);
  const handlers = [...new Set(functions.map((fn) => fn.handler))];
  const bundles = new Map(await Promise.all(handlers.map(async (h) => [h, await bundleHandler(h)] as const)));
  for (const fn of functions) {
    const env = deployedEnvironment(fn);
    const required = [...Object.keys(fn.environment), ...fn.references].filter((name) => !NOT_REQUIRED.has(name));
    const withoutOne = required.map((name) => Object.fromEntries(Object.entries(env).filter(([key]) => key !== name)));
    const [whole, ...rest] = await importInWorker(bundles.get(fn.handler) as Uint8Array, [env, ...withoutOne]);
    checked.push({
      fn,
      whole: whole as BundleLoad,
      without: required.map((name, i) => ({ name, outcome: rest[i] as BundleLoad })),
    });
  }
});

it('the template deploys every handler of functions/handlers/', () => {
  const files = readdirSync(path.dirname(handlerEntry('any')));
  expect(new Set(checked.map(({ fn }) => `${fn.handler}.ts`))).toEqual(new Set(files));
});

it('every function loads with only its own environment', () => {
  for (const { fn, whole } of checked) expect(whole, fn.logicalId).toMatchObject({ loaded: true });
});

it('every function fails to load without any one of the variables it is given, naming it', () => {
  // Every setting and resource name the functions read was checked; only two functions read none.
  expect(new Set(checked.flatMap(({ without }) => without.map(({ name }) => name)))).toEqual(
    new Set([
      'TABLE_NAME',
      'AUDIT_BUCKET',
      'SENDER_EMAIL',
      'PAYMENT_BENEFICIARY',
      'PAYMENT_IBAN',
      'PAYMENT_WAIT_SECONDS',
      'PASSWORD_SETUP_URL',
      'ACCESS_TOKEN_TTL_SECONDS',
      'RESET_TOKEN_TTL_SECONDS',
      'PEC_MX_HOSTS',
      'DNS_DEADLINE_SECONDS',
      'DNS_POLL_FIRST_SECONDS',
      'DNS_POLL_MAX_SECONDS',
      'ORDER_WORKFLOW_ARN',
      'PAYMENT_WEBHOOK_SECRET_ARN',
      'STRIPE_SECRET_KEY_ARN',
      'STRIPE_SANDBOX',
      'STRIPE_WEBHOOK_SECRET_ARN',
      'STATEMENTS_BUCKET',
      'RENEWAL_LINKS',
      'RESELLER_USAGE_PLAN_NAME',
      'HOSTED_NAME_SERVERS',
      'DOMAIN_WORKFLOW_ARN',
    ]),
  );
  expect(
    checked
      .filter(({ without }) => without.length === 0)
      .map(({ fn }) => fn.handler)
      .sort(),
  ).toEqual(['get-openapi', 'get-password-setup-page']);
  for (const { fn, without } of checked) {
    for (const { name, outcome } of without) {
      expect(outcome, `${fn.logicalId} without ${name}`).toEqual({
        loaded: false,
        error: expect.stringContaining(name),
      });
    }
  }
});
