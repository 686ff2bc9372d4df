import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Errors,
  Fail,
  IntegrationPattern,
  JsonPath,
  LogLevel,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ErrorName } from '../functions/domain/errors.ts';
import { PecFunction } from '../infra/constructs/pec-function.ts';

export interface OrderFulfilmentProps {
  /** Longest a transfer or postal slip order may wait for its credit; bounds the whole execution. */
  maxPaymentWait: Duration;
  /** Longest a holder's domain may take to point its MX records at the provider (PEC on own domain). */
  dnsDeadline: Duration;
  /** How often the domain's MX records are checked while waiting. */
  dnsPollInterval: Duration;
  /** Binds the table, mailer, audit log... to each state's function. */
  bind: (fn: PecFunction, needs: StateNeeds) => void;
}

/** What a state's function needs access to. */
export interface StateNeeds {
  table: boolean;
  dns?: boolean;
  /** Files order documents, besides the audit trail. */
  documents?: boolean;
  audit?: boolean;
  mailer?: boolean;
  firstAccess?: boolean;
}

/**
 * The life of an order, from payment to an active mailbox (Step Functions Standard):
 *
 *   RoutePayment ─ card/PayPal ─▶ ChargePayment ─┐
 *        └─ transfer/slip ─▶ AwaitPayment (task token, bounded wait) ─┤
 *   RouteOrderKind ─ new ─▶ ProvisionMailbox ▶ SendFirstAccessEmail ─┐
 *        ├─ own domain ─▶ CheckDomainDns ⇄ WaitForDns, then ProvisionMailbox
 *        └─ renewal ─▶ ExtendMailbox ────────────────────────────────┤
 *   CompleteOrder ▶ OrderCompleted
 *
 * A declined payment or an impossible provisioning goes to FailOrder, a wait that runs out to
 * CancelOrder: both close the order, free the address and tell the holder. One small function per
 * state; each is idempotent, so every retry is safe. The execution is named after the order by
 * whoever starts it, so an order can never run twice.
 */
export class OrderFulfilment extends Construct {
  readonly stateMachine: StateMachine;
  readonly functions: Record<string, PecFunction> = {};

