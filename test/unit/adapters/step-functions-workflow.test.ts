import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { orderIntakeVariables } from '../../../functions/adapters/order-intake-deps.ts';
import { stepFunctionsWorkflow } from '../../../functions/adapters/step-functions-workflow.ts';
import { defineConfig } from '../../../functions/config.ts';

const ARN = 'arn:aws:states:eu-south-1:123456789012:stateMachine:order-fulfilment';
const sfn = mockClient(SFNClient);
const workflow = stepFunctionsWorkflow({ client: new SFNClient({}), stateMachineArn: ARN });

afterEach(() => {
  sfn.reset();
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

  const exists = () => new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} });
  const names = () => sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name);

  it('treats a running execution of the order as started', async () => {
    sfn.on(StartExecutionCommand).rejects(exists());
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });

    await expect(workflow.startOrder('5390075470AB', input)).resolves.toBeUndefined();
    expect(names()).toEqual(['5390075470AB']);
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input.executionArn).toBe(
      'arn:aws:states:eu-south-1:123456789012:execution:order-fulfilment:5390075470AB',
    );
  });

  it.each(['FAILED', 'ABORTED', 'TIMED_OUT'] as const)(
    'starts the order again under the next name when its execution ended %s',
    async (status) => {
      sfn.on(StartExecutionCommand, { name: '5390075470AB' }).rejects(exists());
      sfn.on(StartExecutionCommand, { name: '5390075470AB-2' }).resolves({ executionArn: `${ARN}:5390075470AB-2` });
      sfn.on(DescribeExecutionCommand).resolves({ status });

      await workflow.startOrder('5390075470AB', input);

      expect(names()).toEqual(['5390075470AB', '5390075470AB-2']);
      expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[1]?.args[0].input.input ?? 'null')).toEqual(input);
    },
  );

  it('finds the running restart among earlier runs, and starts nothing', async () => {
    sfn.on(StartExecutionCommand).rejects(exists());
    sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });
    sfn
      .on(DescribeExecutionCommand, { executionArn: `${ARN.replace(':stateMachine:', ':execution:')}:5390075470AB-3` })
      .resolves({ status: 'RUNNING' });

    await workflow.startOrder('5390075470AB', input);

    expect(names()).toEqual(['5390075470AB', '5390075470AB-2', '5390075470AB-3']);
  });

  it('gives up after a bounded number of runs', async () => {
    sfn.on(StartExecutionCommand).rejects(exists());
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED' });

    await expect(workflow.startOrder('5390075470AB', input)).rejects.toThrow(/5 workflow executions/);
    expect(names()).toHaveLength(5);
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
  it('an order intake fails to load without the state machine ARN, naming the variable', () => {
    vi.stubEnv('TABLE_NAME', 'pec-test');
    vi.stubEnv('PAYMENT_WAIT_SECONDS', '3600');
    vi.stubEnv('ORDER_WORKFLOW_ARN', undefined);

    expect(() => defineConfig(orderIntakeVariables)).toThrow('Invalid configuration: ORDER_WORKFLOW_ARN is not set');
  });
});
