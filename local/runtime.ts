import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoResellerRepository } from '../functions/adapters/dynamodb/reseller-repository.ts';
import { decodePercentEncoded } from '../functions/adapters/http/percent-encoding.ts';
import { ANY_STOREFRONT } from '../functions/adapters/renewal-links.ts';
import { DEFAULT_RESELLER_PRICE_LIST } from '../functions/domain/catalog.ts';
import { movementIdOf } from '../functions/domain/reseller-credit.ts';
import type { SweepTotals } from '../functions/use-cases/renewal-sweep.ts';
import { startDnsServer } from './aws/dns-server.ts';
import { createTableFromTemplate, startDynamoDbThread } from './aws/dynamodb.ts';
import { FaultInjector, startFaultProxy } from './aws/fault-proxy.ts';
import { startS3Server } from './aws/s3-server.ts';
import { hardBounceEvent, type LocalOutbox, startSes } from './aws/ses.ts';
import {
  type LocalExecutionRecord,
  type LocalStepFunctionsServer,
  startStepFunctionsServer,
} from './aws/stepfunctions/server.ts';
import { type HttpGateway, type LocalRoute, localApiKeyId, startHttpGateway } from './http-gateway.ts';
import { type InvocationRecord, LocalLambda } from './lambda/local-lambda.ts';
import { type LocalStripe, startStripeServer } from './stripe/server.ts';
import {
  bundlesOf,
  functionsOf,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  type LocalFunction,
  stateMachineDefinitionOf,
  synthesizeApp,
  synthesizeAssembly,
  tableOf,
  taskFunctions,
} from './template.ts';

/** The local storefront keys (local defaults, not secrets): two storefronts, each seeing only its own. */
export const DEFAULT_STOREFRONT_API_KEYS = ['sk_local_dev', 'sk_local_other'] as const;

/** The local operator key (a local default, not a secret): `/operator/*` routes accept it in `x-api-key` (IAM in AWS). */
export const DEFAULT_OPERATOR_API_KEY = 'ok_local_ops';
/**
 * The local reseller keys (local defaults, not secrets): one reseller, whose orders pay from its
 * prepaid credit. Each starts with `LOCAL_RESELLER_OPENING_CENTS` of credit, written at start as a
 * real deposit movement of its ledger (in AWS the enrolment's first payment is that deposit).
 */
export const DEFAULT_RESELLER_API_KEYS = ['rk_local_reseller'] as const;
export const LOCAL_RESELLER_OPENING_CENTS = 20_000;

/** The local Stripe secret key (a test key: the local stage is a sandbox) and webhook signing secret; not secrets. */
export const LOCAL_STRIPE_SECRET_KEY = 'sk_test_local';
export const DEFAULT_STRIPE_WEBHOOK_SECRET = 'whsec_local_stripe';

export interface LocalRuntimeOptions {
  /** HTTP port; 0 picks a free one. */
  port?: number;
  /** The keys storefront routes accept in `x-api-key`, one per storefront (default `DEFAULT_STOREFRONT_API_KEYS`). */
  storefrontApiKeys?: readonly string[];
  /** The key operator routes accept in `x-api-key` (default `DEFAULT_OPERATOR_API_KEY`). */
  operatorApiKey?: string;
  /** Called with every line a function's execution environments write (its logs). */
  onLog?: (line: { function: string; handler: string; text: string }) => void;
  /** The keys of resellers (default `DEFAULT_RESELLER_API_KEYS`): storefronts paying from prepaid credit. */
  resellerApiKeys?: readonly string[];
  /** The secret payment webhooks are signed with. */
  paymentWebhookSecret?: string;
  /** The secret the Stripe stand-in signs its webhooks with (default `DEFAULT_STRIPE_WEBHOOK_SECRET`). */
  stripeWebhookSecret?: string;
  /** Overrides the configured wait for a bank transfer or postal slip credit (CDK context `pec:paymentWaitSeconds`). */
  paymentWaitSeconds?: number;
  /** Overrides how long a first-access link stays valid (deployed: 72 hours). */
  accessTokenTtlSeconds?: number;
  /** Further CDK context for the synthesized templates (`pec:*` settings). */
  context?: Record<string, unknown>;
  /**
   * A cloud assembly already synthesized with its bundles (`cdk.out` of `cdk synth`, or the tests'
   * global setup). Without it, the app is synthesized into `cdk.out` first (bundles reused when unchanged).
   */
  assemblyDir?: string;
  /** Handler log level (Powertools): WARN keeps the console readable. */
  logLevel?: string;
  /**
   * Lets the functions write their business metrics (CloudWatch EMF JSON lines, as in their log in
   * AWS) to this process's stdout; off by default (POWERTOOLS_METRICS_DISABLED), as in the tests.
   */
  metrics?: boolean;
  /** Prints one line per request and per workflow outcome. */
  verbose?: boolean;
  /**
   * How long each wait between two MX checks of a holder's domain lasts locally, in milliseconds
   * (deployed: the backoff, from `pec:domainDnsPollMinutes` up to `pec:domainDnsPollMaxMinutes`; the
   * execution history still shows those intervals).
   */
  dnsPollMs?: number;
  /** Retry intervals of the workflow, in milliseconds instead of the definition's seconds (tests). */
  retryIntervalMs?: number;
  /**
   * Most execution environments (worker threads) per function; further invocations queue. Two by
   * default: on a 2-core machine more environments only add cold starts and memory (measured with
   * the bench: 39 card orders/s at 50 in flight with 2, 32 with 4 or 8).
   */
  maxEnvironmentsPerFunction?: number;
  /** Puts fault-injecting proxies in front of DynamoDB, SES, S3 and Stripe (`runtime.faults` arms them). */
  faults?: boolean;
  /** Called once per workflow execution when it ends. */
  onExecutionSettled?: (execution: LocalExecutionRecord) => void;
  /** Called after every function invocation (cold starts, durations, errors: the bench reads them). */
  onInvoked?: (record: InvocationRecord) => void;
}

