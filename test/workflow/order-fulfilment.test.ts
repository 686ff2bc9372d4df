import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nextDnsPollSeconds } from '../../functions/domain/domain-dns.ts';
import { ErrorName } from '../../functions/domain/errors.ts';
import { SETTING_DEFAULTS } from '../../infra/pec-app.ts';
import { type LocalStepFunctionsServer, startStepFunctionsServer } from '../../local/aws/stepfunctions/server.ts';
import { functionsOf, stateMachineDefinitionOf, synthesizeApp, taskFunctions } from '../../local/template.ts';
import { transitionsWithin } from '../support/dns-wait.ts';

/*
 * The synthesized order workflow, run state by state: every Task state is played by a recording
 * stand-in, so these tests check the definition itself (routing, Retry, Catch, timeouts), exactly as
 * `cdk deploy` would deploy it.
 */

const ARN = 'arn:aws:states:eu-south-1:000000000000:stateMachine:order-fulfilment-test';
/** The same definition, whose DNS waits last ten minutes: only a SendTaskSuccess ends them in a test. */
const ARN_LONG_DNS_WAIT = `${ARN}-long-dns-wait`;
/** The same definition, whose wait for the holder (3-D Secure) lasts 50 ms instead of an hour. */
const ARN_SHORT_AUTHENTICATION = `${ARN}-short-authentication`;
type Behaviour = (input: any) => Promise<unknown>;

let server: LocalStepFunctionsServer;
let sfn: SFNClient;
const calls: { state: string; input: any }[] = [];
const behaviours: Record<string, Behaviour> = {};

class NamedError extends Error {
  constructor(name: string) {
    super(`${name} (simulated)`);
    this.name = name;
  }
}

beforeAll(async () => {
  const { stateless } = synthesizeApp();
  const definition = stateMachineDefinitionOf(stateless);
  // Every Task state of the definition is played by a recording stand-in.
  const taskStates = Object.keys(taskFunctions(definition, functionsOf(stateless)));
  const taskHandlers = Object.fromEntries(
    taskStates.map((state) => [
      state,
      async (input: unknown) => {
        calls.push({ state, input });
        return (behaviours[state] ?? (async () => null))(input);
      },
    ]),
  );
  // Retries wait 10 ms instead of seconds: the test is about which path is taken.
  const retryIntervalOverrides = Object.fromEntries(taskStates.map((state) => [state, 10]));
  // The wait between two DNS checks lasts 10 ms instead of minutes.
  const callbackTimeoutOverrides = { WaitForDns: 10 };
  server = await startStepFunctionsServer([
    { arn: ARN, definition, taskHandlers, retryIntervalOverrides, callbackTimeoutOverrides },
    {
      arn: ARN_LONG_DNS_WAIT,
      definition,
      taskHandlers,
      retryIntervalOverrides,
      callbackTimeoutOverrides: { WaitForDns: 600_000 },
    },
    {
      arn: ARN_SHORT_AUTHENTICATION,
      definition,
      taskHandlers,
      retryIntervalOverrides,
      callbackTimeoutOverrides: { ...callbackTimeoutOverrides, AwaitAuthentication: 50 },
    },
  ]);
  sfn = new SFNClient({
    endpoint: server.endpoint,
    region: 'eu-south-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(() => server?.stop());
beforeEach(() => {
  calls.length = 0;
  for (const key of Object.keys(behaviours)) delete behaviours[key];
});

let counter = 0;
async function run(input: Record<string, unknown>, stateMachineArn = ARN) {
  const name = `test-${Date.now()}-${counter++}`;
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ orderId: name, ...input }) }),
  );
  return executionArn as string;
}

async function finished(executionArn: string) {
  for (;;) {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') return execution;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function enteredStates(executionArn: string) {
  const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return (events ?? []).filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails?.name);
}

