import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLOSED_AS_DESIGNED } from '../../functions/domain/attention.ts';
import {
  BusinessCount,
  METRICS_NAMESPACE,
  PAYMENT_TO_ACTIVE_LATENCY,
  SERVICE_NAME,
} from '../../functions/use-cases/business-metrics.ts';
import { OperationsAlarms } from '../../infra/constructs/operations-alarms.ts';
import { buildPecApp } from '../../infra/pec-app.ts';
import { RETENTION } from '../../infra/stateful-stack.ts';
import {
  asArray,
  type CfnResource,
  nestedTemplateInParentTerms,
  onlyResourceOfType,
  type PolicyStatement,
  referencedLogicalId,
  referencedLogicalIds,
  resourcesOfType,
  stateMachineOf,
} from './template-queries.ts';

/*
 * What the on-call operator relies on: alarms that arrive (a topic key CloudWatch may use), one
 * alarm per situation that needs a person, the dashboard, and the retention of the audit bucket.
 */

let stateless: Template;
/** The operations nested stack (alarms, dashboard), its parameters read as the stateless stack's references. */
let operations: Template;
let stateful: Template;
let auditBucketId: string;

beforeAll(() => {
  const app = buildPecApp({ skipBundling: true, nag: false });
  stateless = Template.fromStack(app.stateless);
  operations = nestedTemplateInParentTerms(app.stateless, app.stateless.operations);
  stateful = Template.fromStack(app.stateful);
  auditBucketId = app.stateful.getLogicalId(app.stateful.auditBucket.node.defaultChild as CfnBucket);
});

const alarmsOf = (template: Template) => Object.entries(resourcesOfType(template, 'AWS::CloudWatch::Alarm'));
const alarmsOn = (template: Template, metricName: string) =>
  alarmsOf(template).filter(([, alarm]) => alarm.Properties?.MetricName === metricName);

/** The one topic (of the `topics` template) every alarm (of the `alarms` template) publishes to. */
function alarmTopic(alarms: Template, template: Template): [string, CfnResource] {
  const targets = new Set(
    alarmsOf(alarms).flatMap(([, alarm]) =>
      asArray(alarm.Properties?.AlarmActions as unknown[]).map(referencedLogicalId),
    ),
  );
  expect(targets.size).toBe(1);
  const topicId = [...targets][0] ?? '';
  const topic = resourcesOfType(template, 'AWS::SNS::Topic')[topicId];
  if (!topic) throw new Error(`the alarms publish to ${topicId}, which is no topic of the stack`);
  return [topicId, topic];
}

describe('the alarm topic', () => {
  it('is encrypted with a customer-managed key, rotated, whose policy lets CloudWatch use it', () => {
    const [, topic] = alarmTopic(operations, stateless);
    // The AWS-managed alias/aws/sns key is no resource of the stack: CloudWatch could not publish with it.
    expect(JSON.stringify(topic.Properties?.KmsMasterKeyId)).not.toContain('alias/aws/sns');
    const keyId = referencedLogicalId(topic.Properties?.KmsMasterKeyId);
    const key = keyId ? resourcesOfType(stateless, 'AWS::KMS::Key')[keyId] : undefined;
    expect(key, 'the topic key is a KMS key of the stack').toBeDefined();
    expect(key?.Properties?.EnableKeyRotation).toBe(true);
    const statements = asArray(
      (key?.Properties?.KeyPolicy as { Statement?: PolicyStatement[] } | undefined)?.Statement,
    );
    const forCloudWatch = statements.filter(
      (statement) =>
        statement.Effect === 'Allow' &&
        asArray((statement.Principal as { Service?: string | string[] } | undefined)?.Service).includes(
          'cloudwatch.amazonaws.com',
        ),
    );
    expect(forCloudWatch).toHaveLength(1);
    expect(asArray(forCloudWatch[0]?.Action)).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
  });

  it('has no subscription unless pec:alarmEmail names an address, then emails it', () => {
    const emailSubscriptions = (template: Template) =>
      Object.values(resourcesOfType(template, 'AWS::SNS::Subscription')).filter(
        (subscription) => subscription.Properties?.Protocol === 'email',
      );
    expect(emailSubscriptions(stateless)).toEqual([]);

    const withEmailApp = buildPecApp({
      skipBundling: true,
      nag: false,
      context: { 'pec:alarmEmail': 'oncall@example.com' },
    });
    const withEmail = Template.fromStack(withEmailApp.stateless);
    const [topicId] = alarmTopic(
      nestedTemplateInParentTerms(withEmailApp.stateless, withEmailApp.stateless.operations),
      withEmail,
    );
    const subscriptions = emailSubscriptions(withEmail);
    expect(subscriptions).toHaveLength(1);
    expect(subscriptions[0]?.Properties?.Endpoint).toBe('oncall@example.com');
    expect(referencedLogicalId(subscriptions[0]?.Properties?.TopicArn)).toBe(topicId);
  });

  it('refuses a pec:alarmEmail that is no address, naming the setting', () => {
    expect(() => buildPecApp({ skipBundling: true, nag: false, context: { 'pec:alarmEmail': 'oncall' } })).toThrow(
      /pec:alarmEmail/,
    );
  });
});

