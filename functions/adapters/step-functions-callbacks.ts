import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { WorkflowCallbacks } from '../use-cases/ports.ts';

/** Errors Step Functions answers for a token whose wait is over: a late callback is a harmless no-op. */
const CLOSED = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

async function callback(send: () => Promise<unknown>): Promise<'resumed' | 'closed'> {
  try {
    await send();
    return 'resumed';
  } catch (error) {
    if (error instanceof Error && CLOSED.has(error.name)) return 'closed';
    throw error;
  }
}

/** Resumes workflows waiting on a task token (the payment wait). */
export const stepFunctionsCallbacks = (client: SFNClient): WorkflowCallbacks => ({
  succeed: (taskToken, output) =>
    callback(() => client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }))),
  fail: (taskToken, error, cause) =>
    callback(() => client.send(new SendTaskFailureCommand({ taskToken, error, cause }))),
});
