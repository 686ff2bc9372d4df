import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionStatus,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LocalStateMachine,
  type LocalStepFunctionsServer,
  startStepFunctionsServer,
} from '../../../local/aws/stepfunctions/server.ts';

const ARN = 'arn:aws:states:eu-south-1:000000000000:stateMachine:';
const FUNCTION = 'arn:aws:lambda:eu-south-1:000000000000:function:';

/** Task tokens handed to callback handlers, queued per key (the execution's `id` input field). */
class TokenInbox {
  readonly #queued = new Map<string, string[]>();
  readonly #waiting = new Map<string, Array<(token: string) => void>>();

  deliver(key: string, token: string): void {
    const waiter = this.#waiting.get(key)?.shift();
    if (waiter) waiter(token);
    else this.#queued.set(key, [...(this.#queued.get(key) ?? []), token]);
  }

  next(key: string): Promise<string> {
    const queued = this.#queued.get(key)?.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => this.#waiting.set(key, [...(this.#waiting.get(key) ?? []), resolve]));
  }
}

const inbox = new TokenInbox();
const deliverToken = async (input: unknown): Promise<void> => {
  const { id, taskToken } = input as { id: string; taskToken: string };
  inbox.deliver(id, taskToken);
};

const callbackState = (extra: Record<string, unknown>) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
  Parameters: {
    FunctionName: `${FUNCTION}request-payment`,
    Payload: { 'id.$': '$.id', 'taskToken.$': '$$.Task.Token' },
  },
  ...extra,
});