describe('the alarms of their own', () => {
  it.each([
    [BusinessCount.RefundsPending, 'Maximum', 3_600],
    [BusinessCount.ActivationOverdue, 'Maximum', 300],
    [BusinessCount.PaymentAnomalies, 'Sum', 3_600],
    [BusinessCount.SweepFailures, 'Sum', 3_600],
  ])('%s: one alarm on the first one, on the business metric', (metric, statistic, period) => {
    const alarms = alarmsOn(operations, metric);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.[1].Properties).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
      Statistic: statistic,
      Period: period,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('the gauges of what needs a person are measured every 5 minutes from the attention index', () => {
    const [functionId] = Object.entries(resourcesOfType(stateless, 'AWS::Lambda::Function')).find(
      ([, fn]) => (fn.Metadata as Record<string, unknown> | undefined)?.['pec:handler'] === 'attention-gauge',
    ) ?? [''];
    expect(functionId).not.toBe('');
    const schedules = Object.values(resourcesOfType(stateless, 'AWS::Events::Rule')).filter((rule) =>
      ((rule.Properties?.Targets ?? []) as { Arn: unknown }[]).some(
        (target) => referencedLogicalId(target.Arn) === functionId,
      ),
    );
    expect(schedules.map((rule) => rule.Properties?.ScheduleExpression)).toEqual(['rate(5 minutes)']);
  });

  it('an execution that ends needing an operator: matched by its end (EventBridge), alarmed on the first', () => {
    const [machineId] = stateMachineOf(stateless, 'OrderFulfilment');
    const rules = Object.entries(resourcesOfType(stateless, 'AWS::Events::Rule')).filter(([, rule]) => {
      const pattern = rule.Properties?.EventPattern as { source?: string[] } | undefined;
      return pattern?.source?.includes('aws.states');
    });
    expect(rules).toHaveLength(1);
    const [ruleId, rule] = rules[0] as [string, { Properties?: Record<string, unknown> }];
    const pattern = rule.Properties?.EventPattern as {
      'detail-type': string[];
      detail: { stateMachineArn: unknown[]; status: string[]; error: unknown[] };
    };
    expect(pattern['detail-type']).toEqual(['Step Functions Execution Status Change']);
    expect(referencedLogicalId(pattern.detail.stateMachineArn[0])).toBe(machineId);
    expect(pattern.detail.status).toEqual(['FAILED', 'TIMED_OUT', 'ABORTED']);
    // A declined or cancelled order ends in its Fail state as designed: no alarm for those.
    expect(pattern.detail.error).toEqual([{ 'anything-but': [...CLOSED_AS_DESIGNED] }]);
    // Each such end also goes to the alarm topic as it happens, which EventBridge may encrypt for.
    const [topicId] = alarmTopic(operations, stateless);
    expect(
      ((rule.Properties?.Targets ?? []) as { Arn: unknown }[]).map((target) => referencedLogicalId(target.Arn)),
    ).toEqual([topicId]);
    const alarms = alarmsOn(operations, 'TriggeredRules');
    expect(alarms).toHaveLength(1);
    const [, alarm] = alarms[0] as [string, { Properties?: Record<string, unknown> }];
    expect(alarm.Properties).toMatchObject({ Namespace: 'AWS/Events', Threshold: 1 });
    expect(referencedLogicalId(((alarm.Properties?.Dimensions ?? []) as { Value: unknown }[])[0]?.Value)).toBe(ruleId);
  });

  it.each([
    ['generic', 600_000],
    ['ownDomain', 172_800_000],
  ])('an activation later than its promise (%s, %i ms after the payment)', (promise, threshold) => {
    const alarms = alarmsOn(operations, PAYMENT_TO_ACTIVE_LATENCY).filter(([, alarm]) =>
      asArray(alarm.Properties?.Dimensions as { Name: string; Value: string }[]).some(
        (dimension) => dimension.Name === 'Promise' && dimension.Value === promise,
      ),
    );
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.[1].Properties).toMatchObject({
      Statistic: 'Maximum',
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it.each([
    ['Reputation.BounceRate', 0.05],
    ['Reputation.ComplaintRate', 0.001],
  ])('SES %s at %d or more', (metric, threshold) => {
    const alarms = alarmsOn(operations, metric);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.[1].Properties).toMatchObject({ Namespace: 'AWS/SES', Threshold: threshold });
  });

  it('every alarm publishes to the alarm topic', () => {
    const [topicId] = alarmTopic(operations, stateless);
    for (const [id, alarm] of alarmsOf(operations)) {
      expect(asArray(alarm.Properties?.AlarmActions as unknown[]).map(referencedLogicalId), id).toEqual([topicId]);
    }
  });

  it('in the app, the operations nested stack alarms on every queue and every other workflow of the stateless stack', () => {
    const onQueues = alarmsOn(operations, 'ApproximateNumberOfMessagesVisible').map(([, alarm]) =>
      referencedLogicalId(
        asArray(alarm.Properties?.Dimensions as { Name: string; Value: unknown }[]).find(
          (dimension) => dimension.Name === 'QueueName',
        )?.Value,
      ),
    );
    const queues = Object.keys(resourcesOfType(stateless, 'AWS::SQS::Queue'));
    expect(queues.length).toBeGreaterThan(0);
    expect(onQueues.sort()).toEqual(queues.sort());
    const [orderMachineId] = stateMachineOf(stateless, 'OrderFulfilment');
    const others = Object.keys(resourcesOfType(stateless, 'AWS::StepFunctions::StateMachine')).filter(
      (id) => id !== orderMachineId,
    );
    expect(others.length).toBeGreaterThan(0);
    const failed = alarmsOn(operations, 'ExecutionsFailed').filter(([, alarm]) => alarm.Properties?.Threshold === 1);
    for (const machine of others) {
      expect(
        failed.filter(([, alarm]) => referencedLogicalIds(alarm.Properties?.Dimensions).has(machine)),
        machine,
      ).toHaveLength(1);
    }
  });

  it('every queue of the stack (dead letters) and every other workflow (the sweep) gets an alarm', () => {
    const stack = new Stack();
    const api = new RestApi(stack, 'Api');
    api.root.addMethod('GET', new MockIntegration());
    const machine = (id: string) =>
      new StateMachine(stack, id, { definitionBody: DefinitionBody.fromChainable(new Pass(stack, `${id}Pass`)) });
    const orders = machine('Orders');
    machine('Sweep');
    new Queue(stack, 'ScheduleDlq', { encryption: QueueEncryption.SQS_MANAGED });
    new Queue(stack, 'OtherDlq', { encryption: QueueEncryption.SQS_MANAGED });
    new OperationsAlarms(stack, 'Alarms', {
      topic: new Topic(stack, 'Topic'),
      api,
      stateMachine: orders,
      strict: {},
      tolerant: {},
      operatorStatesReached: orders.metricFailed(),
    });
    const template = Template.fromStack(stack);
    const queues = Object.keys(resourcesOfType(template, 'AWS::SQS::Queue'));
    const onQueues = alarmsOn(template, 'ApproximateNumberOfMessagesVisible').map(([, alarm]) =>
      referencedLogicalId(
        asArray(alarm.Properties?.Dimensions as { Name: string; Value: unknown }[]).find(
          (dimension) => dimension.Name === 'QueueName',
        )?.Value,
      ),
    );
    expect(onQueues.sort()).toEqual(queues.sort());
    const sweepId = Object.keys(resourcesOfType(template, 'AWS::StepFunctions::StateMachine')).find((id) =>
      id.startsWith('Sweep'),
    );
    const onFailures = alarmsOn(template, 'ExecutionsFailed').filter(([, alarm]) =>
      referencedLogicalIds(alarm.Properties?.Dimensions).has(sweepId as string),
    );
    expect(onFailures).toHaveLength(1);
    expect(onFailures[0]?.[1].Properties?.Threshold).toBe(1);
  });
});

describe('the dashboard', () => {
  it('is one, and shows every alarm and every business metric', () => {
    const [, dashboard] = onlyResourceOfType(operations, 'AWS::CloudWatch::Dashboard');
    const body = dashboard.Properties?.DashboardBody;
    // The widgets as JSON text, the references (alarm ARNs, the region) left out.
    const text = (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
      .filter((part) => typeof part === 'string')
      .join('');
    const shown = referencedLogicalIds(body);
    for (const [id] of alarmsOf(operations)) expect(shown.has(id), id).toBe(true);
    for (const metric of [
      ...Object.values(BusinessCount),
      PAYMENT_TO_ACTIVE_LATENCY,
      'TriggeredRules', // the executions that ended needing an operator
      'Reputation.BounceRate',
      'Reputation.ComplaintRate',
    ]) {
      expect(text, metric).toContain(`"${metric}"`);
    }
  });
});

describe('retention of the audit bucket', () => {
  const bucket = () => resourcesOfType(stateful, 'AWS::S3::Bucket')[auditBucketId]?.Properties ?? {};
  const rule = (prefix: string) =>
    (bucket().LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules.filter(
      (candidate) => candidate.Prefix === prefix,
    );

  it('locks every version 30 months in governance mode (Object Lock, on a versioned bucket)', () => {
    expect(bucket()).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: RETENTION.auditTrailDays } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    expect(RETENTION.auditTrailDays).toBe(913);
  });

  it.each([
    ['orders/', 913],
    ['documents/', 3653],
  ])('expires %s after %i days, older versions with it', (prefix, days) => {
    const rules = rule(prefix);
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      Status: 'Enabled',
      ExpirationInDays: days,
      NoncurrentVersionExpiration: { NoncurrentDays: 1 },
    });
  });
});

describe('email bounces and complaints', () => {
  const functions = () => Object.entries(resourcesOfType(stateless, 'AWS::Lambda::Function'));
  const variables = (fn: CfnResource) =>
    (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};

  it('a configuration set with reputation metrics, the identity default, in the stateful stack', () => {
    const [setId, set] = onlyResourceOfType(stateful, 'AWS::SES::ConfigurationSet');
    expect(set.Properties).toMatchObject({ ReputationOptions: { ReputationMetricsEnabled: true } });
    const [, identity] = onlyResourceOfType(stateful, 'AWS::SES::EmailIdentity');
    expect(
      referencedLogicalId(
        identity.Properties?.ConfigurationSetAttributes &&
          (identity.Properties.ConfigurationSetAttributes as { ConfigurationSetName: unknown }).ConfigurationSetName,
      ),
    ).toBe(setId);
  });

  it('every function that sends email names the configuration set, and may send with it', () => {
    const senders = functions().filter(([, fn]) => 'SENDER_EMAIL' in variables(fn));
    expect(senders.length).toBeGreaterThan(5);
    for (const [id, fn] of senders) {
      expect(JSON.stringify(variables(fn).SES_CONFIGURATION_SET), id).toContain('EmailConfigurationSet');
    }
    const sendStatements = Object.values(resourcesOfType(stateless, 'AWS::IAM::Policy'))
      .flatMap((policy) =>
        asArray((policy.Properties?.PolicyDocument as { Statement?: PolicyStatement[] } | undefined)?.Statement),
      )
      .filter((statement) => asArray(statement.Action).includes('ses:SendEmail'));
    expect(sendStatements.length).toBe(senders.length);
    for (const statement of sendStatements) {
      expect(JSON.stringify(statement.Resource)).toContain(':configuration-set/');
    }
  });

  it('bounces and complaints go to an encrypted topic SES may use, and from it to the ses-feedback function', () => {
    const [, destination] = onlyResourceOfType(stateless, 'AWS::SES::ConfigurationSetEventDestination');
    const event = destination.Properties?.EventDestination as {
      MatchingEventTypes: string[];
      SnsDestination: { TopicARN: unknown };
    };
    expect(event.MatchingEventTypes.sort()).toEqual(['bounce', 'complaint']);
    const topicId = referencedLogicalId(event.SnsDestination.TopicARN) as string;
    const topic = resourcesOfType(stateless, 'AWS::SNS::Topic')[topicId];
    const keyId = referencedLogicalId(topic?.Properties?.KmsMasterKeyId) as string;
    const key = resourcesOfType(stateless, 'AWS::KMS::Key')[keyId];
    expect(key?.Properties?.EnableKeyRotation).toBe(true);
    const forSes = asArray(
      (key?.Properties?.KeyPolicy as { Statement?: PolicyStatement[] } | undefined)?.Statement,
    ).filter((statement) =>
      asArray((statement.Principal as { Service?: string } | undefined)?.Service).includes('ses.amazonaws.com'),
    );
    expect(asArray(forSes[0]?.Action)).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));

    const subscriptions = Object.values(resourcesOfType(stateless, 'AWS::SNS::Subscription')).filter(
      (subscription) => referencedLogicalId(subscription.Properties?.TopicArn) === topicId,
    );
    expect(subscriptions).toHaveLength(1);
    const target = referencedLogicalId(subscriptions[0]?.Properties?.Endpoint) as string;
    expect(resourcesOfType(stateless, 'AWS::Lambda::Function')[target]?.Metadata?.['pec:handler']).toBe('ses-feedback');
  });
});
