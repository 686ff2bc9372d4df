/*
 * The two kinds of error of the local Step Functions: those its API answers (`ApiError`, sent as
 * the JSON protocol's `__type`), and those a state raises, which aws-local-stepfunctions matches in
 * Retry and Catch by `name` (`stateError`, and `handlerError` for a task handler that threw).
 */

/** An error the Step Functions API answers, e.g. `ExecutionDoesNotExist`. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** An error as aws-local-stepfunctions matches it in Retry / Catch: by `name`; `message` becomes the Cause. */
export function stateError(name: string, cause: string, catchable = true): Error {
  const error = new Error(cause);
  error.name = name;
  if (!catchable) Object.assign(error, { isCatchable: false, isRetryable: false });
  return error;
}

/**
 * The States.Timeout of a callback whose timeout the stand-in overrides (see `checkTimeoutOverride`
 * in `definition.ts`): never retried, as AWS never retries a timeout with a `States.TaskFailed` retrier.
 */
export const callbackTimeoutError = (): Error =>
  Object.assign(stateError('States.Timeout', 'States.Timeout'), { isRetryable: false });

/** The error an aborted execution's pending and running tasks end with (neither retried nor caught). */
export const abortedError = (): Error => stateError('States.Runtime', 'The execution was aborted', false);

/** An aborted execution's pending and running tasks end with this (neither retried nor caught). */
export function handlerError(thrown: unknown): Error {
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
}
