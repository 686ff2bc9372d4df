import { Duration, NestedStack, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Rule } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { type IStateMachine, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  ACTIVATION_PROMISE,
  type ActivationPromise,
  BusinessCount,
  METRICS_NAMESPACE,
  PAYMENT_TO_ACTIVE_LATENCY,
  SERVICE_NAME,
} from '../../functions/use-cases/business-metrics.ts';

export interface OperationsAlarmsProps {
  api: RestApi;
  stateMachine: IStateMachine;
  /** Where every alarm publishes (the `AlarmTopic`). */
  topic: ITopic;
  /**
   * The stack whose every queue (dead letters) and every other state machine get an alarm of their
   * own; default: this construct's stack. The operations nested stack watches its parent.
   */
  watched?: Stack;
  /** Functions where one error is worth a look (HTTP routes answer errors themselves, so an error here is a crash). */
  strict: Record<string, IFunction>;
  /** Workflow state functions: declined payments are errors by design, so only a burst is alarming. */
  tolerant: Record<string, IFunction>;
  /** Further counts where one is worth a look (a refused bank statement), by alarm name. */
  watch?: Record<string, { metric: IMetric; description: string }>;
  /** Order executions that ended in a state where an operator must finish the order. */
  operatorStatesReached: IMetric;
}

export interface AlarmTopicProps {
  /** The rule matching the order executions that need an operator: each is also sent to the topic as it happens. */
  operatorEnds: Rule;
  /** Subscribed to the alarm topic when set (`pec:alarmEmail`): the address confirms it once. */
  alarmEmail?: string | undefined;
}

/** A metric of the product's own (Powertools Metrics, EMF): namespace and `service` dimension as the functions write them. */
export function businessMetric(
  metricName: string,
  options: { statistic: string; period: Duration; dimensions?: Record<string, string> },
): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    statistic: options.statistic,
    period: options.period,
    dimensionsMap: { service: SERVICE_NAME, ...options.dimensions },
  });
}

/** SES's account-wide reputation (a fraction: 0.05 is 5%), as SES publishes it. */
const sesReputation = (metricName: 'Reputation.BounceRate' | 'Reputation.ComplaintRate') =>
  new Metric({ namespace: 'AWS/SES', metricName, statistic: 'Maximum', period: Duration.hours(1) });

/**
 * What the operators are paged for, on one SNS topic encrypted with a key of our own that
 * CloudWatch may use (with the AWS-managed `alias/aws/sns` key CloudWatch cannot publish, and no
 * alarm would arrive): subscribe the on-call address (`pec:alarmEmail`) or a chat integration to
 * `AlarmTopic`. It stays in the stateless stack (its ARN, and so its subscriptions, survive); the
 * alarms and the dashboard publishing to it are in the operations nested stack.
 */
export class AlarmTopic extends Construct {
  readonly topic: Topic;
  readonly key: Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    this.key = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the pec-provisioning alarm topic; CloudWatch may use it to publish alarms',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // CloudWatch publishes to an encrypted topic only with a key whose policy lets it.
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: 'pec-provisioning alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    // Each execution that needs an operator, as it ends (its ARN and error), besides the alarm.
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'EventBridgePublish',
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    props.operatorEnds.addTarget(new SnsTopic(this.topic));
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
  }
}

/**
 * The alarms, each with its runbook line in the README (Operations), and one dashboard showing them
 * and the business metrics together.
 *
 * Created last: every dead-letter queue and every other state machine of the watched stack (the
 * renewal sweep's) gets an alarm of its own, found in that stack.
 */
export class OperationsAlarms extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsAlarmsProps) {
    super(scope, id);
    const action = new SnsAction(props.topic);
    const alarm = (
      name: string,
      metric: IMetric,
      threshold: number,
      description: string,
      comparison = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    ) => {
      const created = new Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: comparison,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(action);
      this.alarms.push(created);
      return created;
    };

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

