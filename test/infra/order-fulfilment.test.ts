import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorName } from '../../functions/domain/errors.ts';
import { HANDLER_METADATA_KEY } from '../../infra/constructs/pec-function.ts';
import { buildPecApp } from '../../infra/pec-app.ts';
import {
  type CfnResource,
  referencedLogicalId,
  resourcesOfType,
  type StateDefinition,
  type StateMachineDefinition,
  stateMachineDefinition,
  stateMachineOf,
} from './template-queries.ts';

let template: Template;
let stateMachine: CfnResource;
let definition: StateMachineDefinition;

beforeAll(() => {
  const { stateless } = buildPecApp({ skipBundling: true, nag: false });
  template = Template.fromStack(stateless);
  [, stateMachine] = stateMachineOf(template, 'OrderFulfilment');
  definition = stateMachineDefinition(stateMachine);
});

const state = (name: string): StateDefinition => {
  const found = definition.States[name];
  if (!found) throw new Error(`the workflow has no state ${name}`);
  return found;
};

/** Whether an ErrorEquals list catches an error, as Step Functions matches them. */
const matchesError = (errorEquals: string[], error: string) =>
  errorEquals.includes(error) ||
  errorEquals.includes('States.ALL') ||
  (errorEquals.includes('States.TaskFailed') && error !== 'States.Timeout');

/** Where a state goes when its task fails with `error`: the first matching catcher wins. */
const catcherFor = (name: string, error: string) =>
  state(name).Catch?.find((catcher) => matchesError(catcher.ErrorEquals, error));

const retrierFor = (name: string, error: string) =>
  state(name).Retry?.find((retrier) => matchesError(retrier.ErrorEquals, error));

/** How many times a state retries `error`: the first matching retrier decides (Step Functions' default is 3). */
const retriesOf = (name: string, error: string) => {
  const retrier = retrierFor(name, error);
  return retrier ? (retrier.MaxAttempts ?? 3) : 0;
};

const TASK_STATES = [
  'SendOrderConfirmation',
  'ChargePayment',
  'AwaitAuthentication',
  'AwaitPayment',
  'ProvisionMailbox',
  'SendFirstAccessEmail',
  'ExtendMailbox',
  'CheckDomainDns',
  'WaitForDns',
  'CompleteOrder',
  'FailOrder',
  'CancelOrder',
];
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** How often a state retries a transient failure, and the closing states (which settle the money), longer. */
const TRANSIENT_ATTEMPTS = 6;
const CLOSING_ATTEMPTS = 10;

describe('the order fulfilment state machine', () => {
  it('is a Standard workflow with X-Ray tracing', () => {
    expect(stateMachine.Properties?.StateMachineType).toBe('STANDARD');
    expect(stateMachine.Properties?.TracingConfiguration).toEqual({ Enabled: true });
  });

  it('logs every event to a log group with a retention', () => {
    const logging = stateMachine.Properties?.LoggingConfiguration as {
      Level: string;
      Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: unknown } }[];
    };
    expect(logging.Level).toBe('ALL');
    const logGroupId = referencedLogicalId(logging.Destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn);
    const logGroup = resourcesOfType(template, 'AWS::Logs::LogGroup')[logGroupId ?? ''];
    expect(logGroup?.Properties?.RetentionInDays).toBe(30);
  });

  it('bounds the whole execution by the payment wait, the DNS deadline and a day (30 + 14 + 1 days by default)', () => {
    expect(definition.TimeoutSeconds).toBe((30 + 14 + 1) * 24 * 3600);
  });

  it('gives every Task a timeout, and a Catch but for the closing and completing steps, which an operator redrives', () => {
    const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');
    expect(tasks.map(([name]) => name).sort()).toEqual([...TASK_STATES].sort());
    const untimed = tasks
      .filter(([, s]) => s.TimeoutSeconds === undefined && s.TimeoutSecondsPath === undefined)
      .map(([name]) => name);
    expect(untimed).toEqual([]);
    // Once their retries run out they fail the execution in their own state: a redrive resumes there.
    const uncaught = tasks.filter(([, s]) => !s.Catch?.length).map(([name]) => name);
    expect(uncaught.sort()).toEqual(['CancelOrder', 'CompleteOrder', 'FailOrder']);
  });
});

describe('AwaitPayment', () => {
  it('waits for the task token for the per-order payment wait', () => {
    expect(state('AwaitPayment')).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSecondsPath: '$.paymentWaitSeconds',
    });
  });

  it('cancels the order when the wait runs out', () => {
    expect(catcherFor('AwaitPayment', 'States.Timeout')?.Next).toBe('CancelOrder');
  });

  it('cancels the order when its storefront cancels it (the token failed with OrderCancelledError)', () => {
    expect(catcherFor('AwaitPayment', ErrorName.OrderCancelledError)?.Next).toBe('CancelOrder');
  });

  it('fails the order when the provider reports a failed payment', () => {
    expect(catcherFor('AwaitPayment', ErrorName.PaymentFailed)?.Next).toBe('FailOrder');
  });

  it('retries its function failing, but never the wait running out', () => {
    expect(retriesOf('AwaitPayment', 'States.TaskFailed')).toBe(TRANSIENT_ATTEMPTS);
    expect(retriesOf('AwaitPayment', 'States.Timeout')).toBe(0);
  });

  it('goes on to activation when a retried wait finds the order paid already', () => {
    expect(catcherFor('AwaitPayment', 'PaymentAlreadyReceivedError')?.Next).toBe('RouteOrderKind');
  });
});

