import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  ExecutionError,
  ExecutionTimeoutError,
  type RunOptions,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { closeServer, listen, readBody } from './http-util.ts';

/*
 * Local stand-in for AWS Step Functions (Standard workflows), speaking the AWS JSON 1.0 protocol that
 * `@aws-sdk/client-sfn` uses, so the production adapters run against it through `AWS_ENDPOINT_URL_SFN`.
 * Executions are interpreted by aws-local-stepfunctions (JSONPath only); every Task state runs a local handler.
 *
 * Task handlers play the part of what the Task's Resource would call:
 * - `arn:aws:states:::lambda:invoke` and `arn:aws:states:::lambda:invoke.waitForTaskToken`: the handler is the
 *   Lambda function: it receives the `Payload` of the state's effective parameters, and (for `lambda:invoke`) its
 *   return value becomes the `Payload` of the Lambda Invoke response `{ ExecutedVersion, Payload, SdkHttpMetadata,
 *   SdkResponseMetadata, StatusCode }`, as in AWS (use `OutputPath: '$.Payload'` or a ResultSelector, as in AWS).
 * - any other Resource (a function ARN, another service integration): the handler receives the state's
 *   effective input (after InputPath and Parameters) and its return value is the task result.
 * A handler that throws fails the task with the error's `name` (like a Lambda `errorType`), which Retry and
 * Catch match; the Cause is the Lambda-style JSON `{ errorType, errorMessage, trace }`.
 *
 * `.waitForTaskToken` states: the server issues a fresh task token per attempt (available as `$$.Task.Token`),
 * calls the handler and waits for SendTaskSuccess / SendTaskFailure with that token (or the state's
 * TimeoutSeconds / HeartbeatSeconds). A token whose task has completed, failed, timed out or was aborted answers
 * TaskTimedOut, a token never issued answers InvalidToken.
 */

export type TaskHandler = (input: unknown) => Promise<unknown>;

export type LocalStateMachine = {
  arn: string;
  /** The Amazon States Language definition (JSONPath). */
  definition: object;
  /** One handler per Task state, keyed by state name (states in Parallel branches and Map iterators included). */
  taskHandlers: Record<string, TaskHandler>;
  /** Wait state name to the milliseconds it waits instead of its Seconds / Timestamp. */
  waitTimeOverrides?: Record<string, number>;
  /** Retryable state name to the milliseconds (one value, or one per retrier) waited before each retry. */
  retryIntervalOverrides?: Record<string, number | number[]>;
};

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** A history event as GetExecutionHistory returns it: `type`, ids, timestamp and one `<type>EventDetails` field. */
export type LocalHistoryEvent = {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
};

export type LocalExecutionRecord = {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  /** The input as given to StartExecution (a JSON string). */
  input: string;
  status: ExecutionStatus;
  output?: string;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
  history: LocalHistoryEvent[];
};

export type LocalStepFunctionsServer = {
  endpoint: string;
  stop(): Promise<void>;
  /** Resolves when no execution is running (those started while waiting included). */
  idle(): Promise<void>;
  executions(): LocalExecutionRecord[];
};

const INPUT = '__localInput';
const TIMEOUT = '__localTimeoutSeconds';
const HEARTBEAT = '__localHeartbeatSeconds';
/** setTimeout's limit, in seconds (about 24.8 days); longer timeouts and waits are cut to it. */
const MAX_TIMER_SECONDS = 2_147_483;
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const ACCOUNT = '000000000000';

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };

type TaskInfo = {
  name: string;
  resource: string;
  callback: boolean;
  lambdaInvoke: boolean;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  hasHeartbeatPath: boolean;
  resourceType: string;
  resourceName: string;
};

type PreparedMachine = {
  arn: string;
  name: string;
  definition: object;
  runner: StateMachine;
  tasks: Map<string, TaskInfo>;
  handlers: Record<string, TaskHandler>;
  waitTimeOverrides?: Record<string, number>;
  retryIntervalOverrides?: Record<string, number | number[]>;
  createdAt: Date;
};

type PendingTask = {
  token: string;
  execution: Execution;
  stateName: string;
  status: 'pending' | 'done';
  resolve(value: JsonValue): void;
  reject(error: Error): void;
  timeoutTimer?: NodeJS.Timeout;
  heartbeatTimer?: NodeJS.Timeout;
  heartbeatSeconds?: number;
};

