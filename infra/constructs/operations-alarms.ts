import { Duration } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Alias } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface OperationsAlarmsProps {
  api: RestApi;
  stateMachine: IStateMachine;
  /** Functions where one error is worth a look (HTTP routes answer errors themselves, so an error here is a crash). */
  strict: Record<string, IFunction>;
  /** Workflow state functions: declined payments are errors by design, so only a burst is alarming. */
  tolerant: Record<string, IFunction>;
  /** Further counts where one is worth a look (a refused bank statement), by alarm name. */
  watch?: Record<string, { metric: IMetric; description: string }>;
}

/**
 * What the operators are paged for, on one encrypted SNS topic (subscribe the on-call address or
 * chat integration to `AlarmTopic`): API 5xx bursts, crashing functions, workflows that time out
 * or fail in bulk.
 */
export class OperationsAlarms extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: OperationsAlarmsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: 'pec-provisioning alarms',
      masterKey: Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    const action = new SnsAction(this.topic);
    const alarm = (name: string, metric: IMetric, threshold: number, description: string) =>
      new Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      }).addAlarmAction(action);

    const fiveMinutes = { period: Duration.minutes(5), statistic: 'Sum' };
    alarm('Api5xx', props.api.metricServerError(fiveMinutes), 5, 'The API answered 5 or more 5xx in 5 minutes.');
    alarm(
      'WorkflowTimedOut',
      props.stateMachine.metricTimedOut(fiveMinutes),
      1,
      'An order workflow hit its overall timeout: an order was left unfinished.',
    );
    alarm(
      'WorkflowFailures',
      props.stateMachine.metricFailed({ period: Duration.hours(1), statistic: 'Sum' }),
      20,
      '20 or more orders failed within an hour (declines, impossible provisioning): look for a cause in common.',
    );
    for (const [name, fn] of Object.entries(props.strict)) {
      alarm(`${name}Errors`, fn.metricErrors(fiveMinutes), 1, `The ${name} function crashed or timed out.`);
    }
    for (const [name, { metric, description }] of Object.entries(props.watch ?? {})) {
      alarm(name, metric, 1, description);
    }
    for (const [name, fn] of Object.entries(props.tolerant)) {
      alarm(
        `${name}Errors`,
        fn.metricErrors({ period: Duration.minutes(15), statistic: 'Sum' }),
        10,
        `The ${name} workflow step failed 10 or more times in 15 minutes.`,
      );
    }
  }
}