    // The orders that need a person (README, Operations: one runbook line each).
    alarm(
      'OperatorStateReached',
      props.operatorStatesReached,
      1,
      'An order execution failed, timed out or was aborted other than as designed (a step whose retries ran out): an operator must finish or redrive it.',
    );
    alarm(
      'RefundsPending',
      businessMetric(BusinessCount.RefundsPending, { statistic: 'Maximum', period: Duration.hours(1) }),
      1,
      'A refund to do was recorded more than a day ago and is not made yet.',
    );
    alarm(
      'ActivationOverdue',
      businessMetric(BusinessCount.ActivationOverdue, { statistic: 'Maximum', period: Duration.minutes(5) }),
      1,
      'A paid order is still not active past its promise (10 minutes, 48 hours on its own domain): it is stuck now.',
    );
    alarm(
      'PaymentAnomalies',
      businessMetric(BusinessCount.PaymentAnomalies, { statistic: 'Sum', period: Duration.hours(1) }),
      1,
      'A payment event needs a look (money for no order, a second credit, a wrong amount or currency).',
    );
    const late = (promise: ActivationPromise, period: Duration) =>
      businessMetric(PAYMENT_TO_ACTIVE_LATENCY, { statistic: 'Maximum', period, dimensions: { Promise: promise } });
    alarm(
      'ActivationLateGeneric',
      late('generic', Duration.minutes(5)),
      ACTIVATION_PROMISE.generic.seconds * 1000,
      'A mailbox became active more than 10 minutes after its payment (the promise).',
      ComparisonOperator.GREATER_THAN_THRESHOLD,
    );
    alarm(
      'ActivationLateOwnDomain',
      late('ownDomain', Duration.hours(1)),
      ACTIVATION_PROMISE.ownDomain.seconds * 1000,
      'A mailbox on its own domain became active more than 48 hours after its payment (the promise).',
      ComparisonOperator.GREATER_THAN_THRESHOLD,
    );
    alarm(
      'SweepFailures',
      businessMetric(BusinessCount.SweepFailures, { statistic: 'Sum', period: Duration.hours(1) }),
      1,
      'A renewal sweep run (or part of it) failed: reminders, renewals or suspensions may be missing today.',
    );
    alarm(
      'SesBounceRate',
      sesReputation('Reputation.BounceRate'),
      0.05,
      'SES bounce rate at 5% or more: SES reviews accounts from 5% and may pause sending from 10%.',
    );
    alarm(
      'SesComplaintRate',
      sesReputation('Reputation.ComplaintRate'),
      0.001,
      'SES complaint rate at 0.1% or more: SES reviews accounts from 0.1% and may pause sending from 0.5%.',
    );

