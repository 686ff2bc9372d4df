import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, type CfnFunction, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { BUNDLING, bundleAssetHash } from '../bundling.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Metadata key naming the handler file a function runs; the local runtime reads it from the template. */
export const HANDLER_METADATA_KEY = 'pec:handler';

export interface MailSettings {
  identityArn: string;
  senderEmail: string;
  configurationSetName?: string;
  /** Where transfers and slips are paid to (shown in the payment instructions). */
  payee: { name: string; iban: string; postalAccount?: string };
}

export interface PecFunctionProps {
  /** File name (without `.ts`) under `functions/handlers/`. */
  handler: string;
  description: string;
  timeout?: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
}

/**
 * Every Lambda function of the product: Node.js 24 on arm64, bundled and minified, X-Ray tracing,
 * JSON logs kept for a bounded time, its own role. Access is given with the `bind*` helpers, which
 * grant the permission and set the environment variable the code reads, together.
 */
export class PecFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: PecFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: path.join(root, 'functions/handlers', `${props.handler}.ts`),
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      projectRoot: root,
      depsLockFilePath: path.join(root, 'package-lock.json'),
      bundling: { ...BUNDLING, assetHash: bundleAssetHash(props.handler) },
      environment: {
        POWERTOOLS_SERVICE_NAME: 'pec-provisioning',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
    });
    (this.node.defaultChild as CfnFunction).addMetadata(HANDLER_METADATA_KEY, props.handler);
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'AWSLambdaBasicExecutionRole is the AWS-maintained minimum for writing the function logs; the role is this function alone.',
    });
  }

  bindTable(table: ITable, access: 'read' | 'readWrite'): this {
    if (access === 'read') table.grantReadData(this);
    else table.grantReadWriteData(this);
    this.addEnvironment('TABLE_NAME', table.tableName);
    return this;
  }

  bindAuditLog(bucket: IBucket, options: { documents?: boolean } = {}): this {
    bucket.grantPut(this, 'orders/*');
    if (options.documents) bucket.grantPut(this, 'documents/*');
    this.addEnvironment('AUDIT_BUCKET', bucket.bucketName);
    return this;
  }

  /**
   * The notifier sends every email of the product, payment instructions included, so it is given
   * the payee (beneficiary, IBAN, postal account) along with the sender.
   */
  bindMailer(mail: MailSettings): this {
    this.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          mail.identityArn,
          ...(mail.configurationSetName
            ? [
                Stack.of(this).formatArn({
                  service: 'ses',
                  resource: 'configuration-set',
                  resourceName: mail.configurationSetName,
                }),
              ]
            : []),
        ],
      }),
    );
    this.addEnvironment('SENDER_EMAIL', mail.senderEmail);
    if (mail.configurationSetName) this.addEnvironment('SES_CONFIGURATION_SET', mail.configurationSetName);
    this.addEnvironment('PAYMENT_BENEFICIARY', mail.payee.name);
    this.addEnvironment('PAYMENT_IBAN', mail.payee.iban);
    if (mail.payee.postalAccount) this.addEnvironment('PAYMENT_POSTAL_ACCOUNT', mail.payee.postalAccount);
    return this;
  }

  /** Starts the order workflow, and reads its executions' status (to restart an order whose run ended). */
  bindWorkflowStart(stateMachine: IStateMachine): this {
    stateMachine.grantStartExecution(this);
    stateMachine.grantExecution(this, 'states:DescribeExecution');
    this.addEnvironment('ORDER_WORKFLOW_ARN', stateMachine.stateMachineArn);
    return this;
  }

  bindTaskResponses(stateMachine: IStateMachine): this {
    stateMachine.grantTaskResponse(this);
    return this;
  }

  bindSecret(secret: ISecret, variable: string): this {
    secret.grantRead(this);
    this.addEnvironment(variable, secret.secretArn);
    return this;
  }
}
