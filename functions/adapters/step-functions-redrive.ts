import { DescribeExecutionCommand, RedriveExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { WorkflowRedrive, WorkflowRun } from '../use-cases/ports.ts';
import { executionArnOf, executionName, MAX_ORDER_RUNS } from './step-functions-workflow.ts';

/**
 * An order's executions for an operator: the latest one is the last name (`<orderId>`,
 * `<orderId>-2`...) Step Functions knows; a redrive continues it from the state where it failed.
 */
export const stepFunctionsRedrive = ({
  client,
  stateMachineArn,
}: {
  client: SFNClient;
  stateMachineArn: string;
}): WorkflowRedrive => ({
  async latestRun(orderId) {
    let latest: WorkflowRun | undefined;
    for (let run = 1; run <= MAX_ORDER_RUNS; run++) {
      const name = executionName(orderId, run);
      const executionArn = executionArnOf(stateMachineArn, name);
      try {
        const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
        latest = {
          executionArn,
          name,
          status: execution.status as WorkflowRun['status'],
          ...(execution.error ? { error: execution.error } : {}),
        };
      } catch (error) {
        if (error instanceof Error && error.name === 'ExecutionDoesNotExist') break;
        throw error;
      }
    }
    return latest;
  },

  async redrive(executionArn) {
    try {
      await client.send(new RedriveExecutionCommand({ executionArn }));
      return 'redriven';
    } catch (error) {
      if (error instanceof Error && error.name === 'ExecutionNotRedrivable') return 'not_redrivable';
      throw error;
    }
  },
});