/** Waits until AwaitPayment (or `state`) has been called for this order, and answers the task token it was given. */
async function waitingToken(orderId: string, state = 'AwaitPayment'): Promise<string> {
  for (;;) {
    const call = calls.find((c) => c.state === state && c.input.orderId === orderId);
    if (call) return call.input.taskToken;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const card = { payment: { method: 'card' }, paymentWaitSeconds: 2_592_000 };
/** The DNS poll's backoff as the deployed settings give it. */
const DEFAULT_POLL = {
  firstSeconds: SETTING_DEFAULTS.domainDnsPollMinutes * 60,
  maxSeconds: SETTING_DEFAULTS.domainDnsPollMaxMinutes * 60,
};
const transfer = (seconds = 2_592_000) => ({ payment: { method: 'bank_transfer' }, paymentWaitSeconds: seconds });

describe('order workflow: card and PayPal', () => {
  it.each(['card', 'paypal'])(
    '%s: confirmation → charge → provision → first-access email → completed, in 8 transitions',
    async (method) => {
      const arn = await run({ ...card, kind: 'new', payment: { method } });
      const execution = await finished(arn);
      expect(execution.status).toBe('SUCCEEDED');
      expect(await enteredStates(arn)).toEqual([
        'RoutePayment',
        'SendOrderConfirmation',
        'ChargePayment',
        'RouteOrderKind',
        'ProvisionMailbox',
        'SendFirstAccessEmail',
        'CompleteOrder',
        'OrderCompleted',
      ]);
      expect(calls.find((c) => c.state === 'ChargePayment')?.input).toEqual({ orderId: expect.any(String) });
      expect(calls.find((c) => c.state === 'SendOrderConfirmation')?.input).toEqual({ orderId: expect.any(String) });
    },
  );

  it('a confirmation that cannot be sent does not hold the order back: after its retries, the charge goes ahead', async () => {
    behaviours.SendOrderConfirmation = failing(Number.POSITIVE_INFINITY, 'ServiceUnavailable');
    const arn = await run(card);
    expect((await finished(arn)).status).toBe('SUCCEEDED');
    expect(attemptsOf('SendOrderConfirmation')).toBe(7);
    expect(attemptsOf('ChargePayment')).toBe(1);
    expect(attemptsOf('FailOrder')).toBe(0);
  });

  it('an order without a kind (placed before renewals existed) is a new one, confirmed too', async () => {
    const arn = await run(card);
    expect((await finished(arn)).status).toBe('SUCCEEDED');
    expect(attemptsOf('SendOrderConfirmation')).toBe(1);
  });

  it('a renewal: charge → extend the mailbox → completed, no provisioning and no first-access email', async () => {
    const arn = await run({ ...card, kind: 'renewal' });
    expect((await finished(arn)).status).toBe('SUCCEEDED');
    expect(await enteredStates(arn)).toEqual([
      'RoutePayment',
      'ChargePayment',
      'RouteOrderKind',
      'ExtendMailbox',
      'CompleteOrder',
      'OrderCompleted',
    ]);
  });

  it('a renewal that cannot be applied fails the order', async () => {
    behaviours.ExtendMailbox = async () => {
      throw new NamedError(ErrorName.ProvisioningImpossibleError);
    };
    const execution = await finished(await run({ ...card, kind: 'renewal' }));
    expect(execution.error).toBe('OrderFailed');
    expect(calls.filter((c) => c.state === 'ExtendMailbox')).toHaveLength(1);
  });

  it('a declined payment fails the order, with the error name, and never provisions', async () => {
    behaviours.ChargePayment = async () => {
      throw new NamedError(ErrorName.PaymentDeclinedError);
    };
    const arn = await run(card);
    const execution = await finished(arn);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('OrderFailed');
    const failCall = calls.find((c) => c.state === 'FailOrder');
    expect(failCall?.input).toMatchObject({ outcome: 'failed', error: { Error: ErrorName.PaymentDeclinedError } });
    expect(calls.filter((c) => c.state === 'ChargePayment')).toHaveLength(1); // a decline is not retried
    expect(calls.some((c) => c.state === 'ProvisionMailbox')).toBe(false);
  });

  it('a gateway outage is retried, then succeeds', async () => {
    let attempts = 0;
    behaviours.ChargePayment = async () => {
      attempts++;
      if (attempts < 3) throw new NamedError(ErrorName.PaymentGatewayUnavailableError);
      return null;
    };
    const execution = await finished(await run(card));
    expect(execution.status).toBe('SUCCEEDED');
    expect(attempts).toBe(3);
  });

  it('an impossible provisioning is not retried and fails the order', async () => {
    behaviours.ProvisionMailbox = async () => {
      throw new NamedError(ErrorName.ProvisioningImpossibleError);
    };
    const execution = await finished(await run(card));
    expect(execution.error).toBe('OrderFailed');
    expect(calls.filter((c) => c.state === 'ProvisionMailbox')).toHaveLength(1);
    expect(calls.find((c) => c.state === 'FailOrder')?.input.error.Error).toBe(ErrorName.ProvisioningImpossibleError);
  });

  it('a first-access email that keeps failing still completes the paid order', async () => {
    behaviours.SendFirstAccessEmail = async () => {
      throw new NamedError('Throttling');
    };
    const execution = await finished(await run(card));
    expect(execution.status).toBe('SUCCEEDED');
    // The first attempt and its 6 retries.
    expect(calls.filter((c) => c.state === 'SendFirstAccessEmail')).toHaveLength(7);
    expect(calls.some((c) => c.state === 'CompleteOrder')).toBe(true);
  });
});

describe('order workflow: PEC on the holder’s domain waits for its MX records', () => {
  const ownDomain = { ...card, kind: 'new', domainPec: true };
  /** CheckDomainDns answering "not yet" with the real backoff of the default settings, then ready after `checks`. */
  const backoff = (readyAfter = Number.POSITIVE_INFINITY) => {
    let checks = 0;
    return async (input: any) => {
      checks++;
      if (checks > readyAfter) return { ready: true };
      return { ready: false, waitSeconds: nextDnsPollSeconds(input.dns?.waitSeconds, DEFAULT_POLL, 14 * 24 * 3600) };
    };
  };

  it('checks, waits on a task token whose timeout is the answered interval, backs off, then provisions', async () => {
    behaviours.CheckDomainDns = backoff(3);
    const arn = await run(ownDomain);
    expect((await finished(arn)).status).toBe('SUCCEEDED');
    expect(await enteredStates(arn)).toEqual([
      'RoutePayment',
      'SendOrderConfirmation',
      'ChargePayment',
      'RouteOrderKind',
      'CheckDomainDns',
      'DomainReady',
      'WaitForDns',
      'CheckDomainDns',
      'DomainReady',
      'WaitForDns',
      'CheckDomainDns',
      'DomainReady',
      'WaitForDns',
      'CheckDomainDns',
      'DomainReady',
      'ProvisionMailbox',
      'SendFirstAccessEmail',
      'CompleteOrder',
      'OrderCompleted',
    ]);
    // Each check is given the previous answer, and each wait times out after the interval answered.
    const checks = calls.filter((c) => c.state === 'CheckDomainDns').map((c) => c.input.dns?.waitSeconds);
    expect(checks).toEqual([undefined, 300, 600, 1200]);
    const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }));
    const timeouts = (events ?? [])
      .filter((e) => e.type === 'TaskScheduled' && e.taskScheduledEventDetails?.timeoutInSeconds !== 30)
      .map((e) => e.taskScheduledEventDetails?.timeoutInSeconds);
    expect(timeouts).toEqual([300, 600, 1200]);
    expect((events ?? []).filter((e) => e.type === 'TaskTimedOut')).toHaveLength(3);
    expect(calls.filter((c) => c.state === 'WaitForDns').map((c) => Object.keys(c.input).sort())).toEqual([
      ['orderId', 'taskToken'],
      ['orderId', 'taskToken'],
      ['orderId', 'taskToken'],
    ]);
  });

  it('a 72-hour wait with the default settings costs at most 250 state transitions', async () => {
    behaviours.CheckDomainDns = backoff();
    const arn = await run(ownDomain);
    const HOURS_72 = 72 * 3600;
    let history: Awaited<ReturnType<typeof transitionsWithin>>;
    for (;;) {
      const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }));
      history = transitionsWithin(events ?? [], HOURS_72);
      if (history.simulatedSeconds > HOURS_72) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await sfn.send(new StopExecutionCommand({ executionArn: arn }));
    expect(history.transitions).toBeLessThanOrEqual(250);
    // Three per round (check, choice, wait), besides the four of the card payment (route, order
    // confirmation, charge, route by kind): the backoff, not a fixed poll.
    expect(history.transitions).toBe(4 + 3 * history.checks);
    expect(history.checks).toBeLessThan(72 * 4); // every 15 minutes would be 288
  });

  it('a check asked for (the wait’s token used) checks at once, without waiting for the timeout', async () => {
    behaviours.CheckDomainDns = backoff(1);
    const arn = await run(ownDomain, ARN_LONG_DNS_WAIT);
    const orderId = JSON.parse((await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).input as string)
      .orderId as string;
    let token: string | undefined;
    while (!token) {
      token = calls.find((c) => c.state === 'WaitForDns' && c.input.orderId === orderId)?.input.taskToken;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"dnsCheckRequested":true}' }));
    expect((await finished(arn)).status).toBe('SUCCEEDED');
    const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }));
    expect((events ?? []).some((e) => e.type === 'TaskTimedOut')).toBe(false);
    expect(attemptsOf('CheckDomainDns', orderId)).toBe(2);
  });

  it('a check asked for while the last one ran (DnsCheckRequestedError) checks again at once, not retried', async () => {
    behaviours.CheckDomainDns = backoff(1);
    behaviours.WaitForDns = async () => {
      throw new NamedError(ErrorName.DnsCheckRequestedError);
    };
    const arn = await run(ownDomain);
    expect((await finished(arn)).status).toBe('SUCCEEDED');
    expect(attemptsOf('WaitForDns')).toBe(1);
    expect(attemptsOf('CheckDomainDns')).toBe(2);
  });

  it('a wait whose order is no longer activating fails the order', async () => {
    behaviours.CheckDomainDns = backoff();
    behaviours.WaitForDns = async () => {
      throw new NamedError(ErrorName.ProvisioningImpossibleError);
    };
    const execution = await finished(await run(ownDomain));
    expect(execution.error).toBe('OrderFailed');
    expect(calls.find((c) => c.state === 'FailOrder')?.input.error.Error).toBe(ErrorName.ProvisioningImpossibleError);
  });

  it('a domain never pointed at the provider fails the order at the deadline, without retrying', async () => {
    behaviours.CheckDomainDns = async () => {
      throw new NamedError(ErrorName.DomainNotConfiguredError);
    };
    const execution = await finished(await run(ownDomain));
    expect(execution.error).toBe('OrderFailed');
    expect(calls.filter((c) => c.state === 'CheckDomainDns')).toHaveLength(1);
    expect(calls.find((c) => c.state === 'FailOrder')?.input.error.Error).toBe(ErrorName.DomainNotConfiguredError);
    expect(calls.some((c) => c.state === 'ProvisionMailbox')).toBe(false);
  });
});

