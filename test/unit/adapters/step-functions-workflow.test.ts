import {
  ExecutionAlreadyExists,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { WorkflowStarter } from '../../../functions/use-cases/ports.ts';

const ARN = 'arn:aws:states:eu-south-1:123456789012:stateMachine:order-fulfilment';
const sfn = mockClient(SFNClient);
let workflow: WorkflowStarter;

beforeAll(async () => {
  vi.stubEnv('ORDER_WORKFLOW_ARN', ARN);
  ({ stepFunctionsWorkflow: workflow } = await import('../../../functions/adapters/step-functions-workflow.ts'));
});
afterEach(() => {
  sfn.reset();
});
afterAll(() => {
  vi.unstubAllEnvs();
});

const input = { orderId: '5390075470AB', payment: { method: 'card' }, paymentWaitSeconds: 432000 };

describe('Step Functions workflow starter', () => {
  it('starts the order workflow with an execution named after the order and the input as JSON', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:5390075470AB`, startDate: new Date() });

    await workflow.startOrder('5390075470AB', input);

    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    const sent = calls[0]?.args[0].input;
    expect(sent?.stateMachineArn).toBe(ARN);
    expect(sent?.name).toBe('5390075470AB');
    expect(JSON.parse(sent?.input ?? 'null')).toEqual(input);
  });

  it('treats an execution that already exists for the order as started', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

    await expect(workflow.startOrder('5390075470AB', input)).resolves.toBeUndefined();
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('lets every other error reach the caller', async () => {
    const missing = new StateMachineDoesNotExist({ message: 'State Machine Does Not Exist', $metadata: {} });
    sfn.on(StartExecutionCommand).rejects(missing);

    await expect(workflow.startOrder('5390075470AB', input)).rejects.toBe(missing);
  });

  it('lets a throttling error reach the caller, so the request can be retried', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    await expect(workflow.startOrder('5390075470AB', input)).rejects.toMatchObject({ name: 'ThrottlingException' });
  });
});

describe('Step Functions workflow configuration', () => {
  it('fails to load without the state machine ARN, naming the variable', async () => {
    vi.resetModules();
    vi.stubEnv('ORDER_WORKFLOW_ARN', undefined);

    await expect(import('../../../functions/adapters/step-functions-workflow.ts')).rejects.toThrow(
      /ORDER_WORKFLOW_ARN/,
    );
  });
});