type Execution = {
  record: LocalExecutionRecord;
  machine: PreparedMachine;
  abort?: () => void;
  done?: Promise<void>;
  /** The token minted by a `$$.Task.Token` read, not yet bound to a task attempt. */
  unboundToken?: string;
  taskContext: Record<string, unknown>;
  pending: Set<PendingTask>;
  inflight: Set<(error: Error) => void>;
  lastParams: Map<string, unknown>;
  lastResult: Map<string, unknown>;
  failedAttempts: Set<string>;
  abortDetails?: { error?: string; cause?: string };
};

class SfnError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** An error as aws-local-stepfunctions matches it in Retry / Catch: by `name`; `message` becomes the Cause. */
const stateError = (name: string, cause: string, catchable = true): Error => {
  const error = new Error(cause);
  error.name = name;
  if (!catchable) Object.assign(error, { isCatchable: false, isRetryable: false });
  return error;
};

/** A handler's thrown value as a Lambda error: `errorType` from its name, Cause `{ errorType, errorMessage, trace }`. */
const handlerError = (thrown: unknown): Error => {
  const value = (typeof thrown === 'object' && thrown !== null ? thrown : {}) as {
    name?: unknown;
    message?: unknown;
    stack?: unknown;
    constructor?: { name?: string };
  };
  const constructorName = value.constructor?.name;
  const errorType =
    typeof value.name === 'string' && value.name !== ''
      ? value.name === 'Error' && constructorName && constructorName !== 'Error'
        ? constructorName
        : value.name
      : constructorName && constructorName !== 'Object'
        ? constructorName
        : 'Error';
  const errorMessage = typeof value.message === 'string' ? value.message : typeof thrown === 'string' ? thrown : '';
  const trace = typeof value.stack === 'string' ? value.stack.split('\n') : [];
  return stateError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
};

const toJson = (value: unknown): JsonValue =>
  value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const positiveInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1;

const resourceParts = (resource: string): { resourceType: string; resourceName: string } => {
  if (resource.startsWith('arn:aws:states:::')) {
    const rest = resource.slice('arn:aws:states:::'.length);
    const colon = rest.lastIndexOf(':');
    return { resourceType: rest.slice(0, Math.max(colon, 0)), resourceName: rest.slice(colon + 1) };
  }
  if (resource.startsWith('arn:aws:lambda:')) return { resourceType: 'lambda', resourceName: resource };
  return { resourceType: 'activity', resourceName: resource };
};

/** Rewrites every Task state so the server can see its parameters, timeout and heartbeat (see `taskHandler`). */
const prepareDefinition = (definition: Record<string, unknown>, tasks: Map<string, TaskInfo>, path = ''): void => {
  if (definition.QueryLanguage === 'JSONata') {
    throw new Error(`JSONata is not supported by the local Step Functions (${path || 'top level'})`);
  }
  for (const [name, state] of Object.entries((definition.States ?? {}) as Record<string, Record<string, unknown>>)) {
    if (state.QueryLanguage === 'JSONata')
      throw new Error(`JSONata is not supported by the local Step Functions (${name})`);
    if ('Assign' in state) {
      throw new Error(`Workflow variables (Assign) are not supported by the local Step Functions (${name})`);
    }
    for (const branch of (state.Branches ?? []) as Array<Record<string, unknown>>)
      prepareDefinition(branch, tasks, name);
    for (const nested of [state.Iterator, state.ItemProcessor]) {
      if (isObject(nested)) prepareDefinition(nested, tasks, name);
    }
    if (state.Type === 'Wait' && typeof state.Seconds === 'number') {
      state.Seconds = Math.min(state.Seconds, MAX_TIMER_SECONDS);
    }
    if (state.Type !== 'Task') continue;
    const resource = String(state.Resource ?? '');
    tasks.set(name, {
      name,
      resource,
      callback: resource.endsWith('.waitForTaskToken'),
      lambdaInvoke: resource === LAMBDA_INVOKE || resource === `${LAMBDA_INVOKE}.waitForTaskToken`,
      ...(typeof state.TimeoutSeconds === 'number' ? { timeoutSeconds: state.TimeoutSeconds } : {}),
      ...(typeof state.HeartbeatSeconds === 'number' ? { heartbeatSeconds: state.HeartbeatSeconds } : {}),
      hasHeartbeatPath: typeof state.HeartbeatSecondsPath === 'string',
      ...resourceParts(resource),
    });
    const parameters: Record<string, unknown> =
      'Parameters' in state ? { [INPUT]: state.Parameters } : { [`${INPUT}.$`]: '$' };
    // Resolved against the input after InputPath, as AWS resolves these reference paths.
    if (typeof state.TimeoutSecondsPath === 'string') parameters[`${TIMEOUT}.$`] = state.TimeoutSecondsPath;
    if (typeof state.HeartbeatSecondsPath === 'string') parameters[`${HEARTBEAT}.$`] = state.HeartbeatSecondsPath;
    state.Parameters = parameters;
    delete state.TimeoutSeconds;
    delete state.HeartbeatSeconds;
    delete state.HeartbeatSecondsPath;
    // The task handler sets this just before aws-local-stepfunctions reads it (no default 60 s timeout).
    state.TimeoutSecondsPath = `$$.Task.${TIMEOUT}`;
  }
};

