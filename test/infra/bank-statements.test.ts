import { Template } from 'aws-cdk-lib/assertions';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { HANDLER_METADATA_KEY } from '../../infra/constructs/pec-function.ts';
import { buildPecApp } from '../../infra/pec-app.ts';
import {
  allowStatementsOfRole,
  asArray,
  type CfnResource,
  nestedTemplateInParentTerms,
  type PolicyStatement,
  referencedLogicalId,
  resourcesOfType,
} from './template-queries.ts';

/*
 * The bank statements in AWS: the bucket they arrive in (stateful), and the function each new file
 * runs, its event rule, its permissions and the alarm on refused files (stateless).
 */

let stateful: Template;
let stateless: Template;
/** The alarms' nested stack, its parameters read as the stateless stack's references. */
let operations: Template;
let bucketId: string;
let accessLogsId: string;

beforeAll(() => {
  const app = buildPecApp({ skipBundling: true, nag: false });
  stateful = Template.fromStack(app.stateful);
  stateless = Template.fromStack(app.stateless);
  operations = nestedTemplateInParentTerms(app.stateless, app.stateless.operations);
  bucketId = app.stateful.getLogicalId(app.stateful.statementsBucket.node.defaultChild as CfnBucket);
  accessLogsId = Object.keys(resourcesOfType(stateful, 'AWS::S3::Bucket')).find((id) =>
    id.startsWith('AccessLogs'),
  ) as string;
});

/** Whether a value of the stateless template refers to the statements bucket (an import from the stateful stack). */
const namesTheBucket = (value: unknown) => /StatementsBucket/.test(JSON.stringify(value));

const statementFunction = (): [string, CfnResource] => {
  const found = Object.entries(resourcesOfType(stateless, 'AWS::Lambda::Function')).filter(
    ([, fn]) => fn.Metadata?.[HANDLER_METADATA_KEY] === 'bank-statement',
  );
  expect(found).toHaveLength(1);
  return found[0] as [string, CfnResource];
};

describe('the statements bucket', () => {
  const bucket = () => resourcesOfType(stateful, 'AWS::S3::Bucket')[bucketId] as CfnResource;

  it('is encrypted, private, versioned and retained', () => {
    expect(bucket().Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    expect(bucket().DeletionPolicy).toBe('Retain');
  });

  it('logs its accesses to the access-log bucket, under statements/', () => {
    const logging = bucket().Properties?.LoggingConfiguration as {
      DestinationBucketName: unknown;
      LogFilePrefix: string;
    };
    expect(referencedLogicalId(logging.DestinationBucketName)).toBe(accessLogsId);
    expect(logging.LogFilePrefix).toBe('statements/');
  });

  it('denies every request that does not use TLS', () => {
    const statements = Object.values(resourcesOfType(stateful, 'AWS::S3::BucketPolicy'))
      .filter((policy) => referencedLogicalId(policy.Properties?.Bucket) === bucketId)
      .flatMap((policy) =>
        asArray((policy.Properties?.PolicyDocument as { Statement?: PolicyStatement[] } | undefined)?.Statement),
      );
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('sends its object events to EventBridge by its own property, with no custom resource', () => {
    expect(bucket().Properties?.NotificationConfiguration).toEqual({
      EventBridgeConfiguration: { EventBridgeEnabled: true },
    });
    expect(resourcesOfType(stateful, 'Custom::S3BucketNotifications')).toEqual({});
  });
});

describe('the bank statement function', () => {
  it('runs once for every object created under incoming/ of the statements bucket, with retries', () => {
    const [functionId] = statementFunction();
    const rules = Object.values(resourcesOfType(stateless, 'AWS::Events::Rule')).filter((rule) =>
      namesTheBucket(rule.Properties?.EventPattern),
    );
    expect(rules).toHaveLength(1);
    const pattern = rules[0]?.Properties?.EventPattern as Record<string, unknown>;
    expect(pattern).toMatchObject({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { object: { key: [{ prefix: 'incoming/' }] } },
    });
    const targets = rules[0]?.Properties?.Targets as { Arn: unknown; RetryPolicy?: Record<string, number> }[];
    expect(targets.map((target) => referencedLogicalId(target.Arn))).toEqual([functionId]);
    expect(targets[0]?.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 86400 });
    const permissions = Object.values(resourcesOfType(stateless, 'AWS::Lambda::Permission')).filter(
      (permission) => referencedLogicalId(permission.Properties?.FunctionName) === functionId,
    );
    expect(permissions.map((permission) => permission.Properties?.Principal)).toEqual(['events.amazonaws.com']);
  });

  it('may read only incoming/ and write only rejected/, and is told the bucket', () => {
    const [, fn] = statementFunction();
    const role = referencedLogicalId(fn.Properties?.Role) as string;
    const onBucket = allowStatementsOfRole(stateless, role).filter((statement) => namesTheBucket(statement.Resource));
    expect(
      onBucket.map((statement) => [
        asArray(statement.Action),
        JSON.stringify(statement.Resource).match(/\/\w+\/\*/)?.[0],
      ]),
    ).toEqual([
      [['s3:GetObject'], '/incoming/*'],
      [['s3:PutObject'], '/rejected/*'],
    ]);
    expect(
      namesTheBucket(
        (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
          ?.STATEMENTS_BUCKET,
      ),
    ).toBe(true);
  });

  it('is the only function that may touch the statements bucket', () => {
    const [, fn] = statementFunction();
    const ownRole = referencedLogicalId(fn.Properties?.Role);
    const others = Object.keys(resourcesOfType(stateless, 'AWS::IAM::Role')).filter(
      (role) => role !== ownRole && allowStatementsOfRole(stateless, role).some((s) => namesTheBucket(s.Resource)),
    );
    expect(others).toEqual([]);
  });

  it('counts refused files from its log, and pages on the first one', () => {
    const [, fn] = statementFunction();
    const logGroup = referencedLogicalId(
      (fn.Properties?.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup,
    );
    const filters = Object.values(resourcesOfType(stateless, 'AWS::Logs::MetricFilter')).filter(
      (filter) =>
        filter.Properties?.LogGroupName !== undefined &&
        referencedLogicalId(filter.Properties.LogGroupName) === logGroup,
    );
    expect(filters).toHaveLength(1);
    expect(filters[0]?.Properties).toMatchObject({
      FilterPattern: '{ $.message = "Bank statement rejected: nothing applied" }',
      MetricTransformations: [
        { MetricNamespace: 'PecProvisioning', MetricName: 'BankStatementsRejected', MetricValue: '1' },
      ],
    });
    expect(referencedLogicalId(filters[0]?.Properties?.LogGroupName)).toBe(logGroup);
    const alarms = Object.values(resourcesOfType(operations, 'AWS::CloudWatch::Alarm')).filter(
      (alarm) => alarm.Properties?.MetricName === 'BankStatementsRejected',
    );
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.Properties).toMatchObject({ Threshold: 1, Namespace: 'PecProvisioning' });
    expect(alarms[0]?.Properties?.AlarmActions).toHaveLength(1);
  });
});
