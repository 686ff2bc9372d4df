import { Duration } from 'aws-cdk-lib';
import type { IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { Match, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { STATEMENT_PREFIXES, STATEMENT_REJECTED_MESSAGE } from '../../functions/adapters/s3-statement-files.ts';
import type { NeedsBinder } from './needs.ts';
import { PecFunction } from './pec-function.ts';

export interface BankStatementIntakeProps {
  /** The binder that can grant workflow needs: a statement's credit resumes the order's payment wait. */
  binder: NeedsBinder;
  /** The statements bucket (with EventBridge notifications on). */
  bucket: IBucket;
}

/**
 * The bank's statements, applied as they arrive: every object created under `incoming/` of the
 * statements bucket (S3's "Object Created" event on the default EventBridge bus) runs the
 * bank-statement function once; a function error is retried by Lambda's asynchronous invocation
 * (twice), which is safe because every credit takes effect at most once. A refused file is counted
 * from the function's log (`rejectedFiles`), for an alarm.
 */
export class BankStatementIntake extends Construct {
  readonly function: PecFunction;
  /** Statement files refused (malformed, or not a camt.053/054), per 5 minutes. */
  readonly rejectedFiles: IMetric;

  constructor(scope: Construct, id: string, props: BankStatementIntakeProps) {
    super(scope, id);
    this.function = props.binder.bind(
      new PecFunction(this, 'Function', {
        handler: 'bank-statement',
        description: 'Registers the credits of a bank statement (camt.054, camt.053) put in the statements bucket',
        timeout: Duration.minutes(5),
      }),
      { table: 'readWrite', audit: true, taskResponses: true, statements: true },
    );

    new Rule(this, 'StatementReceived', {
      description: 'A bank statement file was put under incoming/ of the statements bucket',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [props.bucket.bucketName] },
          object: { key: Match.prefix(STATEMENT_PREFIXES.incoming) },
        },
      },
      targets: [new LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.hours(24) })],
    });

    this.rejectedFiles = new MetricFilter(this, 'RejectedFiles', {
      logGroup: this.function.logGroup,
      filterPattern: FilterPattern.stringValue('$.message', '=', STATEMENT_REJECTED_MESSAGE),
      metricNamespace: 'PecProvisioning',
      metricName: 'BankStatementsRejected',
      metricValue: '1',
    }).metric({ statistic: 'Sum', period: Duration.minutes(5) });
  }
}