    // Every dead-letter queue of the watched stack: a message there is work that was given up on.
    const stack = props.watched ?? Stack.of(this);
    /** An alarm id from a construct's path in the stack, unique as the path is. */
    const idOf = (node: Construct) =>
      node.node.path
        .split('/')
        .slice(1)
        .join('')
        .replace(/[^A-Za-z0-9]/g, '');
    for (const queue of stack.node.findAll().filter((node): node is Queue => node instanceof Queue)) {
      alarm(
        `${idOf(queue)}NotEmpty`,
        queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }),
        1,
        `The queue ${queue.node.path} holds a message: something was given up on (README, Operations).`,
      );
    }
    // Every other workflow of the stack (the renewal sweep's): one failed run is worth a look.
    for (const machine of stack.node.findAll().filter((node): node is StateMachine => node instanceof StateMachine)) {
      if (machine === props.stateMachine) continue;
      alarm(
        `${idOf(machine)}Failed`,
        machine.metricFailed(fiveMinutes),
        1,
        `A run of the workflow ${machine.node.path} failed.`,
      );
    }

    this.dashboard = this.buildDashboard(props);
  }

  /** One page: every alarm's state, then the business metrics, the workflow, the API and email. */
  private buildDashboard(props: OperationsAlarmsProps): Dashboard {
    const hourly = (name: string) => businessMetric(name, { statistic: 'Sum', period: Duration.hours(1) });
    const latency = (promise: ActivationPromise, statistic: string) =>
      businessMetric(PAYMENT_TO_ACTIVE_LATENCY, {
        statistic,
        period: Duration.hours(1),
        dimensions: { Promise: promise },
      }).with({ label: `${promise} ${statistic}` });
    const graph = (title: string, left: IMetric[], right: IMetric[] = []) =>
      new GraphWidget({ title, left, right, width: 12, height: 6 });
    const dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
    });
    dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# pec-provisioning\nAlarms, orders and payments. Runbook: README.md, "Operations" (what each alarm means, what to do).',
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 8 }));
    dashboard.addWidgets(
      graph(
        'Orders',
        [
          BusinessCount.OrdersPlaced,
          BusinessCount.OrdersPaid,
          BusinessCount.OrdersActivated,
          BusinessCount.OrdersFailed,
          BusinessCount.OrdersCancelled,
          BusinessCount.OrdersRefunded,
        ].map(hourly),
      ),
      graph('Payment to active (ms)', [
        latency('generic', 'p50'),
        latency('generic', 'Maximum'),
        latency('ownDomain', 'p50'),
        latency('ownDomain', 'Maximum'),
      ]),
    );
    dashboard.addWidgets(
      graph('Renewals', [BusinessCount.RenewalsCharged, BusinessCount.RenewalsDeclined].map(hourly)),
      graph('Needs a person', [
        hourly(BusinessCount.PaymentAnomalies),
        businessMetric(BusinessCount.RefundsPending, { statistic: 'Maximum', period: Duration.hours(1) }),
        businessMetric(BusinessCount.ActivationOverdue, { statistic: 'Maximum', period: Duration.minutes(5) }),
        businessMetric(BusinessCount.OrdersNeedingAttention, { statistic: 'Maximum', period: Duration.minutes(5) }),
        props.operatorStatesReached,
        hourly(BusinessCount.SweepFailures),
      ]),
    );
    dashboard.addWidgets(
      graph('Order workflow', [
        props.stateMachine.metricStarted({ period: Duration.hours(1), statistic: 'Sum' }),
        props.stateMachine.metricSucceeded({ period: Duration.hours(1), statistic: 'Sum' }),
        props.stateMachine.metricFailed({ period: Duration.hours(1), statistic: 'Sum' }),
        props.stateMachine.metricTimedOut({ period: Duration.hours(1), statistic: 'Sum' }),
      ]),
      graph(
        'API',
        [
          props.api.metricCount({ period: Duration.minutes(5), statistic: 'Sum' }),
          props.api.metricClientError({ period: Duration.minutes(5), statistic: 'Sum' }),
          props.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
        ],
        [props.api.metricLatency({ period: Duration.minutes(5), statistic: 'p95' })],
      ),
    );
    dashboard.addWidgets(
      graph(
        'Email',
        [sesReputation('Reputation.BounceRate'), sesReputation('Reputation.ComplaintRate')],
        [hourly(BusinessCount.ContactsUndeliverable)],
      ),
    );
    return dashboard;
  }
}

/**
 * The alarms and the dashboard in a nested stack of their own: about 70 resources that would
 * otherwise count against the stateless stack's CloudFormation limit of 500. CDK passes what they
 * name (function and queue names, state machine ARNs, the topic ARN) as the nested stack's
 * parameters. It watches its parent stack's queues and other workflows.
 */
export class OperationsStack extends NestedStack {
  readonly operations: OperationsAlarms;

  constructor(scope: Construct, id: string, props: Omit<OperationsAlarmsProps, 'watched'>) {
    super(scope, id, { description: 'pec-provisioning operations: the alarms and the dashboard' });
    this.operations = new OperationsAlarms(this, 'Alarms', { ...props, watched: Stack.of(scope) });
  }
}
