import { Duration, Validations } from 'aws-cdk-lib';
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Errors,
  JsonPath,
  Map as MapState,
  Pass,
  Result,
  StateMachine,
  StateMachineType,
  Succeed,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DOMAIN_DUE_PREFIX } from '../functions/domain/reseller-domains.ts';
import type { NeedsBinder } from '../infra/constructs/needs.ts';
import { PecFunction } from '../infra/constructs/pec-function.ts';
import { retryTransient } from './order-fulfilment.ts';
import { workflowLogs } from './workflow-logs.ts';

/** How many mailboxes of a page are swept at once: bounds the load on the mail platform, SES and Stripe. */
export const SWEEP_MAX_CONCURRENCY = 10;

/** The schedule's retry policy: attempts to start the workflow before the event goes to the DLQ. */
export const SWEEP_SCHEDULE_RETRY_ATTEMPTS = 5;

export interface RenewalSweepProps {
  /** Grants each function what it needs (the order workflow included: renewals start it). */
  binder: NeedsBinder;
}

/**
 * The daily renewal sweep (Step Functions Standard), started by an EventBridge Scheduler schedule:
 *
 *   NextPage ─ done ─▶ SweepDone (output: the counts)
 *     ▲    └─ a page of due addresses ─▶ SweepMailboxes (Map, at most SWEEP_MAX_CONCURRENCY at once:
 *     │                                   SweepMailbox, retried; a failure is caught as `failed`)
 *     └──────────────────────────────────────┘
 *
 * NextPage reads the due-day index (the days from the last one swept through today), a page at a
 * time, and tallies the page before; once all is read it records the days as swept. An inline Map
 * over pages rather than a Distributed Map: the same definition runs in the local runtime's Step
 * Functions stand-in, and a day's due items (thousands, not millions) fit pages of a Standard
 * execution; see README "Renewal sweep".
 */
export class RenewalSweep extends Construct {
  readonly stateMachine: StateMachine;
  readonly functions: Record<'NextPage' | 'SweepMailbox' | 'SweepDomain', PecFunction>;
  readonly deadLetterQueue: Queue;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: RenewalSweepProps) {
    super(scope, id);
    const nextPageFunction = props.binder.bind(
      new PecFunction(this, 'NextPageFunction', {
        handler: 'renewal-sweep',
        description: 'Renewal sweep: lists the due mailboxes a page at a time and tallies what was done',
        timeout: Duration.minutes(1),
      }),
      { table: 'readWrite' },
    );
    const sweepMailboxFunction = props.binder.bind(
      new PecFunction(this, 'SweepMailboxFunction', {
        handler: 'sweep-mailbox',
        description: 'Renewal sweep: does what the renewal policy says for one mailbox',
        timeout: Duration.seconds(30),
      }),
      { table: 'readWrite', audit: true, mailer: true, workflowStart: true, paymentWait: true, renewalLinks: true },
    );
    // A reseller's certified domain in the due-day index (`DOMAIN#<domain>`): its yearly renewal from
    // credit, its lapse and the suspension, then deletion, of its mailboxes.
    const sweepDomainFunction = props.binder.bind(
      new PecFunction(this, 'SweepDomainFunction', {
        handler: 'sweep-domain',
        description: "Renewal sweep: renews a reseller's certified domain from credit, or lapses it",
        timeout: Duration.seconds(30),
      }),
      { table: 'readWrite', audit: true, mailer: true, hostedNameServers: true },
    );
    this.functions = {
      NextPage: nextPageFunction,
      SweepMailbox: sweepMailboxFunction,
      SweepDomain: sweepDomainFunction,
    };

    const nextPage = retryTransient(
      new LambdaInvoke(this, 'NextPage', {
        lambdaFunction: nextPageFunction,
        payloadResponseOnly: true,
        taskTimeout: Timeout.duration(Duration.minutes(1)),
        retryOnServiceExceptions: false,
      }),
      { retryTimeout: true },
    );

    const sweepMailbox = retryTransient(
      new LambdaInvoke(this, 'SweepMailbox', {
        lambdaFunction: sweepMailboxFunction,
        payloadResponseOnly: true,
        taskTimeout: Timeout.duration(Duration.seconds(30)),
        retryOnServiceExceptions: false,
      }),
      { retryTimeout: true, maxAttempts: 3 },
    ).addCatch(
      // One mailbox that keeps failing is counted, and the others go on; it stays due, so the
      // next run (which reads its day again, since this one records nothing as swept) retries it.
      new Pass(this, 'MailboxFailed', { result: Result.fromObject({ outcome: 'failed' }) }),
      { errors: [Errors.ALL], resultPath: JsonPath.DISCARD },
    );

    const sweepDomain = retryTransient(
      new LambdaInvoke(this, 'SweepDomain', {
        lambdaFunction: sweepDomainFunction,
        payloadResponseOnly: true,
        taskTimeout: Timeout.duration(Duration.seconds(30)),
        retryOnServiceExceptions: false,
      }),
      { retryTimeout: true, maxAttempts: 3 },
    ).addCatch(new Pass(this, 'DomainFailed', { result: Result.fromObject({ outcome: 'failed' }) }), {
      errors: [Errors.ALL],
      resultPath: JsonPath.DISCARD,
    });

    const sweepMailboxes = new MapState(this, 'SweepMailboxes', {
      itemsPath: JsonPath.stringAt('$.addresses'),
      itemSelector: { address: JsonPath.stringAt('$$.Map.Item.Value'), at: JsonPath.stringAt('$.at') },
      maxConcurrency: SWEEP_MAX_CONCURRENCY,
      resultPath: '$.results',
    });
    sweepMailboxes.itemProcessor(
      new Choice(this, 'MailboxOrDomain')
        .when(Condition.stringMatches('$.address', `${DOMAIN_DUE_PREFIX}*`), sweepDomain)
        .otherwise(sweepMailbox),
    );
    sweepMailboxes.next(nextPage);

    nextPage.next(
      new Choice(this, 'AllSwept')
        .when(Condition.booleanEquals('$.done', true), new Succeed(this, 'SweepDone', { outputPath: '$.totals' }))
        .otherwise(sweepMailboxes),
    );

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      definitionBody: DefinitionBody.fromChainable(nextPage),
      stateMachineType: StateMachineType.STANDARD,
      timeout: Duration.hours(23),
      tracingEnabled: true,
      logs: workflowLogs(this),
    });

    // What the schedule could not start, after its retries: kept 14 days for an operator to look at.
    this.deadLetterQueue = new Queue(this, 'ScheduleDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "This queue is itself a dead-letter queue: the schedule's, for the starts it could not make.",
    });
    this.schedule = new Schedule(this, 'Schedule', {
      description: 'Starts the renewal sweep every day at 02:00 UTC',
      schedule: ScheduleExpression.cron({ hour: '2', minute: '0' }),
      target: new StepFunctionsStartExecution(this.stateMachine, {
        input: ScheduleTargetInput.fromObject({ at: ContextAttribute.scheduledTime }),
        retryAttempts: SWEEP_SCHEDULE_RETRY_ATTEMPTS,
        maxEventAge: Duration.hours(6),
        deadLetterQueue: this.deadLetterQueue,
      }),
    });
  }
}