export interface LocalRuntime {
  url: string;
  outbox: LocalOutbox;
  /** The audit bucket's objects (audit trail and documents), key to JSON text. */
  auditObjects(): Map<string, string>;
  stepFunctions: LocalStepFunctionsServer;
  /** The Stripe stand-in: its PaymentIntents and the events it sent. */
  stripe: LocalStripe;
  stateMachineArn: string;
  /** The functions of the template, each with the directory of the bundle it runs. */
  functions: (LocalFunction & { codeDir: string })[];
  /** Where the local DynamoDB listens (no fault proxy in between) and the table's name. */
  dynamoDb: { endpoint: string; tableName: string };
  /** Imports every function's bundle in a fresh environment: milliseconds per function (the cold-start proxy). */
  measureImports(): Promise<{ function: LocalFunction; importMs: number }[]>;
  /** Arms failures of the stand-ins, when started with `faults: true`. */
  faults?: FaultInjector;
  /** Runs the renewal sweep workflow as of `at` (what POST /_local/renewal-sweep does): its totals, read units included. */
  sweep(at: string): Promise<SweepSummary>;
  /** Resolves when no workflow execution is running. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Local defaults: the renewal pages (`pec:renewalLinks`) of the two local storefronts, by API key
 * (a storefront's id is its key's id, `localApiKeyId`), and `*` for every other key, unless
 * `context` names others.
 */
export const LOCAL_RENEWAL_PAGES = {
  sk_local_dev: 'https://negozio.example.com/rinnovo?indirizzo={address}',
  sk_local_other: 'https://altro-negozio.example.com/pec/rinnova/{address}',
};
/** Any other key (the local reseller, a reseller enrolled locally): the same fallback as the deployed default. */
const LOCAL_OTHER_RENEWAL_PAGE = 'https://www.example.com/rinnovo?indirizzo={address}';
const LOCAL_RENEWAL_LINKS = {
  ...Object.fromEntries(Object.entries(LOCAL_RENEWAL_PAGES).map(([key, url]) => [localApiKeyId(key), url])),
  [ANY_STOREFRONT]: LOCAL_OTHER_RENEWAL_PAGE,
};

/** The local names of the resources a function's environment refers to (a Ref or GetAtt in the template). */
const LOCAL_RESOURCES = {
  TABLE_NAME: 'pec-local',
  AUDIT_BUCKET: 'pec-local-audit',
  STATEMENTS_BUCKET: 'pec-local-statements',
  SES_CONFIGURATION_SET: 'pec-local',
  // Locally the secrets themselves are in PAYMENT_WEBHOOK_SECRET, STRIPE_SECRET_KEY and
  // STRIPE_WEBHOOK_SECRET, which take precedence.
  PAYMENT_WEBHOOK_SECRET_ARN: 'local-secret',
  STRIPE_SECRET_KEY_ARN: 'local-secret',
  STRIPE_WEBHOOK_SECRET_ARN: 'local-secret',
} as const;

/**
 * Starts the whole product on this machine: the bundles `cdk synth` produced, each function in its
 * own worker threads with only its own environment and its own timeout, and the state-machine
 * definition of the same templates, on local stand-ins for DynamoDB (dynalite), Step Functions
 * (aws-local-stepfunctions), SES (aws-ses-v2-local), S3 and Stripe. The production adapters reach the stand-ins
 * through the standard `AWS_ENDPOINT_URL_*` variables (Stripe's through `pec:stripeApiUrl` of a sandbox stage) and
 * run unchanged.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const assemblyDir = options.assemblyDir ?? synthesizeAssembly();
  const stripeWebhookSecret = options.stripeWebhookSecret ?? DEFAULT_STRIPE_WEBHOOK_SECRET;
  const [dynamo, ses, s3, dns, stripe] = await Promise.all([
    startDynamoDbThread(),
    startSes(),
    startS3Server({ buckets: [LOCAL_RESOURCES.AUDIT_BUCKET, LOCAL_RESOURCES.STATEMENTS_BUCKET] }),
    startDnsServer(),
    startStripeServer({ secretKey: LOCAL_STRIPE_SECRET_KEY, webhookSecret: stripeWebhookSecret }),
  ]);
  const stopAll: (() => Promise<void>)[] = [dynamo.stop, ses.stop, s3.stop, dns.stop, stripe.stop];
  const endpoints = { dynamodb: dynamo.endpoint, ses: ses.endpoint, s3: s3.endpoint, stripe: stripe.endpoint };
  const faults = options.faults ? new FaultInjector() : undefined;
  if (faults) {
    for (const service of ['dynamodb', 'ses', 's3', 'stripe'] as const) {
      const proxy = await startFaultProxy(service, endpoints[service], faults);
      stopAll.unshift(proxy.stop);
      endpoints[service] = proxy.endpoint;
    }
  }
  const lambdas = new Map<string, LocalLambda>();
  const invoke = (fn: LocalFunction, event: unknown) => {
    const lambda = lambdas.get(fn.logicalId);
    if (!lambda) throw new Error(`Unknown function ${fn.logicalId}`);
    return lambda.invoke(event);
  };

  let gateway: HttpGateway;
  let stepFunctions: LocalStepFunctionsServer;
  let functions: (LocalFunction & { codeDir: string })[];
  const stateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:pec-order-fulfilment`;
  const sweepMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:pec-renewal-sweep`;
  const domainMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:pec-domain-certification`;
  try {
    // The gateway listens first: the first-access link points at it, and the templates need that URL.
    gateway = await startHttpGateway({
      port: options.port ?? 0,
      // A reseller's key is a storefront's key to the gateway (as in AWS: a key on a usage plan).
      storefrontApiKeys: [
        ...(options.storefrontApiKeys ?? DEFAULT_STOREFRONT_API_KEYS),
        ...(options.resellerApiKeys ?? DEFAULT_RESELLER_API_KEYS),
      ],
      operatorApiKey: options.operatorApiKey ?? DEFAULT_OPERATOR_API_KEY,
      invoke,
      verbose: options.verbose ?? false,
      localRoutes: [
        ...apiKeyRoutes(() => gateway),
        {
          // Every email sent (CONTRACT.md, local runtime only).
          method: 'GET',
          pattern: /^\/_local\/outbox$/,
          handle: async () => ({ status: 200, body: { messages: await ses.outbox.messages() } }),
        },
        {
          // Every email sent to `recipient` hard-bounces, as SES reports it (local runtime only): the
          // ses-feedback function gets each bounce event, as from the configuration set's topic.
          method: 'POST',
          pattern: /^\/_local\/ses\/bounces$/,
          handle: async (_match, body) => {
            const recipient = parseRecipientBody(body);
            if (!recipient) return localProblem('recipient', 'The body must be { "recipient": "<email address>" }.');
            const fn = functions.find((candidate) => candidate.handler === 'ses-feedback');
            if (!fn) throw new Error('The template has no ses-feedback function');
            const sent = (await ses.outbox.messages()).filter((message) =>
              message.to.some((to) => to.toLowerCase() === recipient),
            );
            const outcomes: unknown[] = [];
            for (const message of sent) {
              const result = (await invoke(fn, hardBounceEvent(message, new Date()))) as { outcomes: unknown[] };
              outcomes.push(...result.outcomes);
            }
            return { status: 200, body: { recipient, bounced: sent.length, outcomes } };
          },
        },
        {
          // Runs the scheduled sweep as if it were `at`: starts the sweep workflow as its schedule
          // does, and answers its counts once it and the order workflows it started have ended.
          method: 'POST',
          pattern: /^\/_local\/renewal-sweep$/,
          handle: async (_match, body) => {
            const at = parseSweepBody(body);
            if (!at) return localProblem('at', 'The body must be { "at": "<ISO 8601 time>" }.');
            const totals = await runSweep(stepFunctions, sweepMachineArn, stateMachineArn, at);
            const { reminders, chargeNotices, autoRenewals, retries, suspended, deleted } = totals;
            return { status: 200, body: { reminders, chargeNotices, autoRenewals, retries, suspended, deleted } };
          },
        },
        {
          // A bank statement (camt.054 / camt.053), applied as in AWS: the file is put in the
          // statements bucket and the function runs on its "Object Created" event. Answers once
          // the workflows of the orders it paid have ended.
          method: 'POST',
          pattern: /^\/_local\/bank-statements$/,
          handle: async (_match, body) => {
            const fn = functions.find((candidate) => candidate.handler === 'bank-statement');
            if (!fn) throw new Error('The template has no bank-statement function');
            const bucket = LOCAL_RESOURCES.STATEMENTS_BUCKET;
            const key = `incoming/local-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.xml`;
            s3.put(bucket, key, Buffer.from(body, 'utf8'));
            let result: StatementSummary;
            try {
              result = (await invoke(fn, objectCreated(bucket, key, Buffer.byteLength(body)))) as StatementSummary;
            } catch (error) {
              // In AWS, Lambda invokes it again later; here the caller posts the statement again.
              if (!(error instanceof Error) || error.name !== 'RetryLaterError') throw error;
              return retryLaterProblem(error.message);
            }
            if (result.status === 'rejected') return statementProblem(result.errors);
            await executionsEnded(
              stepFunctions,
              result.credits.flatMap((credit) => (credit.outcome === 'paid' && credit.orderId ? [credit.orderId] : [])),
            );
            const { entries, matched, anomalies } = result;
            return { status: 200, body: { entries, matched, anomalies } };
          },
        },
        {
          // The holder completes (or abandons) 3-D Secure or PayPal's approval of the order's (or a
          // reseller top-up's) PaymentIntent, as Stripe.js would; the Stripe stand-in then sends its webhook.
          method: 'POST',
          pattern: /^\/_local\/payments\/([^/]+)\/authenticate$/,
          handle: async (match, body) => {
            const orderId = decodePercentEncoded(match[1] ?? '');
            const approve = parseApproveBody(body);
            if (approve === undefined) return localProblem('approve', 'The body must be { "approve": true | false }.');
            // A reseller's card top-up is named the same way (its id, in metadata.topUpId).
            const named = (metadata: Record<string, string>) =>
              metadata.orderId === orderId || metadata.topUpId === orderId;
            const intent = stripe
              .paymentIntents()
              .find((candidate) => named(candidate.metadata) && candidate.status === 'requires_action');
            if (!intent) {
              return notWaitingProblem(`No PaymentIntent of order ${orderId} waits for the holder to authenticate it.`);
            }
            const authenticated = stripe.authenticate(intent.id, approve);
            return { status: 200, body: { orderId, paymentIntent: authenticated.id, status: authenticated.status } };
          },
        },
        {
          // The MX records the DNS check sees for a domain (CONTRACT.md, local runtime only), and
          // optionally its NS records (`"ns"`: a reseller's domain hosted with the provider).
          method: 'PUT',
          pattern: /^\/_local\/dns\/([^/]+)$/,
          handle: async (match, body) => {
            const domain = decodePercentEncoded(match[1] ?? '')?.toLowerCase();
            if (!domain) return localProblem('domain', 'The domain is not valid percent-encoding of UTF-8 text.');
            const records = parseDnsBody(body);
            if (typeof records === 'string') {
              return localProblem(
                records,
                'The body must be { "mx": ["host", ...], "ns"?: ["host", ...] } with host names.',
              );
            }
            const { mx, ns } = records;
            dns.setRecords(domain, { mx, ns: ns ?? [] });
            return { status: 200, body: { domain, mx, ...(ns ? { ns } : {}) } };
          },
        },
      ],
    });
    stopAll.unshift(gateway.stop);

    const context: Record<string, unknown> = {
      'pec:passwordSetupUrl': `${gateway.url}/password-setup`,
      // A sandbox stage, charging through the Stripe stand-in.
      'pec:sandbox': 'true',
      'pec:stripeApiUrl': endpoints.stripe,
      // Local defaults: a renewal page for each of the two local storefronts.
      'pec:renewalLinks': JSON.stringify(LOCAL_RENEWAL_LINKS),
      ...(options.paymentWaitSeconds === undefined ? {} : { 'pec:paymentWaitSeconds': options.paymentWaitSeconds }),
      ...(options.accessTokenTtlSeconds === undefined
        ? {}
        : { 'pec:firstAccessTokenTtlSeconds': options.accessTokenTtlSeconds }),
      ...options.context,
    };
    const { stateful, stateless } = synthesizeApp(context);
    await createTableFromTemplate(dynamo.endpoint, LOCAL_RESOURCES.TABLE_NAME, tableOf(stateful).properties);
    await seedResellers(dynamo.endpoint, options.resellerApiKeys ?? DEFAULT_RESELLER_API_KEYS);
    const bundles = bundlesOf(assemblyDir);
    functions = functionsOf(stateless).map((fn) => {
      const codeDir = bundles.get(fn.logicalId);
      if (!codeDir) throw new Error(`No bundle for ${fn.logicalId} in ${assemblyDir}`);
      return { ...fn, codeDir };
    });
    const definition = stateMachineDefinitionOf(stateless);
    const taskStates = taskFunctions(definition, functions);
    const sweepDefinition = stateMachineDefinitionOf(stateless, 'RenewalSweep');
    const sweepStates = taskFunctions(sweepDefinition, functions);
    const domainDefinition = stateMachineDefinitionOf(stateless, 'DomainCertification');
    const domainStates = taskFunctions(domainDefinition, functions);
    stepFunctions = await startStepFunctionsServer(
      [
        {
          // A reseller's pending domain, waiting for its MX records (polls last milliseconds locally).
          arn: domainMachineArn,
          definition: domainDefinition,
          taskHandlers: Object.fromEntries(
            Object.entries(domainStates).map(([state, fn]) => [state, (input: unknown) => invoke(fn, input)]),
          ),
          callbackTimeoutOverrides: { WaitForDomainDns: options.dnsPollMs ?? 250 },
        },
        {
          arn: sweepMachineArn,
          definition: sweepDefinition,
          taskHandlers: Object.fromEntries(
            Object.entries(sweepStates).map(([state, fn]) => [state, (input: unknown) => invoke(fn, input)]),
          ),
          ...(options.retryIntervalMs === undefined
            ? {}
            : {
                retryIntervalOverrides: Object.fromEntries(
                  Object.keys(sweepStates).map((state) => [state, options.retryIntervalMs as number]),
                ),
              }),
        },
        {
          arn: stateMachineArn,
          definition,
          taskHandlers: Object.fromEntries(
            Object.entries(taskStates).map(([state, fn]) => [state, (input: unknown) => invoke(fn, input)]),
          ),
          // Waits that poll the outside world last milliseconds locally instead of minutes.
          callbackTimeoutOverrides: { WaitForDns: options.dnsPollMs ?? 250 },
          ...(options.retryIntervalMs === undefined
            ? {}
            : {
                retryIntervalOverrides: Object.fromEntries(
                  Object.keys(taskStates).map((state) => [state, options.retryIntervalMs as number]),
                ),
              }),
        },
      ],
      {
        onSettled: (execution) => {
          if (options.verbose) printExecution(execution);
          options.onExecutionSettled?.(execution);
        },
      },
    );
    stopAll.unshift(stepFunctions.stop);

    // What every execution environment has besides the function's own variables: what Lambda itself
    // sets, and where the local stand-ins listen (the SDK's standard endpoint variables).
    const platform = {
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_SES: endpoints.ses,
      AWS_ENDPOINT_URL_S3: endpoints.s3,
      AWS_ENDPOINT_URL_SFN: stepFunctions.endpoint,
      // API Gateway's control plane (reseller keys): the gateway itself, see `apiKeyRoutes`.
      AWS_ENDPOINT_URL_API_GATEWAY: gateway.url,
      DNS_SERVERS: dns.address,
      TZ: 'UTC',
    };
    const resources: Record<string, string> = {
      ...LOCAL_RESOURCES,
      ORDER_WORKFLOW_ARN: stateMachineArn,
      SWEEP_WORKFLOW_ARN: sweepMachineArn,
      DOMAIN_WORKFLOW_ARN: domainMachineArn,
    };
    for (const fn of functions) {
      const environment: Record<string, string> = {
        ...platform,
        // Each function signs with credentials of its own, as each has its own role in AWS.
        AWS_ACCESS_KEY_ID: `local-${fn.handler}`,
        AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        _HANDLER: fn.entryPoint,
        ...fn.environment,
        POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'WARN',
        ...(options.metrics ? {} : { POWERTOOLS_METRICS_DISABLED: 'true' }),
        ...(fn.references.includes('PAYMENT_WEBHOOK_SECRET_ARN')
          ? { PAYMENT_WEBHOOK_SECRET: options.paymentWebhookSecret ?? 'whsec_local_dev' }
          : {}),
        ...(fn.references.includes('STRIPE_SECRET_KEY_ARN') ? { STRIPE_SECRET_KEY: LOCAL_STRIPE_SECRET_KEY } : {}),
        ...(fn.references.includes('STRIPE_WEBHOOK_SECRET_ARN') ? { STRIPE_WEBHOOK_SECRET: stripeWebhookSecret } : {}),
      };
      for (const name of fn.references) {
        const value = resources[name];
        if (value === undefined) throw new Error(`No local value for ${name} (function ${fn.handler})`);
        environment[name] = value;
      }
      lambdas.set(
        fn.logicalId,
        new LocalLambda(
          {
            name: fn.logicalId,
            arn: fn.arn,
            codeDir: fn.codeDir,
            handler: fn.entryPoint,
            environment,
            timeoutSeconds: fn.timeoutSeconds,
            memoryMb: fn.memoryMb,
            maxEnvironments: options.maxEnvironmentsPerFunction ?? 2,
            ...(options.onLog
              ? { onLog: (text: string) => options.onLog?.({ function: fn.logicalId, handler: fn.handler, text }) }
              : {}),
          },
          options.onInvoked,
        ),
      );
    }
    stopAll.unshift(async () => {
      await Promise.all([...lambdas.values()].map((lambda) => lambda.stop()));
    });
    gateway.serve(functions);
    // Stripe's events go to the webhook route; the deliveries in flight finish before anything stops.
    stripe.setWebhookUrl(`${gateway.url}/webhooks/stripe`);
    stopAll.unshift(() => stripe.idle());
  } catch (error) {
    for (const stop of stopAll) await stop();
    throw error;
  }

  return {
    url: gateway.url,
    outbox: ses.outbox,
    auditObjects: () =>
      new Map([...s3.objects(LOCAL_RESOURCES.AUDIT_BUCKET)].map(([key, body]) => [key, body.toString('utf8')])),
    stepFunctions,
    stripe,
    stateMachineArn,
    functions,
    dynamoDb: { endpoint: dynamo.endpoint, tableName: LOCAL_RESOURCES.TABLE_NAME },
    async measureImports() {
      const results = [];
      for (const fn of functions) {
        results.push({ function: fn, importMs: await (lambdas.get(fn.logicalId) as LocalLambda).measureImport() });
      }
      return results;
    },
    ...(faults ? { faults } : {}),
    sweep: (at) => runSweep(stepFunctions, sweepMachineArn, stateMachineArn, at),
    idle: () => stepFunctions.idle(),
    async stop() {
      for (const stop of stopAll) await stop();
    },
  };
}

/** Enrols each local reseller with its opening deposit (a movement of its ledger), through the product's repository. */
async function seedResellers(endpoint: string, keys: readonly string[]): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local-runtime', secretAccessKey: 'local' },
  });
  try {
    const resellers = dynamoResellerRepository({
      client: DynamoDBDocumentClient.from(client),
      tableName: LOCAL_RESOURCES.TABLE_NAME,
    });
    const at = new Date().toISOString();
    for (const [index, key] of keys.entries()) {
      const resellerId = localApiKeyId(key);
      await resellers.enrol(
        {
          resellerId,
          name: `Rivenditore locale ${index + 1}`,
          email: `rivenditore${index + 1}@example.com`,
          priceList: DEFAULT_RESELLER_PRICE_LIST,
          lowBalanceThresholdCents: 0,
          createdAt: at,
        },
        {
          movementId: movementIdOf('deposit', 'opening'),
          kind: 'deposit',
          amountCents: LOCAL_RESELLER_OPENING_CENTS,
          at,
        },
      );
    }
  } finally {
    client.destroy();
  }
}

