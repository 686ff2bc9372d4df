import { RemovalPolicy } from 'aws-cdk-lib';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { LogLevel, type LogOptions } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

/**
 * A workflow's execution log (its own group, `Logs` under `scope`): every state's events, without
 * their input and output (orders carry personal data), kept a month.
 */
export function workflowLogs(scope: Construct): LogOptions {
  return {
    destination: new LogGroup(scope, 'Logs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    }),
    level: LogLevel.ALL,
    includeExecutionData: false,
  };
}
