import { Duration, Lazy, Stack, type StackProps } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import { DomainCertification } from '../workflows/domain-certification.ts';
import { OrderFulfilment } from '../workflows/order-fulfilment.ts';
import { RenewalSweep } from '../workflows/renewal-sweep.ts';
import { API_ROUTES } from './api-routes.ts';
import { BankStatementIntake } from './constructs/bank-statement-intake.ts';
import { EmailFeedback } from './constructs/email-feedback.ts';
import { NeedsBinder, resellersUsagePlan } from './constructs/needs.ts';
import { AlarmTopic, OperationsStack } from './constructs/operations-alarms.ts';
import { PecFunction } from './constructs/pec-function.ts';
import { StorefrontApi } from './constructs/storefront-api.ts';
import type { ProductSettings } from './product-settings.ts';
import type { StatefulStack } from './stateful-stack.ts';

export interface StatelessStackProps extends StackProps {
  stateful: StatefulStack;
  settings: ProductSettings;
  /** The storefronts, each with its own API key and usage plan. */
  storefronts: readonly string[];
  /** Subscribed to the alarm topic (an email subscription, confirmed once by its owner), when set. */
  alarmEmail?: string;
}

/** The code: functions, the order workflow, the API. Safe to destroy and redeploy at will. */
export class StatelessStack extends Stack {
  readonly api: StorefrontApi;
  readonly orderFulfilment: OrderFulfilment;
  readonly renewalSweep: RenewalSweep;
  readonly domainCertification: DomainCertification;
  readonly alarmTopic: AlarmTopic;
  /** The alarms and the dashboard: a nested stack, so they do not count against this stack's 500 resources. */
  readonly operations: OperationsStack;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { stateful } = props;
    // Without a page of its own, the emailed links open the API's own GET /password-setup: its URL
    // is known once the API exists, which is after the functions that put it in emails.
    const settings = {
      ...props.settings,
      passwordSetupUrl:
        props.settings.passwordSetupUrl ?? Lazy.string({ produce: () => this.api.urlOf('/password-setup') }),
    };
    const stateBinder = new NeedsBinder(stateful, settings);

    this.orderFulfilment = new OrderFulfilment(this, 'OrderFulfilment', {
      maxPaymentWait: settings.paymentWait,
      authenticationWait: settings.authenticationWait,
      dnsDeadline: settings.domainPec.dnsDeadline,
      binder: stateBinder,
    });
    const stateMachine = this.orderFulfilment.stateMachine;
    // A reseller's pending domain waits for its MX records in a workflow of its own.
    this.domainCertification = new DomainCertification(this, 'DomainCertification', {
      dnsDeadline: settings.domainPec.dnsDeadline,
      binder: stateBinder,
    });
    const binder = stateBinder.withWorkflow(stateMachine).withDomainWorkflow(this.domainCertification.stateMachine);

    const routes = API_ROUTES.map((route) => ({
      route,
      fn: binder.bind(new PecFunction(this, `Route-${route.handler}`, route), route.needs),
    }));

    // The daily renewal sweep: reminders, charge notices, automatic renewals and their retries,
    // suspensions, deletions; a workflow started by a schedule, fanning out over the due mailboxes.
    this.renewalSweep = new RenewalSweep(this, 'RenewalSweep', { binder });

    // The bank's statements: each file put in the statements bucket registers its credits.
    const statements = new BankStatementIntake(this, 'BankStatements', { binder, bucket: stateful.statementsBucket });

    // Every 5 minutes, how many orders need a person (stuck past their promise, refunds to do), for the alarms.
    const attentionGauge = binder.bind(
      new PecFunction(this, 'AttentionGaugeFunction', {
        handler: 'attention-gauge',
        description: 'Counts the orders that need a person (attention index), as gauges for the alarms',
      }),
      { table: 'read' },
    );
    new Rule(this, 'AttentionGaugeSchedule', {
      description: 'Measures the orders that need a person every 5 minutes',
      schedule: Schedule.rate(Duration.minutes(5)),
      targets: [new LambdaFunction(attentionGauge, { retryAttempts: 0 })],
    });

    // SES's bounces and complaints: a hard bounce of a holder's reference email marks the mailbox.
    const emailFeedback = new EmailFeedback(this, 'EmailFeedback', {
      binder,
      configurationSet: stateful.configurationSet,
    });

    this.api = new StorefrontApi(this, 'StorefrontApi', {
      routes,
      throttle: { rateLimit: 50, burstLimit: 100 },
      storefronts: props.storefronts,
    });
    // The resellers' keys (created at approval) open this API's stage.
    resellersUsagePlan(this).addApiStage({ api: this.api.api, stage: this.api.api.deploymentStage });

    this.alarmTopic = new AlarmTopic(this, 'Alarms', {
      operatorEnds: this.orderFulfilment.operatorEnds,
      alarmEmail: props.alarmEmail,
    });
    // Created last: it gives every queue and other workflow of this stack an alarm.
    this.operations = new OperationsStack(this, 'Operations', {
      topic: this.alarmTopic.topic,
      api: this.api.api,
      stateMachine,
      strict: {
        ...Object.fromEntries(routes.map(({ route, fn }) => [route.handler, fn])),
        'renewal-sweep': this.renewalSweep.functions.NextPage,
        'sweep-mailbox': this.renewalSweep.functions.SweepMailbox,
        'sweep-domain': this.renewalSweep.functions.SweepDomain,
        'bank-statement': statements.function,
        'ses-feedback': emailFeedback.function,
        'attention-gauge': attentionGauge,
      },
      tolerant: { ...this.orderFulfilment.functions, ...this.domainCertification.functions },
      operatorStatesReached: this.orderFulfilment.operatorStatesReached,
      watch: {
        BankStatementRejected: {
          metric: statements.rejectedFiles,
          description:
            'A bank statement file was refused (nothing of it applied): see rejected/ in the statements bucket.',
        },
      },
    });
  }
}
