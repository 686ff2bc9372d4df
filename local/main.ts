import path from 'node:path';
import { CONTRACT_ORDER_EXAMPLE } from './contract-example.ts';
import {
  DEFAULT_OPERATOR_API_KEY,
  DEFAULT_RESELLER_API_KEYS,
  DEFAULT_STOREFRONT_API_KEYS,
  LOCAL_RESELLER_OPENING_CENTS,
  startLocalRuntime,
} from './runtime.ts';
import { DEFAULT_ASSEMBLY_DIR, synthesizeAssembly } from './template.ts';

/**
 * `npm start`: the whole product on this machine, no AWS account needed. Local defaults (not
 * secrets): storefront keys `sk_local_dev` and `sk_local_other` (two storefronts), webhook secret
 * `whsec_local_dev`, Stripe webhook secret `whsec_local_stripe`, operator key `ok_local_ops`, reseller key
 * `rk_local_reseller`; override them with STOREFRONT_API_KEYS and RESELLER_API_KEYS (comma-separated),
 * PAYMENT_WEBHOOK_SECRET, STRIPE_WEBHOOK_SECRET and OPERATOR_API_KEY, the port with PORT; METRICS=off hides
 * the business metrics' EMF lines. Cards are charged through the Stripe stand-in (key `sk_test_local`).
 */
const env = process.env;
const port = Number(env.PORT ?? 3000);
const apiKeys = env.STOREFRONT_API_KEYS
  ? env.STOREFRONT_API_KEYS.split(',')
      .map((key) => key.trim())
      .filter((key) => key.length > 0)
  : DEFAULT_STOREFRONT_API_KEYS;
const apiKey = apiKeys[0];
// The operator routes' key locally (IAM's SigV4 in AWS): a local default, not a secret.
const operatorKey = env.OPERATOR_API_KEY || DEFAULT_OPERATOR_API_KEY;
const resellerKeys = env.RESELLER_API_KEYS
  ? env.RESELLER_API_KEYS.split(',')
      .map((key) => key.trim())
      .filter((key) => key.length > 0)
  : DEFAULT_RESELLER_API_KEYS;

console.log(
  'Synthesizing the CDK app into cdk.out, as `cdk synth` does (a bundle is rebuilt only when its sources changed)...',
);
const assemblyDir = synthesizeAssembly();
const relative = (dir: string) => path.relative(process.cwd(), dir) || '.';
console.log('Starting the local AWS stand-ins and one worker-thread pool per function...');
const runtime = await startLocalRuntime({
  port,
  assemblyDir,
  // The first invocation of each execution environment says which bundle it imported.
  onInvoked: (record) => {
    if (record.coldStart) {
      const fn = runtime.functions.find((candidate) => candidate.logicalId === record.function);
      console.log(
        `cold start ${fn?.handler ?? record.function}: ${relative(fn?.codeDir ?? '')} in ${record.initMs?.toFixed(0)} ms`,
      );
    }
  },
  storefrontApiKeys: apiKeys,
  operatorApiKey: operatorKey,
  resellerApiKeys: resellerKeys,
  paymentWebhookSecret: env.PAYMENT_WEBHOOK_SECRET ?? 'whsec_local_dev',
  ...(env.STRIPE_WEBHOOK_SECRET ? { stripeWebhookSecret: env.STRIPE_WEBHOOK_SECRET } : {}),
  paymentWaitSeconds: env.PAYMENT_WAIT_SECONDS ? Number(env.PAYMENT_WAIT_SECONDS) : undefined,
  logLevel: env.LOG_LEVEL ?? 'WARN',
  metrics: env.METRICS !== 'off',
  verbose: true,
}).catch((error: NodeJS.ErrnoException) => {
  if (error.code === 'EADDRINUSE') console.error(`Port ${port} is already in use: set PORT to another one.`);
  else console.error('Could not start:', error);
  process.exit(1);
});