describe('order workflow: 3-D Secure and PayPal’s approval wait for the holder', () => {
  /** ChargePayment as the function behaves: the payment waits for the holder until `settled`, then it is charged. */
  function chargeWaitingForHolder() {
    const state = { settled: false };
    behaviours.ChargePayment = async () => {
      if (!state.settled) throw new NamedError(ErrorName.PaymentRequiresActionError);
      return null;
    };
    return state;
  }
  const orderIdOf = async (executionArn: string) =>
    JSON.parse((await sfn.send(new DescribeExecutionCommand({ executionArn }))).input as string).orderId as string;

  it('waits on a task token; the webhook’s SendTaskSuccess sends it back to ChargePayment, then on to activation', async () => {
    const payment = chargeWaitingForHolder();
    const arn = await run(card);
    const orderId = await orderIdOf(arn);
    const token = await waitingToken(orderId, 'AwaitAuthentication');
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status).toBe('RUNNING');

    payment.settled = true;
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ stripeEventId: 'evt' }) }));

    expect((await finished(arn)).status).toBe('SUCCEEDED');
    expect(await enteredStates(arn)).toEqual([
      'RoutePayment',
      'SendOrderConfirmation',
      'ChargePayment',
      'AwaitAuthentication',
      'ChargePayment',
      'RouteOrderKind',
      'ProvisionMailbox',
      'SendFirstAccessEmail',
      'CompleteOrder',
      'OrderCompleted',
    ]);
    // PaymentRequiresActionError is no failure to retry: one attempt, then the wait.
    expect(attemptsOf('ChargePayment', orderId)).toBe(2);
  });

  it('the holder abandoning it (SendTaskFailure with PaymentFailed) fails the order, as declined, without retrying', async () => {
    chargeWaitingForHolder();
    const arn = await run(card);
    const orderId = await orderIdOf(arn);
    await sfn.send(
      new SendTaskFailureCommand({
        taskToken: await waitingToken(orderId, 'AwaitAuthentication'),
        error: ErrorName.PaymentFailed,
        cause: 'Stripe event evt',
      }),
    );

    expect((await finished(arn)).error).toBe('OrderFailed');
    expect(calls.find((c) => c.state === 'FailOrder' && c.input.orderId === orderId)?.input).toMatchObject({
      outcome: 'failed',
      error: { Error: ErrorName.PaymentFailed },
    });
    expect(attemptsOf('AwaitAuthentication', orderId)).toBe(1);
  });

  it('a payment settled before the wait kept its token: succeeded goes back to ChargePayment, declined fails the order', async () => {
    const payment = chargeWaitingForHolder();
    behaviours.AwaitAuthentication = async () => {
      payment.settled = true;
      throw new NamedError(ErrorName.PaymentAlreadyReceivedError);
    };
    const paid = await run(card);
    expect((await finished(paid)).status).toBe('SUCCEEDED');
    expect(attemptsOf('AwaitAuthentication', await orderIdOf(paid))).toBe(1);

    chargeWaitingForHolder();
    behaviours.AwaitAuthentication = async () => {
      throw new NamedError(ErrorName.PaymentDeclinedError);
    };
    const declined = await run(card);
    expect((await finished(declined)).error).toBe('OrderFailed');
    expect(await enteredStates(declined)).toEqual([
      'RoutePayment',
      'SendOrderConfirmation',
      'ChargePayment',
      'AwaitAuthentication',
      'FailOrder',
      'OrderFailed',
    ]);
  });

  it('no answer within the bound cancels the order (CancelOrder cancels the PaymentIntent and frees the address)', async () => {
    chargeWaitingForHolder();
    const arn = await run(card, ARN_SHORT_AUTHENTICATION);

    const execution = await finished(arn);
    expect(execution.error).toBe('OrderCancelled');
    expect(await enteredStates(arn)).toEqual([
      'RoutePayment',
      'SendOrderConfirmation',
      'ChargePayment',
      'AwaitAuthentication',
      'CancelOrder',
      'OrderCancelled',
    ]);
    expect(calls.find((c) => c.state === 'CancelOrder')?.input).toMatchObject({
      outcome: 'cancelled',
      error: { Error: 'States.Timeout' },
    });
  });
});

