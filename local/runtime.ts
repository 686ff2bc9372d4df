import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { startDnsServer } from './aws/dns-server.ts';
import { createTableFromTemplate, startDynamoDb } from './aws/dynamodb.ts';
import { startS3Server } from './aws/s3-server.ts';
import { type LocalOutbox, startSesServer } from './aws/ses-server.ts';
import {
  type LocalExecutionRecord,
  type LocalStepFunctionsServer,
  startStepFunctionsServer,
} from './aws/stepfunctions-server.ts';
import { type HttpGateway, startHttpGateway } from './http-gateway.ts';
import {
  functionsOf,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  type LocalFunction,
  stateMachineDefinitionOf,
  synthesizeApp,
  tableOf,
  taskFunctions,
} from './template.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface LocalRuntimeOptions {
  /** HTTP port; 0 picks a free one. */
  port?: number;
  /** The key storefront routes accept in `x-api-key`. */
  storefrontApiKey?: string;
  /** The secret payment webhooks are signed with. */
  paymentWebhookSecret?: string;
  /** Overrides the configured wait for a bank transfer or postal slip credit. */
  paymentWaitSeconds?: number;
  /** Overrides how long a first-access link stays valid (deployed: 72 hours). */
  accessTokenTtlSeconds?: number;
  /** Handler log level (Powertools): WARN keeps the console readable. */
  logLevel?: string;
  /** Prints one line per request and per workflow outcome. */
  verbose?: boolean;
  /** How long the workflow waits between two MX checks of a holder's domain (deployed: 15 minutes). */
  dnsPollMs?: number;
}