describe('AwaitAuthentication: 3-D Secure and PayPal’s approval', () => {
  it('is where ChargePayment goes when the payment waits for the holder, never retrying that', () => {
    expect(catcherFor('ChargePayment', ErrorName.PaymentRequiresActionError)?.Next).toBe('AwaitAuthentication');
    expect(retriesOf('ChargePayment', ErrorName.PaymentRequiresActionError)).toBe(0);
  });

  it('waits for the task token for one hour by default', () => {
    expect(state('AwaitAuthentication')).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSeconds: 3600,
    });
  });

  it('takes its bound from pec:authenticationWaitMinutes, or pec:authenticationWaitSeconds', () => {
    const timeoutWith = (context: Record<string, unknown>) => {
      const { stateless } = buildPecApp({ skipBundling: true, nag: false, context });
      const [, machine] = stateMachineOf(Template.fromStack(stateless), 'OrderFulfilment');
      return stateMachineDefinition(machine).States.AwaitAuthentication?.TimeoutSeconds;
    };
    expect(timeoutWith({ 'pec:authenticationWaitMinutes': 15 })).toBe(900);
    expect(timeoutWith({ 'pec:authenticationWaitSeconds': 3 })).toBe(3);
  });

  it('goes back to ChargePayment once resumed, or when the payment went through before the token was kept', () => {
    expect(state('AwaitAuthentication').Next).toBe('ChargePayment');
    expect(catcherFor('AwaitAuthentication', ErrorName.PaymentAlreadyReceivedError)?.Next).toBe('ChargePayment');
  });

  it('fails the order when Stripe reports the payment failed, or it was declined before the token was kept', () => {
    expect(catcherFor('AwaitAuthentication', ErrorName.PaymentFailed)?.Next).toBe('FailOrder');
    expect(catcherFor('AwaitAuthentication', ErrorName.PaymentDeclinedError)?.Next).toBe('FailOrder');
    expect(retriesOf('AwaitAuthentication', ErrorName.PaymentFailed)).toBe(0);
    expect(retriesOf('AwaitAuthentication', ErrorName.PaymentDeclinedError)).toBe(0);
  });

  it('cancels the order when the holder does not act in time, never retrying the wait', () => {
    expect(catcherFor('AwaitAuthentication', 'States.Timeout')?.Next).toBe('CancelOrder');
    expect(retriesOf('AwaitAuthentication', 'States.Timeout')).toBe(0);
    expect(retriesOf('AwaitAuthentication', 'States.TaskFailed')).toBe(TRANSIENT_ATTEMPTS);
  });
});

describe('CheckDomainDns and WaitForDns: PEC on the holder’s domain', () => {
  it('checks with the whole state (the previous answer in $.dns) and keeps its answer in $.dns', () => {
    expect(state('CheckDomainDns').Parameters).toBeUndefined();
    expect(state('CheckDomainDns').ResultPath).toBe('$.dns');
    expect(state('CheckDomainDns').Next).toBe('DomainReady');
  });

  it('provisions a ready domain, else waits', () => {
    expect(state('DomainReady')).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.dns.ready', BooleanEquals: true, Next: 'ProvisionMailbox' }],
      Default: 'WaitForDns',
    });
  });

  it('waits on a task token for the interval the check answered, keeping the state as it was', () => {
    expect(state('WaitForDns')).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSecondsPath: '$.dns.waitSeconds',
      ResultPath: null,
      Next: 'CheckDomainDns',
    });
    expect(JSON.stringify(state('WaitForDns').Parameters)).toContain('$$.Task.Token');
  });

  it('checks again when the wait runs out or a check was asked for meanwhile, never retrying them', () => {
    for (const error of ['States.Timeout', ErrorName.DnsCheckRequestedError]) {
      expect(catcherFor('WaitForDns', error)).toMatchObject({ Next: 'CheckDomainDns', ResultPath: null });
      expect(retriesOf('WaitForDns', error)).toBe(0);
    }
    expect(catcherFor('WaitForDns', ErrorName.ProvisioningImpossibleError)?.Next).toBe('FailOrder');
  });

  it('fails the order (refund recorded by FailOrder) when the domain is not set up by the deadline', () => {
    expect(catcherFor('CheckDomainDns', ErrorName.DomainNotConfiguredError)?.Next).toBe('FailOrder');
  });

  it('gives the check the backoff settings: 5 minutes first, doubling up to 2 hours, by default', () => {
    const checks = Object.values(resourcesOfType(template, 'AWS::Lambda::Function')).filter(
      (fn) => fn.Metadata?.[HANDLER_METADATA_KEY] === 'check-domain-dns',
    );
    expect(checks).toHaveLength(1);
    const environment = checks[0]?.Properties?.Environment as { Variables?: Record<string, string> } | undefined;
    expect(environment?.Variables).toMatchObject({
      DNS_POLL_FIRST_SECONDS: '300',
      DNS_POLL_MAX_SECONDS: '7200',
      DNS_DEADLINE_SECONDS: String(14 * 24 * 3600),
    });
  });
});