const order = JSON.stringify(CONTRACT_ORDER_EXAMPLE);

console.log(`
pec-provisioning is listening on ${runtime.url}

It runs the ${runtime.functions.length} functions of the synthesized template from their bundles in ${relative(DEFAULT_ASSEMBLY_DIR)}/asset.*,
each in its own worker threads with only the environment variables the template gives it.
Storefront keys: ${apiKeys.join(', ')} (each one a storefront that sees only its own orders and mailboxes).
Reseller keys: ${resellerKeys.join(', ')} (orders without payment, debited from ${LOCAL_RESELLER_OPENING_CENTS} cents of prepaid credit each).

Try it:
  curl -s ${runtime.url}/catalog -H 'x-api-key: ${apiKey}'
  curl -s -X POST ${runtime.url}/orders -H 'x-api-key: ${apiKey}' -H 'content-type: application/json' \\
    -d '${order}'
  curl -s ${runtime.url}/orders/<orderId> -H 'x-api-key: ${apiKey}'
  curl -s ${runtime.url}/_local/outbox          # every email sent, with the first-access link
  curl -s ${runtime.url}/reseller/credit -H 'x-api-key: ${resellerKeys[0] ?? 'rk_local_reseller'}'   # a reseller's credit and movements
  curl -s ${runtime.url}/openapi.json
  curl -s -X POST ${runtime.url}/_local/renewal-sweep -d '{"at":"2028-01-01T00:00:00Z"}'   # the daily sweep, as of then
  curl -s -X PUT ${runtime.url}/_local/dns/example.it -d '{"mx":[]}'   # the domain exists (own-domain PEC), no MX yet
  curl -s -X PUT ${runtime.url}/_local/dns/example.it -d '{"mx":["mx1.pec.example.com","mx2.pec.example.com"]}'
  curl -s -X PUT ${runtime.url}/_local/dns/ospitato.it -d '{"mx":["mx1.pec.example.com"],"ns":["ns1.pec.example.com","ns2.pec.example.com"]}'   # hosted with the provider: a reseller certifies it free
  curl -s -X POST ${runtime.url}/_local/payments/<orderId>/authenticate -d '{"approve":true}'   # the holder completes 3-D Secure (pm_card_authenticationRequired)
  curl -s -X POST ${runtime.url}/mailboxes/info%40example.it/dns-check -H 'x-api-key: ${apiKey}'   # check now
  curl -s -X POST ${runtime.url}/_local/ses/bounces -d '{"recipient":"mario.rossi@example.com"}'   # SES reports a hard bounce: the mailbox's contact shows undeliverable

Business metrics (orders placed, paid, activated...; README "Operations"): each function writes them
to this console as CloudWatch embedded-metric JSON lines (look for "_aws"), as it writes them to its
log in AWS, where they become the PecProvisioning metrics the alarms and the dashboard read.
METRICS=off hides them.

Operators (x-api-key ${operatorKey} here, OPERATOR_API_KEY to change it; IAM SigV4 in AWS, see README.md):
  curl -s '${runtime.url}/operator/orders?attention=true' -H 'x-api-key: ${operatorKey}'      # orders that need a person
  curl -s '${runtime.url}/operator/anomalies?day=${new Date().toISOString().slice(0, 10)}' -H 'x-api-key: ${operatorKey}'
  curl -s -X POST ${runtime.url}/operator/orders/<orderId>/refund-done -H 'x-api-key: ${operatorKey}' -d '{"reference":"TRN-..."}'
  curl -s -X POST ${runtime.url}/operator/orders/<orderId>/redrive -H 'x-api-key: ${operatorKey}'
  curl -s -X POST ${runtime.url}/operator/orders/<orderId>/resend-emails -H 'x-api-key: ${operatorKey}'

The payment webhook contract, with a signing example, is in README.md.

Press Ctrl-C to stop.
`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping...`);
  await runtime.stop();
  console.log('Stopped.');
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
