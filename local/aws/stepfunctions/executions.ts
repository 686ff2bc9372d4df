import { ExecutionError, ExecutionTimeoutError, type RunOptions } from 'aws-local-stepfunctions';
import { MAX_TIMER_SECONDS, type PreparedMachine, runnerFrom, TIMEOUT } from './definition.ts';
import { ApiError, abortedError } from './errors.ts';
import { ROLE_ARN, recordEvent } from './history.ts';
import type { JsonValue, TaskTokens } from './task-tokens.ts';
import { taskHandler } from './tasks.ts';
import type { Execution, LocalExecutionRecord } from './types.ts';

/*
 * Executions: each one run by aws-local-stepfunctions with the machine's task handlers, from start to
 * its end (succeeded, failed, timed out) or to StopExecution (aborted), with its record and history.
 */

export class Executions {
  readonly #all = new Map<string, Execution>();
  readonly #running = new Set<Execution>();
  readonly #tokens: TaskTokens;
  readonly #onSettled: ((execution: LocalExecutionRecord) => void) | undefined;

  constructor(tokens: TaskTokens, onSettled?: (execution: LocalExecutionRecord) => void) {
    this.#tokens = tokens;
    this.#onSettled = onSettled;
  }

  get(executionArn: string): Execution | undefined {
    return this.#all.get(executionArn);
  }

  /** Every execution's record (copies), oldest first. */
  records(): LocalExecutionRecord[] {
    return [...this.#all.values()].map(({ record }) => ({ ...record, history: record.history.map((e) => ({ ...e })) }));
  }

  /** Starts an execution of `machine` and answers it (running). */
  start(machine: PreparedMachine, executionArn: string, name: string, rawInput: string, input: JsonValue): Execution {
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
      inflight: new Set(),
      lastParams: new Map(),
      lastResult: new Map(),
      failedAttempts: new Set(),
    };
    Object.defineProperty(execution.taskContext, 'Token', {
      enumerable: true,
      get: () => {
        execution.unboundToken ??= this.#tokens.mint();
        return execution.unboundToken;
      },
    });
    Object.defineProperty(execution.taskContext, TIMEOUT, {
      enumerable: false,
      writable: true,
      value: MAX_TIMER_SECONDS,
    });
    this.#all.set(executionArn, execution);
    this.#launch(execution, input);
    return execution;
  }