export interface LocalRuntime {
  url: string;
  outbox: LocalOutbox;
  /** The audit bucket's objects (audit trail and documents), key to JSON text. */
  auditObjects(): Map<string, string>;
  stepFunctions: LocalStepFunctionsServer;
  stateMachineArn: string;
  /** Resolves when no workflow execution is running. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Starts the whole product on this machine: the real handlers and the real state-machine definition
 * (taken from the synthesized CDK templates), on local stand-ins for DynamoDB (dynalite), Step
 * Functions (aws-local-stepfunctions), SES and S3. The production adapters are pointed at the
 * stand-ins through the standard `AWS_ENDPOINT_URL_*` variables and run unchanged.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const { stateful, stateless } = synthesizeApp();
  const [dynamo, ses, s3, dns] = await Promise.all([
    startDynamoDb(),
    startSesServer(),
    startS3Server(),
    startDnsServer(),
  ]);
  const stopAll: (() => Promise<void>)[] = [dynamo.stop, ses.stop, s3.stop, dns.stop];

  const table = tableOf(stateful);
  const tableName = 'pec-local';
  await createTableFromTemplate(dynamo.endpoint, tableName, table.properties);

  const functions = functionsOf(stateless);
  const definition = stateMachineDefinitionOf(stateless);
  const stateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:pec-order-fulfilment`;

  // One process plays every function, so one environment: the functions' own variables from the
  // template, their references to other resources resolved to the local ones.
  const references: Record<string, string> = {
    TABLE_NAME: tableName,
    AUDIT_BUCKET: 'pec-local-audit',
    ORDER_WORKFLOW_ARN: stateMachineArn,
    // Locally the secret itself is in PAYMENT_WEBHOOK_SECRET, which takes precedence.
    PAYMENT_WEBHOOK_SECRET_ARN: 'local-secret',
  };
  Object.assign(process.env, {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SES: ses.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    DNS_SERVERS: dns.address,
  });
  for (const fn of functions) {
    for (const name of fn.references) {
      const value = references[name];
      if (value === undefined) throw new Error(`No local value for ${name} (function ${fn.handler})`);
      process.env[name] = value;
    }
    Object.assign(process.env, fn.environment);
  }
  process.env.POWERTOOLS_LOG_LEVEL = options.logLevel ?? 'WARN';
  if (options.paymentWaitSeconds !== undefined) process.env.PAYMENT_WAIT_SECONDS = String(options.paymentWaitSeconds);
  if (options.accessTokenTtlSeconds !== undefined) {
    process.env.ACCESS_TOKEN_TTL_SECONDS = String(options.accessTokenTtlSeconds);
  }
  process.env.PAYMENT_WEBHOOK_SECRET = options.paymentWebhookSecret ?? 'whsec_local_dev';

  const invoke = lambdaInvoker(functions);
  const taskHandlers = Object.fromEntries(
    Object.entries(taskFunctions(definition, functions)).map(([state, fn]) => [
      state,
      (input: unknown) => invoke(fn, input),
    ]),
  );
  // Wait states that poll the outside world wait milliseconds locally instead of minutes.
  const waitTimeOverrides = { WaitForDns: options.dnsPollMs ?? 250 };
  const stepFunctions = await startStepFunctionsServer(
    [{ arn: stateMachineArn, definition, taskHandlers, waitTimeOverrides }],
    {
      region: LOCAL_REGION,
      onSettled: options.verbose ? printExecution : undefined,
    },
  );
  process.env.AWS_ENDPOINT_URL_SFN = stepFunctions.endpoint;
  stopAll.unshift(stepFunctions.stop);

  let gateway: HttpGateway;
  try {
    gateway = await startHttpGateway({
      port: options.port ?? 0,
      storefrontApiKey: options.storefrontApiKey ?? 'sk_local_dev',
      functions,
      invoke,
      outbox: ses.outbox,
      verbose: options.verbose ?? false,
      localRoutes: [
        {
          // Runs the scheduled sweep as if it were `at`, and answers once the workflows it started have ended.
          method: 'POST',
          pattern: /^\/_local\/renewal-sweep$/,
          handle: async (_match, body) => {
            const at = parseSweepBody(body);
            if (!at) return localProblem('at', 'The body must be { "at": "<ISO 8601 time>" }.');
            const sweep = functions.find((fn) => fn.handler === 'renewal-sweep');
            if (!sweep) throw new Error('The template has no renewal-sweep function');
            const result = (await invoke(sweep, { at })) as SweepSummary;
            await executionsEnded(stepFunctions, result.startedOrders);
            const { reminders, autoRenewals, suspended, deleted } = result;
            return { status: 200, body: { reminders, autoRenewals, suspended, deleted } };
          },
        },
        {
          // The MX records the DNS check sees for a domain (CONTRACT.md, local runtime only).
          method: 'PUT',
          pattern: /^\/_local\/dns\/([^/]+)$/,
          handle: async (match, body) => {
            const domain = decodeURIComponent(match[1] ?? '').toLowerCase();
            const mx = parseMxBody(body);
            if (!mx) return localProblem('mx', 'The body must be { "mx": ["host", ...] } with host names.');
            dns.setMx(domain, mx);
            return { status: 200, body: { domain, mx } };
          },
        },
      ],
    });
  } catch (error) {
    await Promise.all(stopAll.map((stop) => stop()));
    throw error;
  }
  // The first-access link points at the local API, so it can be tried with curl.
  process.env.PASSWORD_SETUP_URL = `${gateway.url}/password-setup`;
  stopAll.unshift(gateway.stop);

  return {
    url: gateway.url,
    outbox: ses.outbox,
    auditObjects: () =>
      new Map([...s3.objects(references.AUDIT_BUCKET as string)].map(([key, body]) => [key, body.toString('utf8')])),
    stepFunctions,
    stateMachineArn,
    idle: () => stepFunctions.idle(),
    async stop() {
      for (const stop of stopAll) await stop();
    },
  };
}

interface SweepSummary {
  reminders: number;
  autoRenewals: number;
  suspended: number;
  deleted: number;
  startedOrders: string[];
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

function parseMxBody(body: string): string[] | undefined {
  try {
    const parsed = JSON.parse(body) as { mx?: unknown };
    const hostname =
      /^(?=.{1,253}\.?$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.?$/i;
    if (!Array.isArray(parsed.mx) || !parsed.mx.every((host) => typeof host === 'string' && hostname.test(host))) {
      return undefined;
    }
    return parsed.mx as string[];
  } catch {
    return undefined;
  }
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
 * Invokes a function the way Lambda would: its handler module loaded once, the event and the
 * result passed through JSON, a Lambda-like context.
 */
function lambdaInvoker(functions: LocalFunction[]) {
  const modules = new Map<string, Promise<{ handler: LambdaHandler }>>();
  const load = (handler: string) => {
    let loaded = modules.get(handler);
    if (!loaded) {
      const file = pathToFileURL(path.join(root, 'functions/handlers', `${handler}.ts`)).href;
      loaded = import(file) as Promise<{ handler: LambdaHandler }>;
      modules.set(handler, loaded);
    }
    return loaded;
  };
  const known = new Set(functions.map((fn) => fn.handler));
  return async (fn: LocalFunction, event: unknown): Promise<unknown> => {
    if (!known.has(fn.handler)) throw new Error(`Unknown function ${fn.handler}`);
    const { handler } = await load(fn.handler);
    const deadline = Date.now() + 30_000;
    const context = {
      functionName: fn.logicalId,
      functionVersion: '$LATEST',
      invokedFunctionArn: fn.arn,
      memoryLimitInMB: '512',
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${fn.logicalId}`,
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: false,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    } satisfies Context;
    const result = await handler(JSON.parse(JSON.stringify(event ?? null)), context);
    return result === undefined ? null : JSON.parse(JSON.stringify(result));
  };
}
