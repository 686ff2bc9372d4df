import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { WorkflowStarter } from '../use-cases/ports.ts';

/**
 * How many executions one order may have: its first, and restarts after one ended without
 * finishing the order (a Standard workflow's execution name cannot be used again for 90 days).
 */
export const MAX_ORDER_RUNS = 5;

/** The name of an order's `run`-th execution: the order id, then `<orderId>-2`, `<orderId>-3`... */
export const executionName = (orderId: string, run: number) => (run === 1 ? orderId : `${orderId}-${run}`);

/** The ARN Step Functions gives the execution of a state machine with this name. */
export const executionArnOf = (stateMachineArn: string, name: string) =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/**
 * Starts the order workflow unless an execution for the order is running. Executions are named
 * after the order, so Step Functions itself refuses a second one with the same name: the first
 * name free or running is the one. A run that ended (failed, timed out, aborted) while the order
 * still waits is followed by the next name, so concurrent restarts still give one execution.
 */
export const stepFunctionsWorkflow = ({
  client,
  stateMachineArn,
}: {
  client: SFNClient;
  stateMachineArn: string;
}): WorkflowStarter => ({
  async startOrder(orderId, input) {
    for (let run = 1; run <= MAX_ORDER_RUNS; run++) {
      const name = executionName(orderId, run);
      try {
        await client.send(
          new StartExecutionCommand({
            stateMachineArn: stateMachineArn,
            name,
            input: JSON.stringify(input),
          }),
        );
        return;
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ExecutionAlreadyExists')) throw error;
      }
      const { status } = await client.send(
        new DescribeExecutionCommand({ executionArn: executionArnOf(stateMachineArn, name) }),
      );
      // Running (also one just started by a concurrent request): that execution is the one.
      if (status === 'RUNNING' || status === 'PENDING_REDRIVE') return;
    }
    throw new Error(`Order ${orderId} has had ${MAX_ORDER_RUNS} workflow executions; an operator must look at it.`);
  },
});
