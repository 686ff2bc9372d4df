import { existsSync } from 'node:fs';
import path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Architecture, type CfnFunction, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../functions/use-cases/business-metrics.ts';
import { BUNDLING, bundleAssetHash, handlerEntry, REPOSITORY_ROOT } from '../bundling.ts';

/** Metadata key naming the handler file a function runs; the local runtime reads it from the template. */
export const HANDLER_METADATA_KEY = 'pec:handler';

export interface PecFunctionProps {
  /** File name (without `.ts`) under `functions/handlers/`. */
  handler: string;
  description: string;
  timeout?: Duration;
}

/**
 * Every Lambda function of the product: Node.js 24 on arm64, bundled and minified, X-Ray tracing,
 * JSON logs kept for a bounded time, its own role. What it may reach is granted by NeedsBinder
 * (./needs.ts), which sets the variables the code reads along with each permission.
 */
export class PecFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: PecFunctionProps) {
    const entry = handlerEntry(props.handler);
    if (!existsSync(entry)) throw new Error(`${id} runs the handler ${props.handler}, but there is no ${entry}`);
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry,
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      projectRoot: REPOSITORY_ROOT,
      depsLockFilePath: path.join(REPOSITORY_ROOT, 'package-lock.json'),
      bundling: { ...BUNDLING, assetHash: bundleAssetHash(props.handler) },
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        // Powertools Metrics: the business metrics (EMF in the function's log) go to this namespace.
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    (this.node.defaultChild as CfnFunction).addMetadata(HANDLER_METADATA_KEY, props.handler);
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'AWSLambdaBasicExecutionRole is the AWS-maintained minimum for writing the function logs; the role is this function alone.',
    });
  }
}
