import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';

/*
 * A state machine made ready for aws-local-stepfunctions: the definition is validated as written,
 * then every Task state is rewritten so that its task handler (`tasks.ts`) receives its effective
 * parameters and resolved timeout, and decides its timeout itself.
 */

/** What a Task state's Resource would call: for `lambda:invoke` the function, given the `Payload`. */
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
  /**
   * Callback (`.waitForTaskToken`) state name to the milliseconds its wait lasts before it times out,
   * instead of its TimeoutSeconds(Path): for waits that stand for minutes or hours. The history still
   * shows the timeout the definition gave. See `checkTimeoutOverride` for the states it may apply to.
   */
  callbackTimeoutOverrides?: Record<string, number>;
};

/** A Task state, as its handler and its history events need it. */
export type TaskInfo = {
  name: string;
  /** `.waitForTaskToken`: the state waits for SendTaskSuccess / SendTaskFailure. */
  callback: boolean;
  /** `lambda:invoke`: the handler gets the `Payload` and its result is wrapped in a Lambda Invoke response. */
  lambdaInvoke: boolean;
  timeoutSeconds?: number;
  resourceType: string;
  resourceName: string;
};

export type PreparedMachine = {
  arn: string;
  name: string;
  region: string;
  runner: StateMachine;
  /** The runner's definition, as rewritten: a redrive runs it from another state. */
  definition: Record<string, unknown>;
  tasks: Map<string, TaskInfo>;
  handlers: Record<string, TaskHandler>;
  waitTimeOverrides?: Record<string, number>;
  retryIntervalOverrides?: Record<string, number | number[]>;
  callbackTimeoutOverrides?: Record<string, number>;
};

/** Where a rewritten Task state puts its effective parameters. */
export const INPUT = '__localInput';
/** Where a rewritten Task state puts its resolved TimeoutSecondsPath, and where it reads its timeout. */
export const TIMEOUT = '__localTimeoutSeconds';
/** setTimeout's limit, in seconds (about 24.8 days); longer timeouts and waits are cut to it. */
export const MAX_TIMER_SECONDS = 2_147_483;
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

/** What TimeoutSeconds(Path) must be. */
export const positiveInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `resourceType` and `resource` as history events name them. */
function resourceParts(resource: string): { resourceType: string; resourceName: string } {
  if (resource.startsWith('arn:aws:states:::')) {
    const rest = resource.slice('arn:aws:states:::'.length);
    const colon = rest.lastIndexOf(':');
    return { resourceType: rest.slice(0, Math.max(colon, 0)), resourceName: rest.slice(colon + 1) };
  }
  if (resource.startsWith('arn:aws:lambda:')) return { resourceType: 'lambda', resourceName: resource };
  return { resourceType: 'activity', resourceName: resource };
}

/**
 * A callback timeout override is raised by the stand-in itself, as an error named States.Timeout
 * that aws-local-stepfunctions cannot tell from a task failure (its own timeout class is not
 * exported): it is never retried, and a `States.TaskFailed` catcher would take it. So an override
 * applies only to a callback state where that makes no difference: no retrier naming States.Timeout
 * or States.ALL (AWS would retry), no catcher naming States.TaskFailed (AWS would not catch).
 */
function checkTimeoutOverride(name: string, state: Record<string, unknown>): void {
  const refuse = (why: string): never => {
    throw new Error(`The callback timeout override of ${name} is not supported: ${why}`);
  };
  if (state.Type !== 'Task' || !String(state.Resource ?? '').endsWith('.waitForTaskToken')) {
    refuse('it is not a .waitForTaskToken Task state');
  }
  const errorsOf = (field: unknown) =>
    ((field ?? []) as Array<{ ErrorEquals?: string[] }>).flatMap((entry) => entry.ErrorEquals ?? []);
  if (errorsOf(state.Retry).some((error) => error === 'States.Timeout' || error === 'States.ALL')) {
    refuse('a retrier names States.Timeout or States.ALL');
  }
  if (errorsOf(state.Catch).includes('States.TaskFailed')) refuse('a catcher names States.TaskFailed');
}