  /**
   * Redrives an execution that failed, timed out or was aborted (RedriveExecution): it runs again,
   * under the same ARN, from the state it entered and never left, with the input that state had;
   * the states it completed are not run again. As in AWS, a running or succeeded one cannot be.
   */
  redrive(execution: Execution): void {
    const { record } = execution;
    if (record.status === 'RUNNING' || record.status === 'SUCCEEDED') {
      throw new ApiError('ExecutionNotRedrivable', `Execution is ${record.status} and cannot be redriven.`);
    }
    const resumeAt = unfinishedState(execution);
    record.status = 'RUNNING';
    record.redriveCount = (record.redriveCount ?? 0) + 1;
    for (const field of ['stopDate', 'error', 'cause', 'output'] as const) delete record[field];
    execution.abortDetails = undefined;
    execution.failedAttempts.clear();
    recordEvent(execution, { type: 'ExecutionRedriven', timestamp: Date.now() });
    this.#launch(
      execution,
      resumeAt?.input ?? (JSON.parse(record.input) as JsonValue),
      resumeAt ? runnerFrom(execution.machine.definition, resumeAt.state) : undefined,
    );
  }

  /** Aborts a running execution (StopExecution), refusing its tokens and ending its running tasks. */
  stop(execution: Execution, error?: string, cause?: string): void {
    const { record } = execution;
    if (record.status !== 'RUNNING') return;
    record.status = 'ABORTED';
    record.stopDate = new Date();
    execution.abortDetails = { ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) };
    if (error !== undefined) record.error = error;
    if (cause !== undefined) record.cause = cause;
    execution.abort?.();
    this.#dropTasks(execution);
  }

  /** Resolves when no execution is running (those started while waiting included). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running].map((execution) => execution.done));
  }

  /** Aborts every running execution and resolves once they have ended. */
  async stopAll(cause: string): Promise<void> {
    for (const execution of [...this.#running]) this.stop(execution, 'States.Aborted', cause);
    await this.idle();
  }

  #launch(execution: Execution, input: JsonValue, runner = execution.machine.runner): void {
    const { machine, record } = execution;
    const runOptions: RunOptions = {
      overrides: {
        taskResourceLocalHandlers: Object.fromEntries(
          [...machine.tasks.values()].map((info) => [info.name, taskHandler(execution, info, this.#tokens)]),
        ) as NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers'],
        ...(machine.waitTimeOverrides ? { waitTimeOverrides: machine.waitTimeOverrides } : {}),
        ...(machine.retryIntervalOverrides ? { retryIntervalOverrides: machine.retryIntervalOverrides } : {}),
      },
      context: {
        Execution: {
          Id: record.executionArn,
          Name: record.name,
          RoleArn: ROLE_ARN,
          StartTime: record.startDate.toISOString(),
        },
        StateMachine: { Id: machine.arn, Name: machine.name },
        Task: execution.taskContext,
      },
    };
    const run = runner.run(input as never, runOptions);
    execution.abort = run.abort;
    const redriven = runner !== machine.runner || (record.redriveCount ?? 0) > 0;
    const drained = (async () => {
      for await (const event of run.eventLogs) {
        // A redriven run goes on with the same execution: it has started once.
        if (redriven && (event as { type?: string }).type === 'ExecutionStarted') continue;
        recordEvent(execution, event as unknown as Record<string, unknown>);
      }
    })();
    const outcome = run.result.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    this.#running.add(execution);
    execution.done = Promise.all([outcome, drained.catch(() => undefined)])
      .then(([result]) => this.#settle(execution, result))
      .finally(() => this.#running.delete(execution));
  }

  #settle(execution: Execution, outcome: { ok: true; value: unknown } | { ok: false; error: unknown }): void {
    this.#dropTasks(execution); // e.g. callbacks still pending in other branches when the execution timed out
    const { record } = execution;
    if (record.status !== 'RUNNING') return; // aborted meanwhile
    record.stopDate = new Date();
    if (outcome.ok) {
      record.status = 'SUCCEEDED';
      record.output = JSON.stringify(outcome.value ?? null);
    } else if (outcome.error instanceof ExecutionTimeoutError) {
      record.status = 'TIMED_OUT';
      record.error = 'States.Timeout';
      record.cause = 'The execution timed out';
    } else {
      const failure = outcome.error instanceof ExecutionError ? outcome.error.cause : outcome.error;
      record.status = 'FAILED';
      record.error = failure instanceof Error ? failure.name : 'States.Runtime';
      record.cause = failure instanceof Error ? failure.message : String(failure);
    }
    this.#onSettled?.(record);
  }

  /** Refuses the pending tokens of a stopped execution and ends its running handlers' tasks. */
  #dropTasks(execution: Execution): void {
    this.#tokens.drop(execution, abortedError());
    for (const reject of [...execution.inflight]) reject(abortedError());
  }
}

/**
 * Where a redrive resumes: the last top-level state the execution entered and never left (the
 * state that failed it), with the input it had; undefined when it never entered one.
 */
function unfinishedState(execution: Execution): { state: string; input: JsonValue } | undefined {
  const states = (execution.machine.definition.States ?? {}) as Record<string, unknown>;
  const history = execution.record.history;
  for (let i = history.length - 1; i >= 0; i--) {
    const event = history[i];
    if (!event?.type.endsWith('StateEntered')) continue;
    const details = event.stateEnteredEventDetails as { name: string; input: string };
    if (!Object.hasOwn(states, details.name)) continue;
    const exited = history
      .slice(i + 1)
      .some(
        (later) =>
          later.type.endsWith('StateExited') &&
          (later.stateExitedEventDetails as { name?: string } | undefined)?.name === details.name,
      );
    return exited ? undefined : { state: details.name, input: JSON.parse(details.input) as JsonValue };
  }
  return undefined;
}
