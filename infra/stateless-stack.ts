import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import { OrderFulfilment } from '../workflows/order-fulfilment.ts';
import { API_ROUTES } from './api-routes.ts';
import { OperationsAlarms } from './constructs/operations-alarms.ts';
import { PecFunction } from './constructs/pec-function.ts';
import { StorefrontApi } from './constructs/storefront-api.ts';
import type { StatefulStack } from './stateful-stack.ts';

export interface ProductSettings {
  /** The page the first-access link opens; the token is appended as `?token=`. */
  passwordSetupUrl: string;
  /** How long a bank transfer or postal slip order waits for its credit. */
  paymentWait: Duration;
  firstAccessTokenTtl: Duration;
  /** PEC on the holder's own domain: the provider's mail exchangers, and how long the holder has to point MX at them. */
  domainPec: { mxHosts: string[]; dnsDeadline: Duration; dnsPollInterval: Duration };
  /** Where transfers and slips are paid to (shown in the payment instructions). */
  beneficiary: { name: string; iban: string; postalAccount?: string };
}

export interface StatelessStackProps extends StackProps {
  stateful: StatefulStack;
  settings: ProductSettings;
}

/** The code: functions, the order workflow, the API. Safe to destroy and redeploy at will. */
export class StatelessStack extends Stack {
  readonly api: StorefrontApi;
  readonly orderFulfilment: OrderFulfilment;
  readonly routeFunctions: Record<string, PecFunction> = {};

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { stateful, settings } = props;
    const mail = {
      identityArn: stateful.emailIdentity.emailIdentityArn,
      senderEmail: stateful.senderEmail,
      payee: settings.beneficiary,
    };

    this.orderFulfilment = new OrderFulfilment(this, 'OrderFulfilment', {
      maxPaymentWait: settings.paymentWait,
      dnsDeadline: settings.domainPec.dnsDeadline,
      dnsPollInterval: settings.domainPec.dnsPollInterval,
      bind: (fn, needs) => {
        if (needs.table) fn.bindTable(stateful.table, 'readWrite');
        if (needs.audit) fn.bindAuditLog(stateful.auditBucket, { documents: needs.documents });
        if (needs.mailer) fn.bindMailer(mail);
        if (needs.dns) {
          fn.addEnvironment('PEC_MX_HOSTS', settings.domainPec.mxHosts.join(','));
          fn.addEnvironment('DNS_DEADLINE_SECONDS', String(settings.domainPec.dnsDeadline.toSeconds()));
        }
        if (needs.firstAccess) {
          fn.addEnvironment('PASSWORD_SETUP_URL', settings.passwordSetupUrl);
          fn.addEnvironment('ACCESS_TOKEN_TTL_SECONDS', String(settings.firstAccessTokenTtl.toSeconds()));
        }
      },
    });
    const stateMachine = this.orderFulfilment.stateMachine;

    const routes = API_ROUTES.map((route) => {
      const fn = new PecFunction(this, `Route-${route.handler}`, {
        handler: route.handler,
        description: route.description,
      });
      this.routeFunctions[route.handler] = fn;
      return { route, fn };
    });
    const byHandler = this.routeFunctions;
    for (const name of ['get-availability', 'get-order', 'get-mailbox'])
      byHandler[name]?.bindTable(stateful.table, 'read');
    for (const name of ['create-order', 'renew-mailbox']) {
      byHandler[name]?.bindTable(stateful.table, 'readWrite').bindWorkflowStart(stateMachine);
      byHandler[name]?.addEnvironment('PAYMENT_WAIT_SECONDS', String(settings.paymentWait.toSeconds()));
    }
    byHandler['set-auto-renew']?.bindTable(stateful.table, 'readWrite');
    byHandler['set-first-password']?.bindTable(stateful.table, 'readWrite');
    // The webhook resumes waiting workflows; the state machine never invokes it, so no dependency cycle.
    byHandler['payments-webhook']
      ?.bindTable(stateful.table, 'readWrite')
      .bindAuditLog(stateful.auditBucket)
      .bindTaskResponses(stateMachine)
      .bindSecret(stateful.paymentWebhookSecret, 'PAYMENT_WEBHOOK_SECRET_ARN');

    // The daily renewal sweep: reminders, automatic renewals, suspensions, deletions.
    const sweep = new PecFunction(this, 'RenewalSweep', {
      handler: 'renewal-sweep',
      description: 'Daily renewal sweep',
      timeout: Duration.minutes(10),
    })
      .bindTable(stateful.table, 'readWrite')
      .bindAuditLog(stateful.auditBucket)
      .bindMailer(mail)
      .bindWorkflowStart(stateMachine);
    sweep.addEnvironment('PAYMENT_WAIT_SECONDS', String(settings.paymentWait.toSeconds()));
    new Rule(this, 'RenewalSweepSchedule', {
      description: 'Runs the renewal sweep every day at 02:00 UTC',
      schedule: Schedule.cron({ hour: '2', minute: '0' }),
      targets: [new LambdaFunction(sweep, { retryAttempts: 2 })],
    });

    this.api = new StorefrontApi(this, 'StorefrontApi', { routes, throttle: { rateLimit: 50, burstLimit: 100 } });

    new OperationsAlarms(this, 'Alarms', {
      api: this.api.api,
      stateMachine,
      strict: { ...this.routeFunctions, 'renewal-sweep': sweep },
      tolerant: this.orderFulfilment.functions,
    });
  }
}