describe('order workflow: bank transfer and postal slip wait for the credit', () => {
  it('waits on a task token, then a SendTaskSuccess activates the order', async () => {
    const arn = await run(transfer());
    const orderId = JSON.parse(
      (await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).input as string,
    ).orderId;
    const token = await waitingToken(orderId);
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status).toBe('RUNNING');
    expect(calls.some((c) => c.state === 'ProvisionMailbox' && c.input.orderId === orderId)).toBe(false);

    await sfn.send(
      new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ paymentEventId: 'evt_1' }) }),
    );
    const execution = await finished(arn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(await enteredStates(arn)).toEqual([
      'RoutePayment',
      'AwaitPayment',
      'RouteOrderKind',
      'ProvisionMailbox',
      'SendFirstAccessEmail',
      'CompleteOrder',
      'OrderCompleted',
    ]);
    // A late or repeated callback is refused by Step Functions, harmlessly.
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });
  });

  it('a reported payment failure fails the order', async () => {
    const arn = await run({ ...transfer(), payment: { method: 'postal_slip' } });
    const orderId = JSON.parse(
      (await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).input as string,
    ).orderId;
    await sfn.send(
      new SendTaskFailureCommand({
        taskToken: await waitingToken(orderId),
        error: ErrorName.PaymentFailed,
        cause: 'evt',
      }),
    );
    const execution = await finished(arn);
    expect(execution.error).toBe('OrderFailed');
    expect(calls.find((c) => c.state === 'FailOrder')?.input).toMatchObject({
      outcome: 'failed',
      error: { Error: ErrorName.PaymentFailed },
    });
  });

  it('the storefront cancelling the order (its token failed with OrderCancelledError) closes it as cancelled, at once', async () => {
    const arn = await run(transfer());
    const orderId = JSON.parse(
      (await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).input as string,
    ).orderId;
    await sfn.send(
      new SendTaskFailureCommand({
        taskToken: await waitingToken(orderId),
        error: ErrorName.OrderCancelledError,
        cause: 'Cancelled by the storefront.',
      }),
    );
    const execution = await finished(arn);
    expect(execution.error).toBe('OrderCancelled');
    expect(await enteredStates(arn)).toEqual(['RoutePayment', 'AwaitPayment', 'CancelOrder', 'OrderCancelled']);
    expect(calls.find((c) => c.state === 'CancelOrder')?.input).toMatchObject({
      outcome: 'cancelled',
      error: { Error: ErrorName.OrderCancelledError },
    });
    // The wait is not started again.
    expect(attemptsOf('AwaitPayment', orderId)).toBe(1);
  });

  it('a wait that finds the order cancelled before it began goes to CancelOrder, without retrying', async () => {
    behaviours.AwaitPayment = async () => {
      throw new NamedError(ErrorName.OrderCancelledError);
    };
    const arn = await run(transfer());
    const execution = await finished(arn);
    expect(execution.error).toBe('OrderCancelled');
    expect(attemptsOf('AwaitPayment')).toBe(1);
    expect(calls.find((c) => c.state === 'CancelOrder')?.input.error.Error).toBe(ErrorName.OrderCancelledError);
  });

  it('a wait that runs out cancels the order', async () => {
    const arn = await run(transfer(1));
    const execution = await finished(arn);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('OrderCancelled');
    const cancel = calls.find((c) => c.state === 'CancelOrder');
    expect(cancel?.input).toMatchObject({ outcome: 'cancelled', error: { Error: 'States.Timeout' } });
    expect(calls.some((c) => c.state === 'ProvisionMailbox')).toBe(false);
  });
});

