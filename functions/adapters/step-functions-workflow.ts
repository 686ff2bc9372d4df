import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { defineConfig } from '../config.ts';
import type { WorkflowStarter } from '../use-cases/ports.ts';
import { stepFunctions } from './clients/step-functions.ts';

const config = defineConfig({ ORDER_WORKFLOW_ARN: z.string().min(1) });

/**
 * Starts the order workflow. The execution name is the order id: Step Functions refuses a second
 * execution with the same name (and returns the first for the same input), so an order never runs twice.
 */
export const stepFunctionsWorkflow: WorkflowStarter = {
  async startOrder(orderId, input) {
    try {
      await stepFunctions.send(
        new StartExecutionCommand({
          stateMachineArn: config.ORDER_WORKFLOW_ARN,
          name: orderId,
          input: JSON.stringify(input),
        }),
      );
    } catch (error) {
      // Already started for this order (a replayed request): that execution is the one.
      if (error instanceof Error && error.name === 'ExecutionAlreadyExists') return;
      throw error;
    }
  },
};