const prepareMachine = (machine: LocalStateMachine): PreparedMachine => {
  const match = /^arn:aws[a-z-]*:states:[^:]*:[^:]*:stateMachine:([^:]+)$/.exec(machine.arn);
  if (!match?.[1]) throw new Error(`Not a state machine ARN: ${machine.arn}`);
  // Validates the definition as written (ASL schema, JSONPath syntax) before it is rewritten.
  new StateMachine(machine.definition as StateMachineDefinition, { validationOptions: { checkArn: false } });
  const rewritten = structuredClone(machine.definition) as Record<string, unknown>;
  const tasks = new Map<string, TaskInfo>();
  prepareDefinition(rewritten, tasks);
  // Longer delays would overflow setTimeout, which then fires at once.
  if (typeof rewritten.TimeoutSeconds === 'number') {
    rewritten.TimeoutSeconds = Math.min(rewritten.TimeoutSeconds, MAX_TIMER_SECONDS);
  }
  const missing = [...tasks.keys()].filter((name) => typeof machine.taskHandlers[name] !== 'function');
  if (missing.length > 0) throw new Error(`${machine.arn}: no task handler for state(s) ${missing.join(', ')}`);
  return {
    arn: machine.arn,
    name: match[1],
    definition: machine.definition,
    runner: new StateMachine(rewritten as unknown as StateMachineDefinition, {
      validationOptions: { noValidate: true },
    }),
    tasks,
    handlers: machine.taskHandlers,
    ...(machine.waitTimeOverrides ? { waitTimeOverrides: machine.waitTimeOverrides } : {}),
    ...(machine.retryIntervalOverrides ? { retryIntervalOverrides: machine.retryIntervalOverrides } : {}),
    createdAt: new Date(),
  };
};

const INVALID_NAME_CHARACTERS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
const invalidName = (name: string): boolean =>
  INVALID_NAME_CHARACTERS.test(name) ||
  [...name].some((c) => {
    const code = c.codePointAt(0) ?? 0;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });

const epochSeconds = (date: Date | undefined): number | undefined => (date ? date.getTime() / 1000 : undefined);

