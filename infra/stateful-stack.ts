import { Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  ObjectLockRetention,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { ConfigurationSet, EmailIdentity, Identity } from 'aws-cdk-lib/aws-ses';
import type { Construct } from 'constructs';

/**
 * How long the audit bucket keeps what it holds (README, "Retention"): the audit trail (`orders/`)
 * 30 months, locked against change and deletion for as long (Object Lock, governance mode); the
 * order documents (`documents/`) 10 years, the Italian bookkeeping rule (art. 2220 c.c.).
 */
export const RETENTION = {
  /** 30 months, in days (30 × 30.44). */
  auditTrailDays: 913,
  /** 10 years, in days (with leap days). */
  orderDocumentsDays: 3653,
} as const;

export interface StatefulStackProps extends StackProps {
  /** The address every email is sent from; its domain is the SES identity. */
  senderEmail: string;
  /** The name of an existing Secrets Manager secret holding the Stripe secret key; one is created when absent. */
  stripeSecretName?: string;
}

/**
 * What holds data and must outlive any deployment of the code: the table, the document and audit
 * bucket, the bank statements bucket, the SES sending identity. Retained on stack deletion.
 */
export class StatefulStack extends Stack {
  readonly table: TableV2;
  readonly auditBucket: Bucket;
  readonly statementsBucket: Bucket;
  readonly emailIdentity: EmailIdentity;
  /** Every email is sent with it: its bounce and complaint events reach the ses-feedback function. */
  readonly configurationSet: ConfigurationSet;
  readonly senderEmail: string;
  readonly paymentWebhookSecret: Secret;
  /** The Stripe secret key (`sk_live_...`, or `sk_test_...` in a sandbox): only the functions that charge read it. */
  readonly stripeSecretKey: ISecret;
  /** The signing secret of the Stripe webhook endpoint (`whsec_...`). */
  readonly stripeWebhookSecret: Secret;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    this.senderEmail = props.senderEmail;

    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      timeToLiveAttribute: 'ttl',
      removalPolicy: RemovalPolicy.RETAIN,
      globalSecondaryIndexes: [
        {
          // A generic index (its name from its first use, mailboxes by month of expiry, which the
          // due-day index below replaced): orders with a refund to make, payment anomalies by day.
          indexName: 'byExpiry',
          partitionKey: { name: 'gsi1pk', type: AttributeType.STRING },
          sortKey: { name: 'gsi1sk', type: AttributeType.STRING },
        },
        // A storefront's orders and mailboxes (GET /orders, GET /mailboxes): sparse, so an address
        // reservation (not a mailbox yet) is in none of them. Partitions: `STOREFRONT#<id>#ORDER`
        // (gsi2pk) and `STOREFRONT#<id>#ORDER#<status>` (gsi3pk), the same for MAILBOX; sort keys
        // `<time>#<id>`, read newest first. The repositories keep gsi3pk on every status change.
        {
          // All of a storefront's orders or mailboxes, newest first.
          indexName: 'byStorefront',
          partitionKey: { name: 'gsi2pk', type: AttributeType.STRING },
          sortKey: { name: 'gsi2sk', type: AttributeType.STRING },
        },
        {
          // Those in one status, newest first: a status filter is a key condition.
          indexName: 'byStorefrontStatus',
          partitionKey: { name: 'gsi3pk', type: AttributeType.STRING },
          sortKey: { name: 'gsi2sk', type: AttributeType.STRING },
        },
        {
          // Mailboxes in one status by expiry (`<expiresAt>#<address>`): `expiresBefore` is a key condition.
          indexName: 'byStorefrontExpiry',
          partitionKey: { name: 'gsi3pk', type: AttributeType.STRING },
          sortKey: { name: 'gsi3sk', type: AttributeType.STRING },
        },
        {
          // Orders that are not settled, by the moment each needs a person if it has not moved on
          // (`<deadline>#<orderId>`, one partition `ATTENTION`; `domain/attention.ts`): what needs a
          // person now is one Query, `attentionSk <= now` (GET /operator/orders?attention=true).
          indexName: 'byAttention',
          partitionKey: { name: 'attentionPk', type: AttributeType.STRING },
          sortKey: { name: 'attentionSk', type: AttributeType.STRING },
        },
        {
          // What the renewal sweep reads: mailboxes by the day of their next renewal stage
          // (`DUE#<YYYY-MM-DD>#<shard>`, sorted by `<nextSweepAt>#<address>`). Sparse (a mailbox with
          // nothing ahead is in no partition) and keys only: the sweep reads each due mailbox itself.
          indexName: 'byDueDay',
          partitionKey: { name: 'gsi4pk', type: AttributeType.STRING },
          sortKey: { name: 'gsi4sk', type: AttributeType.STRING },
          projectionType: ProjectionType.KEYS_ONLY,
        },
      ],
    });

    const accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it into itself would loop.',
    });

    this.auditBucket = new Bucket(this, 'AuditBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'audit/',
      removalPolicy: RemovalPolicy.RETAIN,
      // Every object version is locked for 30 months from its writing: in governance mode, nobody
      // alters or deletes it before then without s3:BypassGovernanceRetention, which no role here has.
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.governance(Duration.days(RETENTION.auditTrailDays)),
      lifecycleRules: [
        {
          id: 'audit-trail-30-months',
          prefix: 'orders/',
          expiration: Duration.days(RETENTION.auditTrailDays),
          // A rewritten entry (a retried step writes the same key) leaves an older version: gone
          // with the same rule, once its lock has run out too.
          noncurrentVersionExpiration: Duration.days(1),
        },
        {
          id: 'order-documents-10-years',
          prefix: 'documents/',
          expiration: Duration.days(RETENTION.orderDocumentsDays),
          noncurrentVersionExpiration: Duration.days(1),
        },
        { id: 'expired-delete-markers', expiredObjectDeleteMarker: true },
      ],
    });

    // The bank's statement files (camt.054, camt.053), as it sent them: put under `incoming/` (by
    // the bank's delivery, or an operator), each new one processed through its EventBridge event;
    // a refused one is copied under `rejected/`. Versioned: a file is never lost by a rewrite.
    this.statementsBucket = new Bucket(this, 'StatementsBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'statements/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Object events to EventBridge, set on the bucket itself (CloudFormation's own property):
    // `eventBridgeEnabled` would add a custom resource and its function to this stack.
    (this.statementsBucket.node.defaultChild as CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };

    // The payment provider issues the signing secret: after creation, put its value here
    // (`aws secretsmanager put-secret-value`); until then deliveries fail verification, safely.
    this.paymentWebhookSecret = new Secret(this, 'PaymentWebhookSecret', {
      description: 'HMAC secret payment providers sign webhook deliveries with',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.paymentWebhookSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The payment provider issues and rotates this secret; it is rotated together with the provider, and the webhook accepts two v1 signatures during the change.',
    });

    // Stripe issues both: after creation, put the secret key and the endpoint's signing secret here
    // (`aws secretsmanager put-secret-value`); until then charges fail before reaching Stripe (the
    // placeholder is no Stripe key) and deliveries fail verification, safely. A secret key kept in
    // a secret of its own (shared by several stacks, rotated elsewhere) is imported by its name.
    this.stripeSecretKey = props.stripeSecretName
      ? Secret.fromSecretNameV2(this, 'StripeSecretKey', props.stripeSecretName)
      : this.stripeSecret('StripeSecretKey', 'Stripe secret key (sk_live_..., or sk_test_... in a sandbox)');
    this.stripeWebhookSecret = this.stripeSecret(
      'StripeWebhookSecret',
      'Signing secret of the Stripe webhook endpoint',
    );

    const senderDomain = props.senderEmail.split('@')[1] ?? props.senderEmail;
    this.configurationSet = new ConfigurationSet(this, 'EmailConfigurationSet', { reputationMetrics: true });
    this.emailIdentity = new EmailIdentity(this, 'SenderIdentity', {
      identity: Identity.domain(senderDomain),
      // The identity's default too: an email sent without naming it still reports its bounces.
      configurationSet: this.configurationSet,
    });
  }

  /** A secret whose value Stripe issues (and rotates, in its Dashboard): created with a placeholder. */
  private stripeSecret(id: string, description: string): Secret {
    const secret = new Secret(this, id, {
      description,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Stripe issues and rotates this secret (Dashboard, roll key / endpoint secret); the new value is put here.',
    });
    return secret;
  }
}
