import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listen, readBody } from '../http-util.ts';
import { type LocalStateMachine, type PreparedMachine, prepareMachine } from './definition.ts';
import { ApiError, stateError } from './errors.ts';
import { Executions } from './executions.ts';
import { type JsonValue, TaskTokens } from './task-tokens.ts';
import type { Execution, LocalExecutionRecord } from './types.ts';

/*
 * Local stand-in for AWS Step Functions (Standard workflows), speaking the AWS JSON 1.0 protocol of
 * `@aws-sdk/client-sfn`, so the production adapters run against it through `AWS_ENDPOINT_URL_SFN`.
 * It answers what the product and its tests call: StartExecution, DescribeExecution, StopExecution,
 * GetExecutionHistory (one page), SendTaskSuccess / SendTaskFailure and RedriveExecution (of a
 * failed, timed-out or aborted execution: it runs again from the state where it stopped). Executions are interpreted
 * by aws-local-stepfunctions (JSONPath only), every Task state by a local handler (`tasks.ts`).
 */

export type { LocalStateMachine, TaskHandler } from './definition.ts';
export type { ExecutionStatus, LocalExecutionRecord, LocalHistoryEvent } from './types.ts';

export type LocalStepFunctionsServer = {
  endpoint: string;
  stop(): Promise<void>;
  /** Resolves when no execution is running (those started while waiting included). */
  idle(): Promise<void>;
  executions(): LocalExecutionRecord[];
};

/** An API action: its answer is sent as JSON (undefined fields left out). */
type Action = (input: Record<string, unknown>) => unknown;

const INVALID_NAME_CHARACTERS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
const validName = (name: unknown): name is string =>
  typeof name === 'string' &&
  name.length > 0 &&
  name.length <= 80 &&
  !INVALID_NAME_CHARACTERS.test(name) &&
  ![...name].some((c) => {
    const code = c.codePointAt(0) ?? 0;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });

const epochSeconds = (date: Date | undefined): number | undefined => (date ? date.getTime() / 1000 : undefined);

/** `text` parsed as JSON; the API error `code` when it is not a JSON string. */
function parseJson(text: unknown, code: string, message: string): JsonValue {
  try {
    if (typeof text !== 'string') throw new Error('not a string');
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new ApiError(code, `${message}: '${String(text)}'`);
  }
}

/** The API actions, over the prepared machines, their executions and the task tokens. */
function actions(
  machines: Map<string, PreparedMachine>,
  executions: Executions,
  tokens: TaskTokens,
): Record<string, Action> {
  const executionOf = (arn: unknown): Execution => {
    const execution = typeof arn === 'string' ? executions.get(arn) : undefined;
    if (!execution) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`);
    return execution;
  };
  const optional = (value: unknown) => (typeof value === 'string' ? value : undefined);

  return {
    StartExecution: (input) => {
      const machine = machines.get(String(input.stateMachineArn));
      if (!machine) {
        throw new ApiError(
          'StateMachineDoesNotExist',
          `State Machine Does Not Exist: '${String(input.stateMachineArn)}'`,
        );
      }
      const name = input.name ?? randomUUID();
      if (!validName(name)) throw new ApiError('InvalidName', `Invalid Name: '${String(name)}'`);
      const rawInput = input.input ?? '{}';
      const parsed = parseJson(rawInput, 'InvalidExecutionInput', 'Invalid State Machine Execution Input');
      const executionArn = `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
      const existing = executions.get(executionArn);
      if (existing) {
        // AWS Standard: idempotent only while the execution with that name runs with the very same input.
        if (existing.record.status === 'RUNNING' && existing.record.input === rawInput) {
          return { executionArn, startDate: epochSeconds(existing.record.startDate) };
        }
        throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
      }
      const started = executions.start(machine, executionArn, name, rawInput as string, parsed);
      return { executionArn, startDate: epochSeconds(started.record.startDate) };
    },

    DescribeExecution: (input) => {
      const r = executionOf(input.executionArn).record;
      return {
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
        redriveCount: r.redriveCount ?? 0,
        redriveStatus: ['FAILED', 'TIMED_OUT', 'ABORTED'].includes(r.status) ? 'REDRIVABLE' : 'NOT_REDRIVABLE',
      };
    },

    RedriveExecution: (input) => {
      const execution = executionOf(input.executionArn);
      executions.redrive(execution);
      return { redriveDate: Date.now() / 1000 };
    },

    StopExecution: (input) => {
      const execution = executionOf(input.executionArn);
      executions.stop(execution, optional(input.error), optional(input.cause));
      return { stopDate: epochSeconds(execution.record.stopDate) };
    },

    GetExecutionHistory: (input) => {
      const events = executionOf(input.executionArn).record.history;
      return { events: events.map((event) => ({ ...event, timestamp: event.timestamp.getTime() / 1000 })) };
    },

    SendTaskSuccess: (input) => {
      const task = tokens.take(input.taskToken);
      task.succeed(parseJson(input.output, 'InvalidOutput', 'Invalid Output'));
      return {};
    },

    SendTaskFailure: (input) => {
      tokens.take(input.taskToken).fail(stateError(optional(input.error) ?? '', optional(input.cause) ?? ''));
      return {};
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
}

/** Starts the Step Functions stand-in on 127.0.0.1 with these state machines. */
export async function startStepFunctionsServer(
  machines: LocalStateMachine[],
  options: {
    /** Called once per execution when it ends (succeeded, failed, timed out or aborted). */
    onSettled?: (execution: LocalExecutionRecord) => void;
  } = {},
): Promise<LocalStepFunctionsServer> {
  const prepared = new Map(machines.map((machine) => [machine.arn, prepareMachine(machine)]));
  const tokens = new TaskTokens();
  const executions = new Executions(tokens, options.onSettled);
  const api = actions(prepared, executions, tokens);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = (await readBody(req)).toString('utf8');
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target.startsWith('AWSStepFunctions.') ? api[target.slice(17)] : undefined;
      if (req.method !== 'POST' || !action) {
        throw new ApiError('UnknownOperationException', `Unknown operation ${target}`);
      }
      let input: unknown;
      try {
        input = body === '' ? {} : JSON.parse(body);
      } catch {
        throw new ApiError('SerializationException', 'The request body is not valid JSON');
      }
      const isObject = typeof input === 'object' && input !== null && !Array.isArray(input);
      send(res, 200, action(isObject ? (input as Record<string, unknown>) : {}));
    } catch (caught) {
      const error =
        caught instanceof ApiError
          ? caught
          : new ApiError('InternalFailure', caught instanceof Error ? caught.message : String(caught), 500);
      send(res, error.status, { __type: `com.amazonaws.swf.service.v2.model#${error.code}`, message: error.message });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  return {
    endpoint: await listen(server),
    idle: () => executions.idle(),
    executions: () => executions.records(),
    stop: async () => {
      await Promise.all([closeServer(server), executions.stopAll('The local Step Functions server stopped')]);
    },
  };
}
