import { MAX_TIMER_SECONDS, positiveInteger, TIMEOUT } from './definition.ts';
import type { Execution } from './types.ts';

/*
 * The execution history GetExecutionHistory answers, built from aws-local-stepfunctions' event log:
 * each log entry becomes the Step Functions history events it stands for (a Task state's
 * TaskScheduled, TaskStarted and TaskSucceeded / TaskFailed / TaskTimedOut included).
 */

/** A history event as GetExecutionHistory returns it: `type`, ids, timestamp and one `<type>EventDetails` field. */

export const ROLE_ARN = 'arn:aws:iam::000000000000:role/local-step-functions';

function record(execution: Execution, type: string, timestamp: number, details: Record<string, unknown> = {}): void {
  const history = execution.record.history;
  history.push({
    id: history.length + 1,
    previousEventId: history.length,
    timestamp: new Date(timestamp),
    type,
    ...details,
  });
}

const causeOf = (event: Record<string, unknown>): string =>
  typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause ?? null);

/** Appends to `execution`'s history the events one aws-local-stepfunctions event log entry stands for. */
export function recordEvent(execution: Execution, event: Record<string, unknown>): void {
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
        region: execution.machine.region,
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
          roleArn: ROLE_ARN,
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
      if (task) {
        const timedOut = error === 'States.Timeout' || error === 'States.HeartbeatTimeout';
        record(execution, timedOut ? 'TaskTimedOut' : 'TaskFailed', at, {
          [timedOut ? 'taskTimedOutEventDetails' : 'taskFailedEventDetails']: {
            ...taskDetails,
            error,
            cause: causeOf(event),
          },
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
    case 'ExecutionRedriven':
      record(execution, 'ExecutionRedriven', at, {
        executionRedrivenEventDetails: { redriveCount: execution.record.redriveCount ?? 1 },
      });
      return;
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
        executionFailedEventDetails: { error: String(event.Error ?? ''), cause: causeOf(event) },
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
}