const machines: LocalStateMachine[] = [
  {
    arn: `${ARN}Callback`,
    definition: {
      StartAt: 'AwaitPayment',
      States: {
        AwaitPayment: callbackState({
          ResultPath: '$.payment',
          Catch: [{ ErrorEquals: ['PaymentDeclined'], ResultPath: '$.failure', Next: 'Declined' }],
          Next: 'Paid',
        }),
        Paid: { Type: 'Succeed' },
        Declined: { Type: 'Fail', Error: 'OrderFailed', Cause: 'The payment was declined' },
      },
    },
    taskHandlers: { AwaitPayment: deliverToken },
  },
  {
    arn: `${ARN}Timeout`,
    definition: {
      StartAt: 'AwaitPayment',
      States: {
        AwaitPayment: callbackState({
          TimeoutSeconds: 1,
          Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.failure', Next: 'Expired' }],
          End: true,
        }),
        Expired: { Type: 'Pass', End: true },
      },
    },
    taskHandlers: { AwaitPayment: deliverToken },
  },
  {
    arn: `${ARN}TimeoutPath`,
    definition: {
      StartAt: 'AwaitPayment',
      States: {
        AwaitPayment: callbackState({
          TimeoutSecondsPath: '$.windowSeconds',
          Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.failure', Next: 'Expired' }],
          End: true,
        }),
        Expired: { Type: 'Pass', End: true },
      },
    },
    taskHandlers: { AwaitPayment: deliverToken },
  },
  {
    arn: `${ARN}OverriddenTimeout`,
    definition: {
      StartAt: 'AwaitRecords',
      States: {
        AwaitRecords: callbackState({
          TimeoutSecondsPath: '$.windowSeconds',
          Retry: [{ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 3 }],
          Catch: [
            { ErrorEquals: ['States.Timeout'], ResultPath: '$.failure', Next: 'Expired' },
            { ErrorEquals: ['States.ALL'], Next: 'Failed' },
          ],
          End: true,
        }),
        Expired: { Type: 'Pass', End: true },
        Failed: { Type: 'Fail', Error: 'Failed' },
      },
    },
    // An hour in the definition, 20 ms here.
    callbackTimeoutOverrides: { AwaitRecords: 20 },
    taskHandlers: { AwaitRecords: deliverToken },
  },
  {
    arn: `${ARN}Loop`,
    definition: {
      StartAt: 'AwaitStep',
      States: {
        AwaitStep: callbackState({ ResultPath: '$.step', Next: 'More' }),
        More: {
          Type: 'Choice',
          Choices: [{ Variable: '$.step.more', BooleanEquals: true, Next: 'AwaitStep' }],
          Default: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    },
    taskHandlers: { AwaitStep: deliverToken },
  },
  {
    arn: `${ARN}Parallel`,
    definition: {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Left', States: { Left: callbackState({ End: true }) } },
            { StartAt: 'Right', States: { Right: callbackState({ End: true }) } },
          ],
          End: true,
        },
      },
    },
    taskHandlers: { Left: deliverToken, Right: deliverToken },
  },
  {
    arn: `${ARN}Charge`,
    definition: {
      StartAt: 'Charge',
      States: {
        Charge: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: `${FUNCTION}charge`, 'Payload.$': '$' },
          OutputPath: '$.Payload',
          Retry: [{ ErrorEquals: ['Transient'], IntervalSeconds: 30, MaxAttempts: 2 }],
          Catch: [{ ErrorEquals: ['PaymentDeclined'], ResultPath: '$.failure', Next: 'Declined' }],
          Next: 'Charged',
        },
        Charged: { Type: 'Pass', Result: 'charged', ResultPath: '$.outcome', End: true },
        Declined: { Type: 'Pass', Result: 'declined', ResultPath: '$.outcome', End: true },
      },
    },
    retryIntervalOverrides: { Charge: 0 },
    taskHandlers: {
      Charge: async (event) => {
        const { token, attempts } = event as { token: string; attempts?: number };
        if (token.startsWith('tok_declined')) {
          throw Object.assign(new Error('Card declined by the issuer'), { name: 'PaymentDeclined' });
        }
        if (token === 'tok_flaky' && flaky++ === 0) throw { name: 'Transient', message: 'try again' };
        return { token, charged: true, attempts };
      },
    },
  },
  {
    arn: `${ARN}ExecutionTimeout`,
    definition: {
      TimeoutSeconds: 1,
      StartAt: 'Fanout',
      States: {
        Fanout: {
          Type: 'Parallel',
          Branches: [{ StartAt: 'Stuck', States: { Stuck: callbackState({ End: true }) } }],
          End: true,
        },
      },
    },
    taskHandlers: { Stuck: deliverToken },
  },
  {
    arn: `${ARN}Map`,
    definition: {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: { StartAt: 'Item', States: { Item: callbackState({ End: true }) } },
          End: true,
        },
      },
    },
    taskHandlers: { Item: deliverToken },
  },
  {
    arn: `${ARN}LongTimeouts`,
    definition: {
      TimeoutSeconds: 2_678_400,
      StartAt: 'AwaitPayment',
      States: { AwaitPayment: callbackState({ TimeoutSeconds: 99_999_999, End: true }) },
    },
    taskHandlers: { AwaitPayment: deliverToken },
  },
  {
    arn: `${ARN}Wait`,
    definition: {
      StartAt: 'Pause',
      States: { Pause: { Type: 'Wait', Seconds: 3600, End: true } },
    },
    waitTimeOverrides: { Pause: 0 },
    taskHandlers: {},
  },
];
let flaky = 0;

let server: LocalStepFunctionsServer;
let sfn: SFNClient;

const start = async (machine: string, input: Record<string, unknown>, name?: string) => {
  const output = await sfn.send(
    new StartExecutionCommand({ stateMachineArn: `${ARN}${machine}`, input: JSON.stringify(input), name }),
  );
  return output.executionArn as string;
};

/** Polls DescribeExecution until the execution is no longer RUNNING. */
const finished = async (executionArn: string): Promise<DescribeExecutionCommandOutput> => {
  for (;;) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') return described;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

const history = async (executionArn: string): Promise<HistoryEvent[]> => {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 3 }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
};