describe('SendOrderConfirmation', () => {
  it('confirms a new card or PayPal order before it is charged, and a renewal goes straight to the charge', () => {
    // A reseller's order (paid from credit at intake) goes straight to activation.
    expect(state('RoutePayment').Choices?.map((choice) => choice.Next)).toEqual([
      'RouteOrderKind',
      'SendOrderConfirmation',
      'ChargePayment',
    ]);
    expect(state('RoutePayment').Choices?.[0]).toMatchObject({ Variable: '$.payment.method', StringEquals: 'credit' });
    expect(state('RoutePayment').Default).toBe('AwaitPayment');
    expect(state('SendOrderConfirmation').Next).toBe('ChargePayment');
  });

  it('never holds the order back: whatever fails, once retried, the charge goes ahead', () => {
    expect(catcherFor('SendOrderConfirmation', 'States.TaskFailed')?.Next).toBe('ChargePayment');
    expect(catcherFor('SendOrderConfirmation', 'States.Timeout')?.Next).toBe('ChargePayment');
  });
});

describe('ChargePayment', () => {
  it('fails the order on a declined payment', () => {
    expect(catcherFor('ChargePayment', ErrorName.PaymentDeclinedError)?.Next).toBe('FailOrder');
  });

  it('never retries a declined payment (that would charge the card again)', () => {
    expect(retriesOf('ChargePayment', 'PaymentDeclinedError')).toBe(0);
  });

  it('retries a gateway outage and a timed-out attempt (the retry looks the charge up first)', () => {
    expect(retriesOf('ChargePayment', 'PaymentGatewayUnavailableError')).toBe(TRANSIENT_ATTEMPTS);
    expect(retriesOf('ChargePayment', 'States.Timeout')).toBe(TRANSIENT_ATTEMPTS);
    expect(retriesOf('ChargePayment', 'Sandbox.Timedout')).toBe(TRANSIENT_ATTEMPTS);
  });
});

describe('retry policies', () => {
  it.each(TASK_STATES)('%s retries any transient failure with exponential backoff and full jitter, capped', (name) => {
    for (const error of ['States.TaskFailed', 'ThrottlingException', 'Sandbox.Timedout', ...LAMBDA_SERVICE_ERRORS]) {
      const attempts = name === 'FailOrder' || name === 'CancelOrder' ? CLOSING_ATTEMPTS : TRANSIENT_ATTEMPTS;
      expect(retriesOf(name, error), `${name} retries ${error}`).toBe(attempts);
      expect(retrierFor(name, error)).toMatchObject({
        BackoffRate: 2,
        JitterStrategy: 'FULL',
        MaxDelaySeconds: expect.any(Number),
        IntervalSeconds: expect.any(Number),
      });
    }
  });

  it.each([
    ['ChargePayment', 'ProvisioningImpossibleError'],
    ['ProvisionMailbox', 'ProvisioningImpossibleError'],
    ['ExtendMailbox', 'ProvisioningImpossibleError'],
    ['CheckDomainDns', 'DomainNotConfiguredError'],
    ['CheckDomainDns', 'ProvisioningImpossibleError'],
    ['WaitForDns', 'DnsCheckRequestedError'],
    ['WaitForDns', 'ProvisioningImpossibleError'],
    ['CompleteOrder', 'ProvisioningImpossibleError'],
    ['AwaitPayment', 'PaymentFailed'],
    ['AwaitPayment', 'OrderCancelledError'],
    ['AwaitPayment', 'PaymentAlreadyReceivedError'],
    ['AwaitPayment', 'ProvisioningImpossibleError'],
  ])('%s does not retry the permanent %s', (name, error) => {
    expect(retriesOf(name, error)).toBe(0);
  });

  it('the closing states are retried longest: closing is what settles the money', () => {
    for (const name of ['FailOrder', 'CancelOrder'])
      expect(retriesOf(name, 'States.TaskFailed')).toBe(CLOSING_ATTEMPTS);
  });

  it('no task keeps CDK’s default Lambda retrier without jitter', () => {
    const unjittered = TASK_STATES.flatMap((name) =>
      (state(name).Retry ?? [])
        .filter((retrier) => (retrier.MaxAttempts ?? 3) > 0 && retrier.JitterStrategy !== 'FULL')
        .map(() => name),
    );
    expect(unjittered).toEqual([]);
  });
});
