import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPecApp } from '../../infra/pec-app.ts';
import { asArray, type PolicyStatement, referencedLogicalId, resourcesOfType } from './template-queries.ts';

let template: Template;
let auditBucketId: string;

beforeAll(() => {
  const { stateful } = buildPecApp({ skipBundling: true, nag: false });
  template = Template.fromStack(stateful);
  auditBucketId = stateful.getLogicalId(stateful.auditBucket.node.defaultChild as CfnBucket);
});

describe('the product table', () => {
  it('is a TableV2 keyed by pk (hash) and sk (range), billed on demand', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  it('has the generic index byExpiry on gsi1pk / gsi1sk (refunds to make, anomalies)', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({
          IndexName: 'byExpiry',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
        }),
      ]),
    });
  });

  it("has the renewal sweep's due-day index byDueDay on gsi4pk / gsi4sk, keys only", () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({
          IndexName: 'byDueDay',
          KeySchema: [
            { AttributeName: 'gsi4pk', KeyType: 'HASH' },
            { AttributeName: 'gsi4sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        }),
      ]),
    });
  });

  it.each([
    ['byStorefront', 'gsi2pk', 'gsi2sk'],
    ['byStorefrontStatus', 'gsi3pk', 'gsi2sk'],
    ['byStorefrontExpiry', 'gsi3pk', 'gsi3sk'],
    // The operators' list of orders that need a person (one Query, never a Scan).
    ['byAttention', 'attentionPk', 'attentionSk'],
  ])("has the lists' index %s on %s / %s, projecting every attribute", (name, partition, sort) => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: name,
          KeySchema: [
            { AttributeName: partition, KeyType: 'HASH' },
            { AttributeName: sort, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ]),
    });
  });

  it('expires items on the ttl attribute', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
  });

  it('has point-in-time recovery and deletion protection on every replica', () => {
    const [table] = Object.values(resourcesOfType(template, 'AWS::DynamoDB::GlobalTable'));
    const replicas = (table?.Properties?.Replicas ?? []) as Record<string, unknown>[];
    expect(replicas).toHaveLength(1);
    for (const replica of replicas) {
      expect(replica.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(replica.DeletionProtectionEnabled).toBe(true);
    }
  });

  it('is encrypted and retained when the stack is deleted or the table replaced', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      Properties: Match.objectLike({ SSESpecification: Match.objectLike({ SSEEnabled: true }) }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });
});

describe('the audit bucket', () => {
  const auditBucket = () => {
    const bucket = resourcesOfType(template, 'AWS::S3::Bucket')[auditBucketId];
    if (!bucket) throw new Error(`no bucket ${auditBucketId} in the stateful template`);
    return bucket;
  };

  it('encrypts objects at rest', () => {
    expect(auditBucket().Properties?.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        { ServerSideEncryptionByDefault: { SSEAlgorithm: expect.stringMatching(/^(AES256|aws:kms|aws:kms:dsse)$/) } },
      ],
    });
  });

  it('blocks every kind of public access', () => {
    expect(auditBucket().Properties?.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('is versioned and retained', () => {
    expect(auditBucket().Properties?.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(auditBucket().DeletionPolicy).toBe('Retain');
  });

  it('denies every request that does not use TLS', () => {
    const policies = Object.values(resourcesOfType(template, 'AWS::S3::BucketPolicy')).filter(
      (policy) => referencedLogicalId(policy.Properties?.Bucket) === auditBucketId,
    );
    const statements = policies.flatMap((policy) =>
      asArray((policy.Properties?.PolicyDocument as { Statement?: PolicyStatement[] } | undefined)?.Statement),
    );
    const insecureDenial = statements.find(
      (statement) =>
        statement.Effect === 'Deny' &&
        String(statement.Condition?.Bool?.['aws:SecureTransport']) === 'false' &&
        asArray(statement.Action).includes('s3:*'),
    );
    expect(insecureDenial, 'a Deny on s3:* when aws:SecureTransport is false').toBeDefined();
    expect(insecureDenial?.Principal).toEqual({ AWS: '*' });
  });
});