const errorName = async (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'no error',
    (error: Error) => error.name,
  );

beforeAll(async () => {
  server = await startStepFunctionsServer(machines);
  sfn = new SFNClient({
    endpoint: server.endpoint,
    region: 'eu-south-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  sfn.destroy();
  await server.stop();
});

describe('local Step Functions: callback tasks', () => {
  it('completes a callback task with SendTaskSuccess and records the history', async () => {
    const arn = await start('Callback', { id: 'success' });
    const token = await inbox.next('success');
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status).toBe('RUNNING');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ paidCents: 610 }) }));

    const described = await finished(arn);
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '')).toEqual({ id: 'success', payment: { paidCents: 610 } });
    expect(described.startDate).toBeInstanceOf(Date);
    expect(described.stopDate).toBeInstanceOf(Date);

    const events = await history(arn);
    expect(events.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((event) => event.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(events[1]?.previousEventId).toBe(1);
    expect(events[1]?.timestamp).toBeInstanceOf(Date);
    expect(
      events.filter((event) => event.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails?.name),
    ).toEqual(['AwaitPayment', 'Paid']);
    const scheduled = events.find((event) => event.type === 'TaskScheduled');
    expect(scheduled?.taskScheduledEventDetails?.resourceType).toBe('lambda');
    expect(JSON.parse(scheduled?.taskScheduledEventDetails?.parameters ?? '')).toEqual({
      FunctionName: `${FUNCTION}request-payment`,
      Payload: { id: 'success', taskToken: token },
    });
  });

  it('routes a SendTaskFailure to the Catch on its error name', async () => {
    const arn = await start('Callback', { id: 'declined' });
    const token = await inbox.next('declined');
    await sfn.send(
      new SendTaskFailureCommand({ taskToken: token, error: 'PaymentDeclined', cause: 'insufficient funds' }),
    );

    const described = await finished(arn);
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('OrderFailed');
    expect(described.cause).toBe('The payment was declined');
    const events = await history(arn);
    expect(events.map((event) => event.type)).toContain('TaskFailed');
    expect(events.filter((event) => event.type?.endsWith('StateEntered')).map((e) => e.type)).toEqual([
      'TaskStateEntered',
      'FailStateEntered',
    ]);
    expect(events.at(-1)?.type).toBe('ExecutionFailed');
    expect(events.at(-1)?.executionFailedEventDetails).toEqual({
      error: 'OrderFailed',
      cause: 'The payment was declined',
    });
  });

  it('answers TaskTimedOut to a second SendTaskSuccess for the same token', async () => {
    const arn = await start('Callback', { id: 'twice' });
    const token = await inbox.next('twice');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"first":true}' }));
    expect(await errorName(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"second":true}' })))).toBe(
      'TaskTimedOut',
    );
    expect(await errorName(sfn.send(new SendTaskFailureCommand({ taskToken: token, error: 'X' })))).toBe(
      'TaskTimedOut',
    );
    const described = await finished(arn);
    expect(JSON.parse(described.output ?? '').payment).toEqual({ first: true });
  });

  it('answers InvalidToken to a token it never issued and InvalidOutput to output that is not JSON', async () => {
    expect(await errorName(sfn.send(new SendTaskSuccessCommand({ taskToken: 'AQnot-a-token', output: '{}' })))).toBe(
      'InvalidToken',
    );
    const arn = await start('Callback', { id: 'bad-output' });
    const token = await inbox.next('bad-output');
    expect(await errorName(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: 'not json' })))).toBe(
      'InvalidOutput',
    );
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '"ok"' }));
    expect((await finished(arn)).status).toBe('SUCCEEDED');
  });

  it('times a callback out after its TimeoutSeconds, catches States.Timeout and then refuses the token', async () => {
    const arn = await start('Timeout', { id: 'late' });
    const token = await inbox.next('late');
    const described = await finished(arn);
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '').failure.Error).toBe('States.Timeout');
    expect(await errorName(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })))).toBe(
      'TaskTimedOut',
    );
    const types = (await history(arn)).map((event) => event.type);
    expect(types).toContain('TaskTimedOut');
    expect(types.filter((type) => type?.endsWith('StateEntered'))).toEqual(['TaskStateEntered', 'PassStateEntered']);
  });

  it('times a callback out after its override, as States.Timeout (not retried), and shows the definition’s timeout', async () => {
    const arn = await start('OverriddenTimeout', { id: 'overridden', windowSeconds: 3600 });
    const token = await inbox.next('overridden');
    const described = await finished(arn);
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '').failure.Error).toBe('States.Timeout');
    expect(await errorName(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })))).toBe(
      'TaskTimedOut',
    );
    const events = await history(arn);
    expect(events.filter((event) => event.type === 'TaskScheduled')).toHaveLength(1); // not retried
    expect(events.find((event) => event.type === 'TaskScheduled')?.taskScheduledEventDetails?.timeoutInSeconds).toBe(
      3600,
    );
    expect(events.map((event) => event.type)).toContain('TaskTimedOut');
  });

  it('resolves TimeoutSecondsPath against the state input, not the task parameters', async () => {
    const arn = await start('TimeoutPath', { id: 'late-path', windowSeconds: 1 });
    const token = await inbox.next('late-path');
    const described = await finished(arn);
    expect(JSON.parse(described.output ?? '').failure.Error).toBe('States.Timeout');
    expect(await errorName(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })))).toBe(
      'TaskTimedOut',
    );
  });

  it('issues a distinct token to every execution and to every entry into a callback state', async () => {
    const first = await start('Loop', { id: 'loop-a' });
    const second = await start('Loop', { id: 'loop-b' });
    const a1 = await inbox.next('loop-a');
    const b1 = await inbox.next('loop-b');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: a1, output: '{"more":true}' }));
    const a2 = await inbox.next('loop-a');
    expect(new Set([a1, b1, a2]).size).toBe(3);
    expect(await errorName(sfn.send(new SendTaskSuccessCommand({ taskToken: a1, output: '{"more":false}' })))).toBe(
      'TaskTimedOut',
    );
    await sfn.send(new SendTaskSuccessCommand({ taskToken: a2, output: '{"more":false}' }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: b1, output: '{"more":false}' }));
    expect((await finished(first)).status).toBe('SUCCEEDED');
    expect((await finished(second)).status).toBe('SUCCEEDED');
    const entered = (await history(first)).filter((event) => event.type?.endsWith('StateEntered'));
    expect(entered.map((event) => event.stateEnteredEventDetails?.name)).toEqual([
      'AwaitStep',
      'More',
      'AwaitStep',
      'More',
      'Done',
    ]);
  });

  it('issues distinct tokens to the callback states of parallel branches', async () => {
    const arn = await start('Parallel', { id: 'parallel' });
    const left = await inbox.next('parallel');
    const right = await inbox.next('parallel');
    expect(left).not.toBe(right);
    await sfn.send(new SendTaskSuccessCommand({ taskToken: right, output: '"right"' }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: left, output: '"left"' }));
    const described = await finished(arn);
    expect(described.status).toBe('SUCCEEDED');
    expect(new Set(JSON.parse(described.output ?? ''))).toEqual(new Set(['left', 'right']));
  });

  it('gives every Map iteration its own token and keeps the items in order', async () => {
    const arn = await start('Map', { items: [{ id: 'map' }, { id: 'map' }, { id: 'map' }] });
    const tokens = [await inbox.next('map'), await inbox.next('map'), await inbox.next('map')];
    expect(new Set(tokens).size).toBe(3);
    for (const token of [...tokens].reverse()) {
      await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(token) }));
    }
    const described = await finished(arn);
    expect(JSON.parse(described.output ?? '')).toEqual(tokens);
    const types = (await history(arn)).map((event) => event.type);
    expect(types.filter((type) => type === 'MapIterationSucceeded')).toHaveLength(3);
  });

  it('times the whole execution out after its TimeoutSeconds and drops the pending token', async () => {
    const arn = await start('ExecutionTimeout', { id: 'execution-timeout' });
    const token = await inbox.next('execution-timeout');
    const described = await finished(arn);
    expect(described.status).toBe('TIMED_OUT');
    expect(described.error).toBe('States.Timeout');
    expect(await errorName(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })))).toBe(
      'TaskTimedOut',
    );
    expect((await history(arn)).at(-1)?.type).toBe('ExecutionTimedOut');
  });

  it('keeps timeouts longer than setTimeout allows (31 days, 99999999 s) running', async () => {
    const arn = await start('LongTimeouts', { id: 'long' });
    const token = await inbox.next('long');
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status).toBe('RUNNING');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"late":false}' }));
    expect((await finished(arn)).status).toBe('SUCCEEDED');
  });

  it('aborts an execution with StopExecution and drops its pending token', async () => {
    const arn = await start('Callback', { id: 'stopped' });
    const token = await inbox.next('stopped');
    const stopped = await sfn.send(
      new StopExecutionCommand({ executionArn: arn, error: 'Cancelled', cause: 'by test' }),
    );
    expect(stopped.stopDate).toBeInstanceOf(Date);
    const described = await finished(arn);
    expect(described.status).toBe('ABORTED' satisfies ExecutionStatus);
    expect(described.error).toBe('Cancelled');
    expect(await errorName(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })))).toBe(
      'TaskTimedOut',
    );
    await server.idle();
    const events = await history(arn);
    expect(events.at(-1)?.type).toBe('ExecutionAborted');
    expect(events.at(-1)?.executionAbortedEventDetails).toEqual({ error: 'Cancelled', cause: 'by test' });
  });
});