/** Starts the Step Functions stand-in on 127.0.0.1 (ephemeral port unless `options.port` is given). */
export const startStepFunctionsServer = async (
  machines: LocalStateMachine[],
  options: {
    port?: number /** For history event details; defaults to the state machine ARN's region. */;
    region?: string;
    /** Called once per execution when it ends (succeeded, failed, timed out or aborted). */
    onSettled?: (execution: LocalExecutionRecord) => void;
  } = {},
): Promise<LocalStepFunctionsServer> => {
  const prepared = new Map(machines.map((machine) => [machine.arn, prepareMachine(machine)]));
  const executions = new Map<string, Execution>();
  const running = new Set<Execution>();
  const tokens = new Map<string, PendingTask>();

  const mintToken = (): string => `AQ${randomBytes(60).toString('base64url')}`;

  const finish = (task: PendingTask): void => {
    task.status = 'done';
    clearTimeout(task.timeoutTimer);
    clearTimeout(task.heartbeatTimer);
    task.execution.pending.delete(task);
  };

  const armHeartbeat = (task: PendingTask): void => {
    if (task.heartbeatSeconds === undefined) return;
    clearTimeout(task.heartbeatTimer);
    task.heartbeatTimer = setTimeout(() => {
      if (task.status !== 'pending') return;
      finish(task);
      task.reject(stateError('States.HeartbeatTimeout', 'The task did not send a heartbeat in time'));
    }, task.heartbeatSeconds * 1000);
  };

  /**
   * The `taskResourceLocalHandlers` entry of one Task state for one execution. aws-local-stepfunctions calls it
   * synchronously right after resolving the state's Parameters (where `$$.Task.Token` was read) and reads the
   * state's timeout (`$$.Task.__localTimeoutSeconds`) right after it returns, so everything up to the returned
   * promise happens before any other state can run.
   */
  const taskHandler =
    (execution: Execution, info: TaskInfo) =>
    (effective: unknown): Promise<JsonValue> => {
      const params = isObject(effective) ? effective : {};
      const input = params[INPUT] ?? null;
      const token = execution.unboundToken ?? mintToken();
      execution.unboundToken = undefined;
      const timeout = info.timeoutSeconds ?? params[TIMEOUT] ?? MAX_TIMER_SECONDS;
      execution.taskContext[TIMEOUT] = positiveInteger(timeout) ? Math.min(timeout, MAX_TIMER_SECONDS) : timeout;
      // An invalid TimeoutSecondsPath value: aws-local-stepfunctions raises States.Runtime after this returns.
      if (!positiveInteger(timeout)) return new Promise(() => {});
      execution.lastParams.set(info.name, input);
      const handler = execution.machine.handlers[info.name] as TaskHandler;
      const event = info.lambdaInvoke ? (isObject(input) ? (input.Payload ?? null) : null) : input;
      if (execution.record.status !== 'RUNNING') {
        return Promise.reject(stateError('States.Runtime', 'The execution was aborted', false));
      }

      if (!info.callback) {
        return new Promise<JsonValue>((resolve, reject) => {
          execution.inflight.add(reject);
          (async () => handler(event))()
            .then(
              (result) => {
                const json = toJson(result);
                const output = info.lambdaInvoke ? lambdaInvokeResponse(json) : json;
                execution.lastResult.set(info.name, output);
                resolve(output);
              },
              (thrown: unknown) => reject(handlerError(thrown)),
            )
            .finally(() => execution.inflight.delete(reject));
        });
      }

      const heartbeat = info.heartbeatSeconds ?? params[HEARTBEAT];
      if (info.hasHeartbeatPath && !positiveInteger(heartbeat)) {
        return Promise.reject(
          stateError(
            'States.Runtime',
            `HeartbeatSecondsPath did not resolve to a positive integer: ${String(heartbeat)}`,
            false,
          ),
        );
      }
      return new Promise<JsonValue>((resolve, reject) => {
        const task: PendingTask = {
          token,
          execution,
          stateName: info.name,
          status: 'pending',
          resolve: (value) => {
            execution.lastResult.set(info.name, value);
            resolve(value);
          },
          reject,
          ...(positiveInteger(heartbeat) ? { heartbeatSeconds: Math.min(heartbeat, MAX_TIMER_SECONDS) } : {}),
        };
        tokens.set(token, task);
        execution.pending.add(task);
        // Fires just before aws-local-stepfunctions' own timer for the same state (created right after this
        // returns) raises States.Timeout: from then on the token is refused.
        task.timeoutTimer = setTimeout(() => finish(task), Math.min(timeout, MAX_TIMER_SECONDS) * 1000);
        armHeartbeat(task);
        (async () => handler(event))().catch((thrown: unknown) => {
          if (task.status !== 'pending') return;
          finish(task);
          reject(handlerError(thrown));
        });
      });
    };

  const record = (execution: Execution, type: string, timestamp: number, details: Record<string, unknown> = {}) => {
    const history = execution.record.history;
    history.push({
      id: history.length + 1,
      previousEventId: history.length,
      timestamp: new Date(timestamp),
      type,
      ...details,
    });
  };

  /** Maps one aws-local-stepfunctions event log entry to the Step Functions history events it stands for. */
  const onEvent = (execution: Execution, event: Record<string, unknown>): void => {
    const at = Number(event.timestamp ?? Date.now());
    const state = (event.state ?? {}) as { name: string; type: string; input?: unknown; output?: unknown };
    const attempt = `${state.name}#${String(event.index ?? '')}`;
    const task = state.type === 'Task' ? execution.machine.tasks.get(state.name) : undefined;
    const taskDetails = task ? { resourceType: task.resourceType, resource: task.resourceName } : {};
    const scheduled = (): void => {
      if (!task) return;
      const timeout = execution.taskContext[TIMEOUT];
      record(execution, 'TaskScheduled', at, {
        taskScheduledEventDetails: {
          ...taskDetails,
          region: options.region ?? execution.machine.arn.split(':')[3] ?? 'us-east-1',
          parameters: JSON.stringify(execution.lastParams.get(state.name) ?? null),
          ...(positiveInteger(timeout) && timeout < MAX_TIMER_SECONDS ? { timeoutInSeconds: timeout } : {}),
        },
      });
      record(execution, 'TaskStarted', at, { taskStartedEventDetails: taskDetails });
    };
    switch (event.type) {
      case 'ExecutionStarted':
        record(execution, 'ExecutionStarted', at, {
          executionStartedEventDetails: {
            input: JSON.stringify(event.input ?? null),
            inputDetails: { truncated: false },
            roleArn: `arn:aws:iam::${ACCOUNT}:role/local-step-functions`,
          },
        });
        return;
      case 'StateEntered':
        record(execution, `${state.type}StateEntered`, at, {
          stateEnteredEventDetails: {
            name: state.name,
            input: JSON.stringify(state.input ?? null),
            inputDetails: { truncated: false },
          },
        });
        if (state.type === 'Map' || state.type === 'Parallel') record(execution, `${state.type}StateStarted`, at);
        execution.failedAttempts.delete(attempt);
        scheduled();
        return;
      case 'StateRetried':
        execution.failedAttempts.delete(attempt);
        scheduled();
        return;
      case 'StateFailed': {
        const error = String(event.Error ?? '');
        const cause = typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause ?? null);
        if (task) {
          const timedOut = error === 'States.Timeout' || error === 'States.HeartbeatTimeout';
          record(execution, timedOut ? 'TaskTimedOut' : 'TaskFailed', at, {
            [timedOut ? 'taskTimedOutEventDetails' : 'taskFailedEventDetails']: { ...taskDetails, error, cause },
          });
        } else if (state.type === 'Map' || state.type === 'Parallel') {
          record(execution, `${state.type}StateFailed`, at);
        }
        execution.failedAttempts.add(attempt);
        return;
      }
      case 'StateExited':
        if (!execution.failedAttempts.has(attempt)) {
          if (task) {
            record(execution, 'TaskSucceeded', at, {
              taskSucceededEventDetails: {
                ...taskDetails,
                output: JSON.stringify(execution.lastResult.get(state.name) ?? null),
                outputDetails: { truncated: false },
              },
            });
          } else if (state.type === 'Map' || state.type === 'Parallel') {
            record(execution, `${state.type}StateSucceeded`, at);
          }
        }
        execution.failedAttempts.delete(attempt);
        record(execution, `${state.type}StateExited`, at, {
          stateExitedEventDetails: {
            name: state.name,
            output: JSON.stringify(state.output ?? null),
            outputDetails: { truncated: false },
          },
        });
        return;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const parent = (event.parentState ?? {}) as { name?: string };
        record(execution, event.type, at, { mapIterationEventDetails: { name: parent.name, index: event.index } });
        return;
      }
      case 'ExecutionSucceeded':
        record(execution, 'ExecutionSucceeded', at, {
          executionSucceededEventDetails: {
            output: JSON.stringify(event.output ?? null),
            outputDetails: { truncated: false },
          },
        });
        return;
      case 'ExecutionFailed':
        record(execution, 'ExecutionFailed', at, {
          executionFailedEventDetails: {
            error: String(event.Error ?? ''),
            cause: typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause ?? null),
          },
        });
        return;
      case 'ExecutionAborted':
        record(execution, 'ExecutionAborted', at, { executionAbortedEventDetails: { ...execution.abortDetails } });
        return;
      case 'ExecutionTimeout':
        record(execution, 'ExecutionTimedOut', at, {
          executionTimedOutEventDetails: { error: 'States.Timeout', cause: 'The execution timed out' },
        });
        return;
      default:
        return; // StateCaught and Parallel branch events have no counterpart of their own in AWS
    }
  };

  /** Refuses the pending tokens of a stopped execution and ends its running handlers' tasks (and their timers). */
  const dropTasks = (execution: Execution): void => {
    const aborted = stateError('States.Runtime', 'The execution was aborted', false);
    for (const task of [...execution.pending]) {
      finish(task);
      task.reject(aborted);
    }
    for (const reject of [...execution.inflight]) reject(aborted);
  };

  const settle = (
    execution: Execution,
    outcome: { ok: true; value: unknown } | { ok: false; error: unknown },
  ): void => {
    dropTasks(execution); // e.g. callbacks still pending in other branches when the execution timed out
    const target = execution.record;
    if (target.status !== 'RUNNING') return; // aborted meanwhile
    target.stopDate = new Date();
    if (outcome.ok) {
      target.status = 'SUCCEEDED';
      target.output = JSON.stringify(outcome.value ?? null);
    } else if (outcome.error instanceof ExecutionTimeoutError) {
      target.status = 'TIMED_OUT';
      target.error = 'States.Timeout';
      target.cause = 'The execution timed out';
    } else {
      const failure = outcome.error instanceof ExecutionError ? outcome.error.cause : outcome.error;
      target.status = 'FAILED';
      target.error = failure instanceof Error ? failure.name : 'States.Runtime';
      target.cause = failure instanceof Error ? failure.message : String(failure);
    }
    options.onSettled?.(target);
  };

  const launch = (execution: Execution, input: JsonValue): void => {
    const { machine, record: target } = execution;
    const runOptions: RunOptions = {
      overrides: {
        taskResourceLocalHandlers: Object.fromEntries(
          [...machine.tasks.values()].map((info) => [info.name, taskHandler(execution, info)]),
        ) as NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers'],
        ...(machine.waitTimeOverrides ? { waitTimeOverrides: machine.waitTimeOverrides } : {}),
        ...(machine.retryIntervalOverrides ? { retryIntervalOverrides: machine.retryIntervalOverrides } : {}),
      },
      context: {
        Execution: {
          Id: target.executionArn,
          Name: target.name,
          RoleArn: `arn:aws:iam::${ACCOUNT}:role/local-step-functions`,
          StartTime: target.startDate.toISOString(),
        },
        StateMachine: { Id: machine.arn, Name: machine.name },
        Task: execution.taskContext,
      },
    };
    const run = machine.runner.run(input as never, runOptions);
    execution.abort = run.abort;
    const drained = (async () => {
      for await (const event of run.eventLogs) onEvent(execution, event as unknown as Record<string, unknown>);
    })();
    const outcome = run.result.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    running.add(execution);
    execution.done = Promise.all([outcome, drained.catch(() => undefined)])
      .then(([result]) => settle(execution, result))
      .finally(() => running.delete(execution));
  };

  const abortExecution = (execution: Execution, error?: string, cause?: string): void => {
    if (execution.record.status !== 'RUNNING') return;
    execution.record.status = 'ABORTED';
    execution.record.stopDate = new Date();
    execution.abortDetails = { ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) };
    if (error !== undefined) execution.record.error = error;
    if (cause !== undefined) execution.record.cause = cause;
    execution.abort?.();
    dropTasks(execution);
  };

  const executionOf = (arn: unknown): Execution => {
    const execution = typeof arn === 'string' ? executions.get(arn) : undefined;
    if (!execution) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`);
    return execution;
  };

  const pendingTaskOf = (token: unknown): PendingTask => {
    if (typeof token !== 'string' || token.length === 0 || token.length > 1024) {
      throw new SfnError(
        'ValidationException',
        "1 validation error detected: Value at 'taskToken' failed to satisfy constraint",
      );
    }
    const task = tokens.get(token);
    if (!task) throw new SfnError('InvalidToken', "Invalid Token: 'Invalid token'");
    if (task.status !== 'pending')
      throw new SfnError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
    return task;
  };

  const describe = (execution: Execution): JsonObject => {
    const r = execution.record;
    return JSON.parse(
      JSON.stringify({
        executionArn: r.executionArn,
        stateMachineArn: r.stateMachineArn,
        name: r.name,
        status: r.status,
        startDate: epochSeconds(r.startDate),
        stopDate: epochSeconds(r.stopDate),
        input: r.input,
        inputDetails: { included: true },
        ...(r.status === 'SUCCEEDED' ? { output: r.output, outputDetails: { included: true } } : {}),
        error: r.error,
        cause: r.cause,
        redriveCount: 0,
        redriveStatus: 'NOT_REDRIVABLE',
      }),
    ) as JsonObject;
  };

  const operations: Record<string, (input: Record<string, unknown>) => JsonObject> = {
    StartExecution: (input) => {
      const arn = input.stateMachineArn;
      const machine = typeof arn === 'string' ? prepared.get(arn) : undefined;
      if (!machine) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(arn)}'`);
      const name = input.name === undefined ? randomUUID() : input.name;
      if (typeof name !== 'string' || name.length === 0 || name.length > 80 || invalidName(name)) {
        throw new SfnError('InvalidName', `Invalid Name: '${String(name)}'`);
      }
      const rawInput = input.input === undefined ? '{}' : input.input;
      let parsed: JsonValue;
      try {
        if (typeof rawInput !== 'string') throw new Error('not a string');
        parsed = JSON.parse(rawInput) as JsonValue;
      } catch {
        throw new SfnError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${String(rawInput)}'`);
      }
      const executionArn = `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
      const existing = executions.get(executionArn);
      if (existing) {
        // AWS Standard: idempotent only while the execution with that name runs with the very same input.
        if (existing.record.status === 'RUNNING' && existing.record.input === rawInput) {
          return { executionArn, startDate: epochSeconds(existing.record.startDate) as number };
        }
        throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
      }
      const execution: Execution = {
        record: {
          executionArn,
          stateMachineArn: machine.arn,
          name,
          input: rawInput,
          status: 'RUNNING',
          startDate: new Date(),
          history: [],
        },
        machine,
        taskContext: {},
        pending: new Set(),
        inflight: new Set(),
        lastParams: new Map(),
        lastResult: new Map(),
        failedAttempts: new Set(),
      };
      Object.defineProperty(execution.taskContext, 'Token', {
        enumerable: true,
        get: () => {
          execution.unboundToken ??= mintToken();
          return execution.unboundToken;
        },
      });
      Object.defineProperty(execution.taskContext, TIMEOUT, {
        enumerable: false,
        writable: true,
        value: MAX_TIMER_SECONDS,
      });
      executions.set(executionArn, execution);
      launch(execution, parsed);
      return { executionArn, startDate: epochSeconds(execution.record.startDate) as number };
    },

    DescribeExecution: (input) => describe(executionOf(input.executionArn)),

    StopExecution: (input) => {
      const execution = executionOf(input.executionArn);
      abortExecution(
        execution,
        typeof input.error === 'string' ? input.error : undefined,
        typeof input.cause === 'string' ? input.cause : undefined,
      );
      return { stopDate: epochSeconds(execution.record.stopDate) as number };
    },

    GetExecutionHistory: (input) => {
      const execution = executionOf(input.executionArn);
      const all = input.reverseOrder === true ? [...execution.record.history].reverse() : execution.record.history;
      const start =
        typeof input.nextToken === 'string' ? Number(Buffer.from(input.nextToken, 'base64url').toString()) : 0;
      const size =
        typeof input.maxResults === 'number' && input.maxResults > 0 ? Math.min(input.maxResults, 1000) : 100;
      const page = all.slice(start, start + size);
      const includeData = input.includeExecutionData !== false;
      const events = page.map((event) => {
        const copy: Record<string, unknown> = { ...event, timestamp: event.timestamp.getTime() / 1000 };
        if (!includeData) {
          for (const [key, value] of Object.entries(copy)) {
            if (!key.endsWith('EventDetails') || !isObject(value)) continue;
            const { input: _input, output: _output, ...rest } = value;
            copy[key] = rest;
          }
        }
        return copy;
      });
      return JSON.parse(
        JSON.stringify({
          events,
          ...(start + size < all.length ? { nextToken: Buffer.from(String(start + size)).toString('base64url') } : {}),
        }),
      ) as JsonObject;
    },

    ListExecutions: (input) => {
      const arn = input.stateMachineArn;
      if (typeof arn !== 'string' || !prepared.has(arn)) {
        throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(arn)}'`);
      }
      const matching = [...executions.values()]
        .map((e) => e.record)
        .filter(
          (r) => r.stateMachineArn === arn && (input.statusFilter === undefined || r.status === input.statusFilter),
        )
        .reverse();
      const start =
        typeof input.nextToken === 'string' ? Number(Buffer.from(input.nextToken, 'base64url').toString()) : 0;
      const size =
        typeof input.maxResults === 'number' && input.maxResults > 0 ? Math.min(input.maxResults, 1000) : 100;
      return JSON.parse(
        JSON.stringify({
          executions: matching.slice(start, start + size).map((r) => ({
            executionArn: r.executionArn,
            stateMachineArn: r.stateMachineArn,
            name: r.name,
            status: r.status,
            startDate: epochSeconds(r.startDate),
            stopDate: epochSeconds(r.stopDate),
          })),
          ...(start + size < matching.length
            ? { nextToken: Buffer.from(String(start + size)).toString('base64url') }
            : {}),
        }),
      ) as JsonObject;
    },

    DescribeStateMachine: (input) => {
      const machine = typeof input.stateMachineArn === 'string' ? prepared.get(input.stateMachineArn) : undefined;
      if (!machine) {
        throw new SfnError(
          'StateMachineDoesNotExist',
          `State Machine Does Not Exist: '${String(input.stateMachineArn)}'`,
        );
      }
      return {
        stateMachineArn: machine.arn,
        name: machine.name,
        status: 'ACTIVE',
        definition: JSON.stringify(machine.definition),
        roleArn: `arn:aws:iam::${ACCOUNT}:role/local-step-functions`,
        type: 'STANDARD',
        creationDate: machine.createdAt.getTime() / 1000,
      };
    },

    ListStateMachines: () => ({
      stateMachines: [...prepared.values()].map((machine) => ({
        stateMachineArn: machine.arn,
        name: machine.name,
        type: 'STANDARD',
        creationDate: machine.createdAt.getTime() / 1000,
      })),
    }),

    SendTaskSuccess: (input) => {
      const task = pendingTaskOf(input.taskToken);
      let output: JsonValue;
      try {
        if (typeof input.output !== 'string') throw new Error('not a string');
        output = JSON.parse(input.output) as JsonValue;
      } catch {
        throw new SfnError('InvalidOutput', `Invalid Output: '${String(input.output)}'`);
      }
      finish(task);
      task.resolve(output);
      return {};
    },

    SendTaskFailure: (input) => {
      const task = pendingTaskOf(input.taskToken);
      finish(task);
      task.reject(
        stateError(
          typeof input.error === 'string' ? input.error : '',
          typeof input.cause === 'string' ? input.cause : '',
        ),
      );
      return {};
    },

    SendTaskHeartbeat: (input) => {
      armHeartbeat(pendingTaskOf(input.taskToken));
      return {};
    },
  };

  const send = (res: ServerResponse, status: number, body: JsonObject): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
    });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = (await readBody(req)).toString('utf8');
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('AWSStepFunctions.') ? operations[target.slice(17)] : undefined;
      if (req.method !== 'POST' || !operation) {
        throw new SfnError('UnknownOperationException', `Unknown operation ${target}`);
      }
      let input: unknown;
      try {
        input = body === '' ? {} : JSON.parse(body);
      } catch {
        throw new SfnError('SerializationException', 'The request body is not valid JSON');
      }
      send(res, 200, operation(isObject(input) ? input : {}));
    } catch (caught) {
      const error =
        caught instanceof SfnError
          ? caught
          : new SfnError('InternalFailure', caught instanceof Error ? caught.message : String(caught), 500);
      send(res, error.status, { __type: `com.amazonaws.swf.service.v2.model#${error.code}`, message: error.message });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const endpoint = await listen(server, options.port);

  const idle = async (): Promise<void> => {
    while (running.size > 0) await Promise.allSettled([...running].map((execution) => execution.done));
  };

  return {
    endpoint,
    idle,
    executions: () =>
      [...executions.values()].map(({ record: r }) => ({ ...r, history: r.history.map((event) => ({ ...event })) })),
    stop: async () => {
      for (const execution of [...running])
        abortExecution(execution, 'States.Aborted', 'The local Step Functions server stopped');
      await Promise.all([closeServer(server), idle()]);
    },
  };
};

const lambdaInvokeResponse = (payload: JsonValue): JsonValue => {
  const requestId = randomUUID();
  return {
    ExecutedVersion: '$LATEST',
    Payload: payload,
    SdkHttpMetadata: {
      AllHttpHeaders: {
        'X-Amz-Executed-Version': ['$LATEST'],
        'x-amzn-Remapped-Content-Length': ['0'],
        Connection: ['keep-alive'],
        'x-amzn-RequestId': [requestId],
        'Content-Type': ['application/json'],
      },
      HttpHeaders: {
        Connection: 'keep-alive',
        'Content-Type': 'application/json',
        'X-Amz-Executed-Version': '$LATEST',
        'x-amzn-Remapped-Content-Length': '0',
        'x-amzn-RequestId': requestId,
      },
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: 200,
  };
};
