import {
  InvalidOutput,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { stepFunctionsCallbacks } from '../../../functions/adapters/step-functions-callbacks.ts';
import { ErrorName } from '../../../functions/domain/errors.ts';

const sfn = mockClient(SFNClient);
const callbacks = stepFunctionsCallbacks(new SFNClient({}));
afterEach(() => {
  sfn.reset();
});

const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAeR0b2tlbg==';
const $metadata = {};

/** The errors Step Functions answers for a token whose wait is over. */
const closedErrors = [
  new TaskTimedOut({ message: 'Task Timed Out', $metadata }),
  new TaskDoesNotExist({ message: 'Task Does Not Exist', $metadata }),
  new InvalidToken({ message: 'Invalid Token', $metadata }),
];

describe('Step Functions callbacks', () => {
  it('resumes a waiting workflow with the output as JSON', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});

    const answer = await callbacks.succeed(TOKEN, { paid: true, amountCents: 610 });

    expect(answer).toBe('resumed');
    const calls = sfn.commandCalls(SendTaskSuccessCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input.taskToken).toBe(TOKEN);
    expect(JSON.parse(calls[0]?.args[0].input.output ?? 'null')).toEqual({ paid: true, amountCents: 610 });
  });

  it('fails a waiting task with the given error and cause', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});

    const answer = await callbacks.fail(TOKEN, ErrorName.PaymentFailed, 'payment.failed event evt_1');

    expect(answer).toBe('resumed');
    expect(sfn.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input)).toEqual([
      { taskToken: TOKEN, error: ErrorName.PaymentFailed, cause: 'payment.failed event evt_1' },
    ]);
  });

  it.each(closedErrors)('answers closed to a success callback refused with $name', async (error) => {
    sfn.on(SendTaskSuccessCommand).rejects(error);

    await expect(callbacks.succeed(TOKEN, {})).resolves.toBe('closed');
  });

  it.each(closedErrors)('answers closed to a failure callback refused with $name', async (error) => {
    sfn.on(SendTaskFailureCommand).rejects(error);

    await expect(callbacks.fail(TOKEN, ErrorName.PaymentFailed, 'late')).resolves.toBe('closed');
  });

  it('rethrows every other error', async () => {
    const invalidOutput = new InvalidOutput({ message: 'Invalid Output', $metadata });
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    sfn.on(SendTaskSuccessCommand).rejects(invalidOutput);
    sfn.on(SendTaskFailureCommand).rejects(throttled);

    await expect(callbacks.succeed(TOKEN, {})).rejects.toBe(invalidOutput);
    await expect(callbacks.fail(TOKEN, ErrorName.PaymentFailed, 'cause')).rejects.toBe(throttled);
  });
});