  constructor(scope: Construct, id: string, props: OrderFulfilmentProps) {
    super(scope, id);

    const fn = (stateName: string, handler: string, description: string, needs: StateNeeds) => {
      const created = new PecFunction(this, `${stateName}Function`, { handler, description });
      props.bind(created, needs);
      this.functions[stateName] = created;
      return created;
    };

    const orderIdOnly = TaskInput.fromObject({ orderId: JsonPath.stringAt('$.orderId') });
    const step = (stateName: string, handler: string, description: string, needs: StateNeeds, timeout = 30) =>
      new LambdaInvoke(this, stateName, {
        lambdaFunction: fn(stateName, handler, description, needs),
        payload: orderIdOnly,
        payloadResponseOnly: true,
        resultPath: JsonPath.DISCARD,
        taskTimeout: Timeout.duration(Duration.seconds(timeout)),
      });

    // Closing paths: one function, told which outcome to record.
    const closeFunction = fn('CloseOrder', 'close-order', 'Closes an order that will not be fulfilled', {
      table: true,
      audit: true,
      mailer: true,
    });
    const close = (stateName: string, outcome: 'failed' | 'cancelled') =>
      new LambdaInvoke(this, stateName, {
        lambdaFunction: closeFunction,
        payload: TaskInput.fromObject({
          orderId: JsonPath.stringAt('$.orderId'),
          outcome,
          error: JsonPath.objectAt('$.error'),
        }),
        payloadResponseOnly: true,
        resultPath: JsonPath.DISCARD,
        taskTimeout: Timeout.duration(Duration.seconds(30)),
      })
        .addRetry({ errors: [Errors.ALL], interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 4 })
        .addCatch(
          new Fail(this, `${stateName}Unfinished`, {
            error: 'CloseOrderFailed',
            cause: 'Closing the order failed; an operator must finish it.',
          }),
          { resultPath: '$.closeError' },
        );
    const failOrder = close('FailOrder', 'failed').next(
      new Fail(this, 'OrderFailed', {
        error: 'OrderFailed',
        cause: 'The order failed: payment declined or provisioning impossible.',
      }),
    );
    const cancelOrder = close('CancelOrder', 'cancelled').next(
      new Fail(this, 'OrderCancelled', { error: 'OrderCancelled', cause: 'The payment did not arrive in time.' }),
    );
    const toFailOrder = { resultPath: '$.error' };

    const chargePayment = step('ChargePayment', 'charge-payment', 'Charges a card or PayPal order once', {
      table: true,
      audit: true,
    })
      .addRetry({
        errors: [ErrorName.PaymentGatewayUnavailableError],
        interval: Duration.seconds(2),
        backoffRate: 2,
        maxAttempts: 3,
      })
      .addCatch(failOrder, toFailOrder);

    const awaitPayment = new LambdaInvoke(this, 'AwaitPayment', {
      lambdaFunction: fn('AwaitPayment', 'await-payment', 'Keeps the callback token and emails payment instructions', {
        table: true,
        mailer: true,
      }),
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({ orderId: JsonPath.stringAt('$.orderId'), taskToken: JsonPath.taskToken }),
      resultPath: JsonPath.DISCARD,
      // Set per order by whoever starts the execution, from the configured payment wait.
      taskTimeout: Timeout.at('$.paymentWaitSeconds'),
    })
      .addCatch(cancelOrder, { errors: [Errors.TIMEOUT], resultPath: '$.error' })
      .addCatch(failOrder, toFailOrder);

    const retryTransient = { interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 4 };
    const provisionMailbox = step('ProvisionMailbox', 'provision-mailbox', 'Creates the mailbox on the mail platform', {
      table: true,
      audit: true,
    })
      .addRetry({ errors: [ErrorName.ProvisioningImpossibleError], maxAttempts: 0 })
      .addRetry({ errors: [Errors.ALL], ...retryTransient })
      .addCatch(failOrder, toFailOrder);

    const completeOrder = step('CompleteOrder', 'complete-order', 'Marks the order completed and files it', {
      table: true,
      audit: true,
      documents: true,
    })
      .addRetry({ errors: [Errors.ALL], ...retryTransient })
      .addCatch(
        new Fail(this, 'CompletionUnrecorded', {
          error: 'CompletionUnrecorded',
          cause: 'The mailbox is active but the order could not be marked completed.',
        }),
        { resultPath: '$.error' },
      );

    const sendFirstAccess = step('SendFirstAccessEmail', 'send-first-access-email', 'Emails the first-access link', {
      table: true,
      mailer: true,
      firstAccess: true,
    })
      .addRetry({ errors: [Errors.ALL], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 5 })
      // The mailbox is active and paid for: the order completes; the holder can ask for a new link.
      .addCatch(completeOrder, { resultPath: '$.firstAccessError' });

    const extendMailbox = step('ExtendMailbox', 'extend-mailbox', 'Extends a renewed mailbox', {
      table: true,
      audit: true,
      mailer: true,
    })
      .addRetry({ errors: [ErrorName.ProvisioningImpossibleError], maxAttempts: 0 })
      .addRetry({ errors: [Errors.ALL], ...retryTransient })
      .addCatch(failOrder, toFailOrder);

    // PEC on the holder's own domain: provision once the domain's MX records point at the provider.
    const checkDomainDns = new LambdaInvoke(this, 'CheckDomainDns', {
      lambdaFunction: fn('CheckDomainDns', 'check-domain-dns', "Checks the holder's domain MX records", {
        table: true,
        mailer: true,
        dns: true,
      }),
      payload: orderIdOnly,
      payloadResponseOnly: true,
      resultPath: '$.dns',
      taskTimeout: Timeout.duration(Duration.seconds(30)),
    })
      .addRetry({ errors: [ErrorName.DomainNotConfiguredError, ErrorName.ProvisioningImpossibleError], maxAttempts: 0 })
      .addRetry({ errors: [Errors.ALL], ...retryTransient })
      .addCatch(failOrder, toFailOrder);
    const waitForDns = new Wait(this, 'WaitForDns', { time: WaitTime.duration(props.dnsPollInterval) });
    waitForDns.next(checkDomainDns);
    checkDomainDns.next(
      new Choice(this, 'DomainReady')
        .when(Condition.booleanEquals('$.dns.ready', true), provisionMailbox)
        .otherwise(waitForDns),
    );

    // Orders without a kind (started before renewals existed) are new mailboxes.
    const routeOrderKind = new Choice(this, 'RouteOrderKind')
      .when(Condition.and(Condition.isPresent('$.kind'), Condition.stringEquals('$.kind', 'renewal')), extendMailbox)
      .when(
        Condition.and(Condition.isPresent('$.domainPec'), Condition.booleanEquals('$.domainPec', true)),
        checkDomainDns,
      )
      .otherwise(provisionMailbox);

    provisionMailbox.next(sendFirstAccess);
    sendFirstAccess.next(completeOrder);
    extendMailbox.next(completeOrder);
    completeOrder.next(new Succeed(this, 'OrderCompleted'));
    chargePayment.next(routeOrderKind);
    awaitPayment.next(routeOrderKind);

    const definition = new Choice(this, 'RoutePayment')
      .when(
        Condition.or(
          Condition.stringEquals('$.payment.method', 'card'),
          Condition.stringEquals('$.payment.method', 'paypal'),
        ),
        chargePayment,
      )
      .otherwise(awaitPayment);

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      definitionBody: DefinitionBody.fromChainable(definition),
      stateMachineType: StateMachineType.STANDARD,
      timeout: props.maxPaymentWait.plus(props.dnsDeadline).plus(Duration.days(1)),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'Logs', {
          retention: RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: LogLevel.ALL,
        includeExecutionData: false,
      },
    });
  }
}
