import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  ConfigurationSetEventDestination,
  EmailSendingEvent,
  EventDestination,
  type IConfigurationSet,
} from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { NeedsBinder } from './needs.ts';
import { PecFunction } from './pec-function.ts';

export interface EmailFeedbackProps {
  binder: NeedsBinder;
  /** The configuration set every email is sent with (the stateful stack's). */
  configurationSet: IConfigurationSet;
}

/**
 * What becomes of the emails sent: the configuration set publishes every bounce and complaint to an
 * encrypted SNS topic (its key lets SES use it), and the ses-feedback function marks a mailbox's
 * contact undeliverable when its holder's reference email hard-bounces. SES's own reputation
 * metrics (bounce and complaint rates) are alarmed on by OperationsAlarms.
 */
export class EmailFeedback extends Construct {
  readonly topic: Topic;
  readonly function: PecFunction;

  constructor(scope: Construct, id: string, props: EmailFeedbackProps) {
    super(scope, id);
    const key = new Key(this, 'TopicKey', {
      description: 'Encrypts the SES bounce and complaint topic; SES may use it to publish',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'SesEventPublishing',
        principals: [new ServicePrincipal('ses.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new Topic(this, 'Topic', {
      displayName: 'pec-provisioning email bounces and complaints',
      masterKey: key,
      enforceSSL: true,
    });
    new ConfigurationSetEventDestination(this, 'BouncesAndComplaints', {
      configurationSet: props.configurationSet,
      destination: EventDestination.snsTopic(this.topic),
      events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT],
    });
    this.function = props.binder.bind(
      new PecFunction(this, 'Function', {
        handler: 'ses-feedback',
        description: "Marks a mailbox's contact undeliverable when its holder's reference email hard-bounces",
      }),
      { table: 'readWrite' },
    );
    this.topic.addSubscription(new LambdaSubscription(this.function));
  }
}