/** Refuses what the local server does not run, and rewrites every Task state (see `prepareMachine`). */
function prepareDefinition(
  definition: Record<string, unknown>,
  tasks: Map<string, TaskInfo>,
  timeoutOverrides: Record<string, number>,
  path = '',
): void {
  const refuse = (what: string, where: string): never => {
    throw new Error(`${what} not supported by the local Step Functions (${where})`);
  };
  if (definition.QueryLanguage === 'JSONata') refuse('JSONata is', path || 'top level');
  for (const [name, state] of Object.entries((definition.States ?? {}) as Record<string, Record<string, unknown>>)) {
    if (state.QueryLanguage === 'JSONata') refuse('JSONata is', name);
    if ('Assign' in state) refuse('Workflow variables (Assign) are', name);
    if ('HeartbeatSeconds' in state || 'HeartbeatSecondsPath' in state) refuse('Heartbeats are', name);
    for (const branch of (state.Branches ?? []) as Array<Record<string, unknown>>) {
      prepareDefinition(branch, tasks, timeoutOverrides, name);
    }
    for (const nested of [state.Iterator, state.ItemProcessor]) {
      if (isObject(nested)) prepareDefinition(nested, tasks, timeoutOverrides, name);
    }
    if (state.Type === 'Wait' && typeof state.Seconds === 'number') {
      state.Seconds = Math.min(state.Seconds, MAX_TIMER_SECONDS);
    }
    if (Object.hasOwn(timeoutOverrides, name)) checkTimeoutOverride(name, state);
    if (state.Type !== 'Task') continue;
    const resource = String(state.Resource ?? '');
    tasks.set(name, {
      name,
      callback: resource.endsWith('.waitForTaskToken'),
      lambdaInvoke: resource === LAMBDA_INVOKE || resource === `${LAMBDA_INVOKE}.waitForTaskToken`,
      ...(typeof state.TimeoutSeconds === 'number' ? { timeoutSeconds: state.TimeoutSeconds } : {}),
      ...resourceParts(resource),
    });
    const parameters: Record<string, unknown> =
      'Parameters' in state ? { [INPUT]: state.Parameters } : { [`${INPUT}.$`]: '$' };
    // Resolved against the input after InputPath, as AWS resolves this reference path.
    if (typeof state.TimeoutSecondsPath === 'string') parameters[`${TIMEOUT}.$`] = state.TimeoutSecondsPath;
    state.Parameters = parameters;
    delete state.TimeoutSeconds;
    // The task handler sets this just before aws-local-stepfunctions reads it (no default 60 s timeout).
    state.TimeoutSecondsPath = `$$.Task.${TIMEOUT}`;
  }
}

/** A runner of a prepared definition, from its StartAt or from `startAt` (a redrive). */
export function runnerFrom(definition: Record<string, unknown>, startAt?: string): StateMachine {
  return new StateMachine(
    (startAt ? { ...definition, StartAt: startAt } : definition) as unknown as StateMachineDefinition,
    {
      validationOptions: { noValidate: true },
    },
  );
}

/** Validates a machine's definition and handlers, and makes its runner. */
export function prepareMachine(machine: LocalStateMachine): PreparedMachine {
  const match = /^arn:aws[a-z-]*:states:([^:]*):[^:]*:stateMachine:([^:]+)$/.exec(machine.arn);
  if (!match?.[2]) throw new Error(`Not a state machine ARN: ${machine.arn}`);
  // Validates the definition as written (ASL schema, JSONPath syntax) before it is rewritten.
  new StateMachine(machine.definition as StateMachineDefinition, { validationOptions: { checkArn: false } });
  const rewritten = structuredClone(machine.definition) as Record<string, unknown>;
  const tasks = new Map<string, TaskInfo>();
  const timeoutOverrides = machine.callbackTimeoutOverrides ?? {};
  prepareDefinition(rewritten, tasks, timeoutOverrides);
  const unknown = Object.keys(timeoutOverrides).filter((name) => !tasks.has(name));
  if (unknown.length > 0) throw new Error(`${machine.arn}: no callback state ${unknown.join(', ')} to override`);
  // Longer delays would overflow setTimeout, which then fires at once.
  if (typeof rewritten.TimeoutSeconds === 'number') {
    rewritten.TimeoutSeconds = Math.min(rewritten.TimeoutSeconds, MAX_TIMER_SECONDS);
  }
  const missing = [...tasks.keys()].filter((name) => typeof machine.taskHandlers[name] !== 'function');
  if (missing.length > 0) throw new Error(`${machine.arn}: no task handler for state(s) ${missing.join(', ')}`);
  return {
    arn: machine.arn,
    name: match[2],
    region: match[1] || 'us-east-1',
    runner: runnerFrom(rewritten),
    definition: rewritten,
    tasks,
    handlers: machine.taskHandlers,
    ...(machine.waitTimeOverrides ? { waitTimeOverrides: machine.waitTimeOverrides } : {}),
    ...(machine.retryIntervalOverrides ? { retryIntervalOverrides: machine.retryIntervalOverrides } : {}),
    ...(machine.callbackTimeoutOverrides ? { callbackTimeoutOverrides: machine.callbackTimeoutOverrides } : {}),
  };
}