/** The sweep workflow's output, as the local route answers it. */
export type SweepSummary = SweepTotals;

/**
 * Starts the sweep workflow as of `at`, as its schedule would, and waits for it to end, then for the
 * order workflows started meanwhile (the renewals it placed): answers the workflow's output.
 */
export async function runSweep(
  stepFunctions: LocalStepFunctionsServer,
  sweepMachineArn: string,
  orderMachineArn: string,
  at: string,
): Promise<SweepSummary> {
  const started = new Date();
  const client = new SFNClient({
    endpoint: stepFunctions.endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const { executionArn } = await client.send(
    new StartExecutionCommand({ stateMachineArn: sweepMachineArn, input: JSON.stringify({ at }) }),
  );
  client.destroy();
  for (;;) {
    const execution = stepFunctions.executions().find((candidate) => candidate.executionArn === executionArn);
    if (execution && execution.status !== 'RUNNING') {
      if (execution.status !== 'SUCCEEDED') {
        throw new Error(`The renewal sweep ${execution.status}: ${execution.error ?? ''} ${execution.cause ?? ''}`);
      }
      const orders = stepFunctions
        .executions()
        .filter((candidate) => candidate.stateMachineArn === orderMachineArn && candidate.startDate >= started)
        .map((candidate) => candidate.name.replace(/-\d+$/, ''));
      await executionsEnded(stepFunctions, orders);
      return JSON.parse(execution.output ?? '{}') as SweepSummary;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** What the bank-statement function answers (`BankStatementResult`), as far as the local route reads it. */
type StatementSummary =
  | {
      status: 'applied';
      entries: number;
      matched: number;
      anomalies: number;
      credits: { orderId?: string; outcome: string }[];
    }
  | { status: 'rejected'; errors: { path: string; message: string }[] };

/** S3's "Object Created" event for a new object, as EventBridge delivers it to the function's rule. */
function objectCreated(bucket: string, key: string, size: number) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: LOCAL_ACCOUNT,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key, size, sequencer: Date.now().toString(16).toUpperCase() },
      'request-id': randomUUID(),
      requester: LOCAL_ACCOUNT,
      'source-ip-address': '127.0.0.1',
      reason: 'PutObject',
    },
  };
}

function parseSweepBody(body: string): string | undefined {
  try {
    const { at } = JSON.parse(body) as { at?: unknown };
    return typeof at === 'string' && !Number.isNaN(Date.parse(at)) ? new Date(at).toISOString() : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves once none of the named orders' executions (`<orderId>`, or a restart `<orderId>-2`...) is running. */
async function executionsEnded(stepFunctions: LocalStepFunctionsServer, orderIds: string[]): Promise<void> {
  const orderOf = (name: string) => name.replace(/-\d+$/, '');
  for (let polls = 0; ; polls++) {
    const running = new Set(
      stepFunctions
        .executions()
        .filter((execution) => execution.status === 'RUNNING')
        .map((execution) => orderOf(execution.name)),
    );
    const pending = orderIds.filter((orderId) => running.has(orderId));
    if (pending.length === 0) return;
    if (polls > 3000) throw new Error(`Workflows still running after a minute: ${pending.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * `{ "mx": [...], "ns"?: [...] }` (host names; `mx` may be left out when `ns` is given: none), or
 * the name of the field that is wrong.
 */
function parseDnsBody(body: string): { mx: string[]; ns?: string[] } | 'mx' | 'ns' {
  const hostname =
    /^(?=.{1,253}\.?$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.?$/i;
  const hosts = (value: unknown): value is string[] =>
    Array.isArray(value) && value.every((host) => typeof host === 'string' && hostname.test(host));
  let parsed: { mx?: unknown; ns?: unknown };
  try {
    parsed = JSON.parse(body) as { mx?: unknown; ns?: unknown };
  } catch {
    return 'mx';
  }
  if (typeof parsed !== 'object' || parsed === null) return 'mx';
  if (parsed.ns !== undefined && !hosts(parsed.ns)) return 'ns';
  if (parsed.mx === undefined && parsed.ns !== undefined) return { mx: [], ns: parsed.ns as string[] };
  if (!hosts(parsed.mx)) return 'mx';
  return { mx: parsed.mx, ...(parsed.ns === undefined ? {} : { ns: parsed.ns as string[] }) };
}

/** The `{ "recipient": "<email>" }` of POST /_local/ses/bounces, lower-cased. */
function parseRecipientBody(body: string): string | undefined {
  try {
    const { recipient } = JSON.parse(body) as { recipient?: unknown };
    return typeof recipient === 'string' && /^[^@\s]+@[^@\s]+$/.test(recipient) ? recipient.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

function parseApproveBody(body: string): boolean | undefined {
  try {
    const { approve } = JSON.parse(body) as { approve?: unknown };
    return typeof approve === 'boolean' ? approve : undefined;
  } catch {
    return undefined;
  }
}

function notWaitingProblem(detail: string) {
  return {
    status: 409,
    body: {
      type: 'https://pec-provisioning.dev/problems/not_waiting_for_holder',
      title: 'Conflict',
      status: 409,
      detail,
      code: 'not_waiting_for_holder',
    },
  };
}

function localProblem(path: string, message: string) {
  return {
    status: 400,
    body: {
      type: 'https://pec-provisioning.dev/problems/validation_failed',
      title: 'Bad Request',
      status: 400,
      detail: 'The request has invalid fields.',
      code: 'validation_failed',
      errors: [{ path, message }],
    },
  };
}

/** A statement file that cannot be applied (nothing of it was): every problem, by its path in the document. */
function statementProblem(errors: { path: string; message: string }[]) {
  const problem = localProblem('(body)', '');
  return {
    status: 400,
    body: { ...problem.body, detail: 'The bank statement cannot be applied; nothing of it was.', errors },
  };
}

function retryLaterProblem(detail: string) {
  return {
    status: 503,
    body: {
      type: 'https://pec-provisioning.dev/problems/retry_later',
      title: 'Service Unavailable',
      status: 503,
      detail,
      code: 'retry_later',
    },
  };
}

/** One line per finished workflow: the order, its outcome and the states it went through. */
function printExecution(execution: LocalExecutionRecord) {
  const states = execution.history
    .filter((event) => event.type.endsWith('StateEntered'))
    .map((event) => (event.stateEnteredEventDetails as { name?: string } | undefined)?.name)
    .join(' → ');
  const error = execution.error ? ` (${execution.error})` : '';
  console.log(`workflow ${execution.name}: ${execution.status}${error}: ${states}`);
}

/**
 * API Gateway's GetUsagePlans, GetApiKeys, CreateApiKey and CreateUsagePlanKey, as the SDK calls them (REST JSON),
 * played by the local gateway for the approval of a reseller: a key is accepted once it is on a usage plan. As in
 * AWS, names are not unique, `name` (the SDK's nameQuery) matches a prefix, and a key already on the plan is a 409.
 */
function apiKeyRoutes(gateway: () => HttpGateway): LocalRoute[] {
  const created = new Map<string, { id: string; value: string; name: string; createdDate: number; onPlan: boolean }>();
  return [
    {
      // The resellers' usage plan of the stack (`resellersUsagePlan` in infra/constructs/needs.ts).
      method: 'GET',
      pattern: /^\/usageplans$/,
      handle: async () => ({
        status: 200,
        body: { item: [{ id: 'local-resellers', name: 'PecStateless-resellers' }] },
      }),
    },
    {
      method: 'GET',
      pattern: /^\/apikeys$/,
      handle: async (_match, _body, query) => {
        const prefix = query.get('name') ?? '';
        const values = query.get('includeValues') === 'true';
        const items = [...created.values()]
          .filter((key) => key.name.startsWith(prefix))
          .map(({ id, value, name, createdDate }) => ({
            id,
            name,
            enabled: true,
            createdDate,
            ...(values ? { value } : {}),
          }));
        return { status: 200, body: { item: items } };
      },
    },
    {
      method: 'POST',
      pattern: /^\/apikeys$/,
      handle: async (_match, body) => {
        const { name = '' } = JSON.parse(body) as { name?: string };
        const value = `rk_local_${randomBytes(16).toString('hex')}`;
        const id = localApiKeyId(value);
        const createdDate = Date.now() / 1000;
        created.set(id, { id, value, name, createdDate, onPlan: false });
        return { status: 201, body: { id, value, name, enabled: true, createdDate } };
      },
    },
    {
      method: 'POST',
      pattern: /^\/usageplans\/([^/]+)\/keys$/,
      handle: async (_match, body) => {
        const { keyId } = JSON.parse(body) as { keyId: string };
        const key = created.get(keyId);
        if (!key) return { status: 404, body: { message: 'Invalid API Key identifier specified' } };
        if (key.onPlan) {
          return {
            status: 409,
            body: { code: 'ConflictException', message: 'Usage Plan already contains this API key' },
          };
        }
        key.onPlan = true;
        gateway().acceptApiKey(key.value, keyId);
        return { status: 201, body: { id: keyId, type: 'API_KEY' } };
      },
    },
  ];
}
