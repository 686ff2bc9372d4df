import { randomUUID } from 'node:crypto';
import { INPUT, MAX_TIMER_SECONDS, positiveInteger, type TaskHandler, type TaskInfo, TIMEOUT } from './definition.ts';
import { abortedError, callbackTimeoutError, handlerError } from './errors.ts';
import type { JsonValue, TaskTokens } from './task-tokens.ts';
import type { Execution } from './types.ts';

/*
 * What runs when an execution reaches a Task state: the state's local handler plays what its
 * Resource would call.
 * - `lambda:invoke` (and `.waitForTaskToken`): the handler is the Lambda function: it receives the
 *   `Payload` of the effective parameters, and (for `lambda:invoke`) its return value becomes the
 *   `Payload` of a Lambda Invoke response, as in AWS (hence `OutputPath: '$.Payload'`).
 * - any other Resource: the handler receives the effective input and returns the task result.
 * A handler that throws fails the task with the error's `name` (like a Lambda `errorType`).
 * `.waitForTaskToken` states call the handler (which hands `$$.Task.Token` on) and wait for the token.
 */

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const toJson = (value: unknown): JsonValue =>
  value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue);

/**
 * The `taskResourceLocalHandlers` entry of one Task state for one execution. aws-local-stepfunctions
 * calls it synchronously right after resolving the state's Parameters (where `$$.Task.Token` was read)
 * and reads the state's timeout (`$$.Task.__localTimeoutSeconds`) right after it returns, so everything
 * up to the returned promise happens before any other state can run.
 */
export function taskHandler(execution: Execution, info: TaskInfo, tokens: TaskTokens) {
  return (effective: unknown): Promise<JsonValue> => {
    const params = isObject(effective) ? effective : {};
    const input = params[INPUT] ?? null;
    const token = execution.unboundToken ?? tokens.mint();
    execution.unboundToken = undefined;
    const timeout = info.timeoutSeconds ?? params[TIMEOUT] ?? MAX_TIMER_SECONDS;
    execution.taskContext[TIMEOUT] = positiveInteger(timeout) ? Math.min(timeout, MAX_TIMER_SECONDS) : timeout;
    // An invalid TimeoutSecondsPath value: aws-local-stepfunctions raises States.Runtime after this returns.
    if (!positiveInteger(timeout)) return new Promise(() => {});
    execution.lastParams.set(info.name, input);
    if (execution.record.status !== 'RUNNING') return Promise.reject(abortedError());
    const handler = execution.machine.handlers[info.name] as TaskHandler;
    const event = info.lambdaInvoke ? (isObject(input) ? (input.Payload ?? null) : null) : input;
    const run = async () => handler(event);

    if (info.callback) {
      const overrideMs = execution.machine.callbackTimeoutOverrides?.[info.name];
      const waiting =
        overrideMs === undefined
          ? tokens.wait(token, execution, Math.min(timeout, MAX_TIMER_SECONDS) * 1000)
          : tokens.wait(token, execution, overrideMs, callbackTimeoutError());
      run().catch((thrown: unknown) => waiting.fail(handlerError(thrown)));
      return waiting.outcome.then((output) => {
        execution.lastResult.set(info.name, output);
        return output;
      });
    }
    return new Promise<JsonValue>((resolve, reject) => {
      execution.inflight.add(reject);
      run()
        .then(
          (result) => {
            const output = info.lambdaInvoke ? lambdaInvokeResponse(toJson(result)) : toJson(result);
            execution.lastResult.set(info.name, output);
            resolve(output);
          },
          (thrown: unknown) => reject(handlerError(thrown)),
        )
        .finally(() => execution.inflight.delete(reject));
    });
  };
}

/** The result of a `lambda:invoke` task as Step Functions gives it: the function's output in `Payload`. */
function lambdaInvokeResponse(payload: JsonValue): JsonValue {
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
}