describe('local Step Functions: executions', () => {
  it('is idempotent on name and input while the execution runs, like a Standard workflow', async () => {
    const input = { id: 'idempotent' };
    const first = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: `${ARN}Callback`, name: 'order-1', input: JSON.stringify(input) }),
    );
    const again = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: `${ARN}Callback`, name: 'order-1', input: JSON.stringify(input) }),
    );
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.executionArn).toBe('arn:aws:states:eu-south-1:000000000000:execution:Callback:order-1');
    expect(again.startDate?.getTime()).toBe(first.startDate?.getTime());
    const other = sfn.send(
      new StartExecutionCommand({ stateMachineArn: `${ARN}Callback`, name: 'order-1', input: '{"id":"other"}' }),
    );
    expect(await errorName(other)).toBe('ExecutionAlreadyExists');

    const token = await inbox.next('idempotent');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));
    await finished(first.executionArn as string);
    const afterwards = sfn.send(
      new StartExecutionCommand({ stateMachineArn: `${ARN}Callback`, name: 'order-1', input: JSON.stringify(input) }),
    );
    expect(await errorName(afterwards)).toBe('ExecutionAlreadyExists');
    expect(server.executions().filter((execution) => execution.name === 'order-1')).toHaveLength(1);
  });

  it('rejects unknown state machines, executions, names and inputs with the AWS errors', async () => {
    expect(await errorName(start('Missing', {}))).toBe('StateMachineDoesNotExist');
    const unknown = `${ARN.replace(':stateMachine:', ':execution:')}Callback:nope`;
    expect(await errorName(sfn.send(new DescribeExecutionCommand({ executionArn: unknown })))).toBe(
      'ExecutionDoesNotExist',
    );
    expect(await errorName(sfn.send(new GetExecutionHistoryCommand({ executionArn: unknown })))).toBe(
      'ExecutionDoesNotExist',
    );
    expect(await errorName(start('Callback', {}, 'bad name'))).toBe('InvalidName');
    expect(
      await errorName(sfn.send(new StartExecutionCommand({ stateMachineArn: `${ARN}Callback`, input: '{not json' }))),
    ).toBe('InvalidExecutionInput');
  });

  it('catches a Lambda-style error by its name and retries on another', async () => {
    const declined = await start('Charge', { token: 'tok_declined_1' });
    const declinedOutput = JSON.parse((await finished(declined)).output ?? '');
    expect(declinedOutput.outcome).toBe('declined');
    expect(declinedOutput.failure.Error).toBe('PaymentDeclined');
    expect(JSON.parse(declinedOutput.failure.Cause)).toMatchObject({
      errorType: 'PaymentDeclined',
      errorMessage: 'Card declined by the issuer',
    });

    const flakyRun = await start('Charge', { token: 'tok_flaky' });
    const described = await finished(flakyRun);
    expect(JSON.parse(described.output ?? '')).toEqual({ token: 'tok_flaky', charged: true, outcome: 'charged' });
    const types = (await history(flakyRun)).map((event) => event.type);
    expect(types.filter((type) => type === 'TaskScheduled')).toHaveLength(2);
    expect(types.filter((type) => type?.endsWith('StateEntered'))).toEqual(['TaskStateEntered', 'PassStateEntered']);
  });

  it('runs Wait states with their overrides and reports idle once nothing runs', async () => {
    const arn = await start('Wait', { waited: true });
    await finished(arn);
    const record = server.executions().find((execution) => execution.executionArn === arn);
    expect(record?.status).toBe('SUCCEEDED');
    expect(record?.output).toBe('{"waited":true}');
  });
});