/** A stand-in that fails `times` times with `name`, then answers `then`. */
function failing(times: number, name: string, then: Behaviour = async () => null): Behaviour {
  let failures = 0;
  return async (input) => {
    if (failures++ < times) throw new NamedError(name);
    return then(input);
  };
}

const attemptsOf = (state: string, orderId?: string) =>
  calls.filter((c) => c.state === state && (orderId === undefined || c.input.orderId === orderId)).length;

describe('order workflow: transient failures are retried, permanent ones are not', () => {
  it.each([
    'ThrottlingException',
    'PaymentGatewayUnavailableError',
    'Sandbox.Timedout',
    'Lambda.TooManyRequestsException',
  ])('ChargePayment failing twice with %s, then succeeding, completes the order', async (error) => {
    behaviours.ChargePayment = failing(2, error);
    const execution = await finished(await run(card));
    expect(execution.status).toBe('SUCCEEDED');
    expect(attemptsOf('ChargePayment')).toBe(3);
    expect(attemptsOf('FailOrder')).toBe(0);
  });

  it('ChargePayment failing every time fails the order once its retries run out, naming the last error', async () => {
    behaviours.ChargePayment = failing(Number.POSITIVE_INFINITY, 'PaymentGatewayUnavailableError');
    const execution = await finished(await run(card));
    expect(execution.error).toBe('OrderFailed');
    expect(attemptsOf('ChargePayment')).toBe(7);
    expect(calls.find((c) => c.state === 'FailOrder')?.input.error.Error).toBe('PaymentGatewayUnavailableError');
    expect(attemptsOf('ProvisionMailbox')).toBe(0);
  });

  it.each(['ProvisionMailbox', 'SendFirstAccessEmail', 'CompleteOrder'])(
    '%s failing twice, then succeeding, completes the order',
    async (state) => {
      behaviours[state] = failing(2, 'ServiceUnavailable');
      const execution = await finished(await run(card));
      expect(execution.status).toBe('SUCCEEDED');
      expect(attemptsOf(state)).toBe(3);
    },
  );

  it('AwaitPayment failing before it kept the token is retried with a fresh token, and the credit then completes the order', async () => {
    behaviours.AwaitPayment = failing(1, 'ThrottlingException');
    const arn = await run(transfer());
    const orderId = JSON.parse((await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).input as string)
      .orderId as string;
    for (;;) {
      if (attemptsOf('AwaitPayment', orderId) === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const [first, second] = calls.filter((c) => c.state === 'AwaitPayment').map((c) => c.input.taskToken);
    expect(second).not.toBe(first);
    // The failed attempt's token is dead; the retry's token resumes the wait.
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: first, output: '{}' }))).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });
    await sfn.send(new SendTaskSuccessCommand({ taskToken: second, output: '{}' }));
    const execution = await finished(arn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(attemptsOf('CancelOrder') + attemptsOf('FailOrder')).toBe(0);
  });

  it('a wait that runs out is not retried: one AwaitPayment, then CancelOrder', async () => {
    const execution = await finished(await run(transfer(1)));
    expect(execution.error).toBe('OrderCancelled');
    expect(attemptsOf('AwaitPayment')).toBe(1);
  });

  it('a payment failure the provider reports is not retried', async () => {
    const arn = await run(transfer());
    const orderId = JSON.parse((await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).input as string)
      .orderId as string;
    await sfn.send(
      new SendTaskFailureCommand({ taskToken: await waitingToken(orderId), error: 'PaymentFailed', cause: 'evt' }),
    );
    expect((await finished(arn)).error).toBe('OrderFailed');
    expect(attemptsOf('AwaitPayment', orderId)).toBe(1);
  });

  it('a retried wait that finds the order paid already goes on to activation', async () => {
    behaviours.AwaitPayment = async () => {
      throw new NamedError('PaymentAlreadyReceivedError');
    };
    const arn = await run(transfer());
    const execution = await finished(arn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(attemptsOf('AwaitPayment')).toBe(1);
    expect(await enteredStates(arn)).toEqual([
      'RoutePayment',
      'AwaitPayment',
      'RouteOrderKind',
      'ProvisionMailbox',
      'SendFirstAccessEmail',
      'CompleteOrder',
      'OrderCompleted',
    ]);
    // The state input went on unchanged: the order's kind and id still route it.
    expect(calls.find((c) => c.state === 'ProvisionMailbox')?.input).toEqual({ orderId: expect.any(String) });
  });

  it('FailOrder failing twice is retried and then ends the order failed', async () => {
    behaviours.ChargePayment = failing(1, 'PaymentDeclinedError');
    behaviours.FailOrder = failing(2, 'ThrottlingException');
    const execution = await finished(await run(card));
    expect(execution.error).toBe('OrderFailed');
    expect(attemptsOf('ChargePayment')).toBe(1);
    expect(attemptsOf('FailOrder')).toBe(3);
    // Every attempt is told the same error: a retried close re-checks its effects for the same reason.
    expect(new Set(calls.filter((c) => c.state === 'FailOrder').map((c) => c.input.error.Error))).toEqual(
      new Set(['PaymentDeclinedError']),
    );
  });

  it('CancelOrder failing twice is retried and then ends the order cancelled', async () => {
    behaviours.CancelOrder = failing(2, 'ServiceUnavailable');
    const execution = await finished(await run(transfer(1)));
    expect(execution.error).toBe('OrderCancelled');
    expect(attemptsOf('CancelOrder')).toBe(3);
  });

  it('a close that keeps failing ends the execution in FailOrder for an operator, not stuck', async () => {
    behaviours.ChargePayment = failing(1, 'PaymentDeclinedError');
    behaviours.FailOrder = failing(Number.POSITIVE_INFINITY, 'ThrottlingException');
    const execution = await finished(await run(card));
    expect(execution.status).toBe('FAILED');
    // Failed in the closing step itself (no Catch): the state a redrive resumes.
    expect(execution.error).toBe('ThrottlingException');
    const entered = await enteredStates(execution.executionArn as string);
    expect(entered.at(-1)).toBe('FailOrder');
    // The first attempt and its 10 retries: closing is retried longest.
    expect(attemptsOf('FailOrder')).toBe(11);
  });

  it('a redrive of a close that kept failing resumes in FailOrder, with its input, and ends the order failed', async () => {
    behaviours.ChargePayment = failing(1, 'PaymentDeclinedError');
    behaviours.FailOrder = failing(Number.POSITIVE_INFINITY, 'ThrottlingException');
    const executionArn = await run(card);
    expect((await finished(executionArn)).status).toBe('FAILED');
    const failedInput = calls.filter((c) => c.state === 'FailOrder').at(-1)?.input;

    // The cause is fixed; the operator redrives.
    behaviours.FailOrder = async () => null;
    calls.length = 0;
    await sfn.send(new RedriveExecutionCommand({ executionArn }));
    const redriven = await finished(executionArn);
    expect(redriven.status).toBe('FAILED');
    expect(redriven.error).toBe('OrderFailed');
    expect(redriven.redriveCount).toBe(1);
    // Only what had not succeeded ran again, told the same error as before.
    expect(calls.map((c) => c.state)).toEqual(['FailOrder']);
    expect(calls[0]?.input).toEqual(failedInput);
    // Ended as designed: Step Functions still lets it be redriven, the operator route does not.
    const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    expect(events?.filter((e) => e.type === 'ExecutionRedriven')).toHaveLength(1);
    expect(events?.filter((e) => e.type === 'ExecutionStarted')).toHaveLength(1);
  });

  it('a running or succeeded execution is not redrivable', async () => {
    const executionArn = await run(card);
    const succeeded = await finished(executionArn);
    expect(succeeded.status).toBe('SUCCEEDED');
    expect(succeeded.redriveStatus).toBe('NOT_REDRIVABLE');
    await expect(sfn.send(new RedriveExecutionCommand({ executionArn }))).rejects.toMatchObject({
      name: 'ExecutionNotRedrivable',
    });
  });
});