describe('local Step Functions: definitions', () => {
  it('refuses a machine with a Task state that has no handler', async () => {
    await expect(
      startStepFunctionsServer([
        {
          arn: `${ARN}NoHandler`,
          definition: { StartAt: 'T', States: { T: { Type: 'Task', Resource: `${FUNCTION}x`, End: true } } },
          taskHandlers: {},
        },
      ]),
    ).rejects.toThrow(/no task handler/);
  });

  it('refuses what it does not run: heartbeats and JSONata', async () => {
    const task = { Type: 'Task', Resource: `${FUNCTION}x`, End: true };
    const machine = (state: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      arn: `${ARN}Refused`,
      definition: { StartAt: 'T', States: { T: { ...task, ...state } }, ...extra },
      taskHandlers: { T: async () => null },
    });
    await expect(startStepFunctionsServer([machine({ HeartbeatSeconds: 60 })])).rejects.toThrow(
      /Heartbeats are not supported .*\(T\)/,
    );
    await expect(startStepFunctionsServer([machine({}, { QueryLanguage: 'JSONata' })])).rejects.toThrow(
      /JSONata is not supported/,
    );
  });

  it('refuses a callback timeout override it could not play as AWS does', async () => {
    const overridden = (state: Record<string, unknown>, name = 'T') => ({
      arn: `${ARN}RefusedOverride`,
      definition: { StartAt: 'T', States: { T: { ...callbackState({ End: true }), ...state } } },
      taskHandlers: { T: async () => null },
      callbackTimeoutOverrides: { [name]: 10 },
    });
    await expect(startStepFunctionsServer([overridden({ Retry: [{ ErrorEquals: ['States.ALL'] }] })])).rejects.toThrow(
      /override of T is not supported: a retrier names States.Timeout or States.ALL/,
    );
    await expect(
      startStepFunctionsServer([overridden({ Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'T' }] })]),
    ).rejects.toThrow(/a catcher names States.TaskFailed/);
    await expect(
      startStepFunctionsServer([overridden({ Resource: 'arn:aws:states:::lambda:invoke' })]),
    ).rejects.toThrow(/not a .waitForTaskToken Task state/);
    await expect(startStepFunctionsServer([overridden({}, 'Elsewhere')])).rejects.toThrow(
      /no callback state Elsewhere to override/,
    );
  });
});
