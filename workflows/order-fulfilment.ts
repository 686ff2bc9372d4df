import { Duration } from 'aws-cdk-lib';
import { type IMetric, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule } from 'aws-cdk-lib/aws-events';
import {
  Choice,
  Condition,
  DefinitionBody,
  Errors,
  Fail,
  IntegrationPattern,
  JitterType,
  JsonPath,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { CLOSED_AS_DESIGNED } from '../functions/domain/attention.ts';
import { ErrorName } from '../functions/domain/errors.ts';
import { IMMEDIATE_PAYMENT_METHODS, PREPAID_CREDIT } from '../functions/domain/payment-methods.ts';
import type { NeedsBinder, StateNeeds } from '../infra/constructs/needs.ts';
import { PecFunction } from '../infra/constructs/pec-function.ts';
import { workflowLogs } from './workflow-logs.ts';

/** Lambda's own transient errors (throttling, service trouble), which AWS recommends retrying. */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
] as const;

/** A function that ran out of its own timeout. */
export const LAMBDA_TIMEOUT_ERROR = 'Sandbox.Timedout';

/**
 * How every state retries what may pass: exponential backoff with full jitter (so retries of many
 * orders failing together do not arrive together), capped. Every state is idempotent, so any
 * failure that is not one of the state's permanent errors is worth retrying.
 */
export const TRANSIENT_RETRY = {
  interval: Duration.seconds(1),
  backoffRate: 2,
  maxAttempts: 6,
  maxDelay: Duration.seconds(30),
  jitterStrategy: JitterType.FULL,
} as const;

/**
 * Gives a task its retry policy: first its permanent errors, never retried (they would match
 * `States.TaskFailed` otherwise), then the transient ones: Lambda's service errors and timeouts,
 * then `States.TaskFailed` for whatever else failed. `States.Timeout` (the task's own timeout) is
 * retried for request-response tasks; for a callback wait it means the wait ran out, which a Catch
 * handles.
 */
export function retryTransient<T extends LambdaInvoke>(
  task: T,
  options: { permanent?: readonly string[]; retryTimeout: boolean; maxAttempts?: number },
): T {
  if (options.permanent?.length) task.addRetry({ errors: [...options.permanent], maxAttempts: 0 });
  task.addRetry({
    errors: [
      ...LAMBDA_SERVICE_ERRORS,
      LAMBDA_TIMEOUT_ERROR,
      ...(options.retryTimeout ? [Errors.TIMEOUT] : []),
      Errors.TASKS_FAILED,
    ],
    ...TRANSIENT_RETRY,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  });
  return task;
}

export interface OrderFulfilmentProps {
  /** Longest a transfer or postal slip order may wait for its credit; bounds the whole execution. */
  maxPaymentWait: Duration;
  /** Longest a card or PayPal order waits for the holder to authenticate (3-D Secure) or approve it. */
  authenticationWait: Duration;
  /** Longest a holder's domain may take to point its MX records at the provider (PEC on own domain). */
  dnsDeadline: Duration;
  /** Grants each state's function what it needs. */
  binder: NeedsBinder;
}

/**
 * The life of an order, from payment to an active mailbox (Step Functions Standard):
 *
 *   RoutePayment ─ card/PayPal ─▶ (a new order: SendOrderConfirmation) ▶ ChargePayment ─┐
 *        ├─ reseller credit (paid at intake) ─────────────────────────────────────────┤
 *        │        (3-D Secure, PayPal's approval: ChargePayment ⇄ AwaitAuthentication, task token, 1 hour)
 *        └─ transfer/slip ─▶ AwaitPayment (task token, bounded wait) ─┤
 *   RouteOrderKind ─ new ─▶ ProvisionMailbox ▶ SendFirstAccessEmail ─┐
 *        ├─ own domain ─▶ CheckDomainDns ⇄ WaitForDns (task token, backoff timeout), then ProvisionMailbox
 *        └─ renewal ─▶ ExtendMailbox ────────────────────────────────┤
 *   CompleteOrder ▶ OrderCompleted
 *
 * A declined payment or an impossible provisioning goes to FailOrder, a wait that runs out or that
 * the storefront cancels (POST /orders/{orderId}/cancel) to CancelOrder: both close the order,
 * record the refund of any money taken, free the address and tell the holder. One small function
 * per state; each is idempotent and retries transient failures (backoff with full jitter), while
 * its permanent errors go straight to their Catch. The execution is named after the order by
 * whoever starts it (`<orderId>-2`... for a restart after a run ended with the order still
 * waiting, or cancelled), so an order never has two running.
 */
export class OrderFulfilment extends Construct {
  readonly stateMachine: StateMachine;
  readonly functions: Record<string, PecFunction> = {};
  /** Executions that ended needing an operator (failed other than as designed), per 5 minutes. */
  readonly operatorStatesReached: IMetric;
  /** The EventBridge rule that matches those executions' ends. */
  readonly operatorEnds: Rule;

  constructor(scope: Construct, id: string, props: OrderFulfilmentProps) {
    super(scope, id);

    const fn = (stateName: string, handler: string, description: string, needs: StateNeeds) => {
      const created = props.binder.bind(new PecFunction(this, `${stateName}Function`, { handler, description }), needs);
      this.functions[stateName] = created;
      return created;
    };

    const orderIdOnly = TaskInput.fromObject({ orderId: JsonPath.stringAt('$.orderId') });
    const step = (
      stateName: string,
      handler: string,
      description: string,
      needs: StateNeeds,
      permanent: readonly string[] = [],
    ) =>
      retryTransient(
        new LambdaInvoke(this, stateName, {
          lambdaFunction: fn(stateName, handler, description, needs),
          payload: orderIdOnly,
          payloadResponseOnly: true,
          resultPath: JsonPath.DISCARD,
          taskTimeout: Timeout.duration(Duration.seconds(30)),
          // The retry policy below covers Lambda's service errors too, with jitter.
          retryOnServiceExceptions: false,
        }),
        { permanent, retryTimeout: true },
      );

    // Orders without a kind (started before renewals existed) are new mailboxes.
    const isRenewal = Condition.and(Condition.isPresent('$.kind'), Condition.stringEquals('$.kind', 'renewal'));

    // Closing paths: one function, told which outcome to record.
    // Stripe: it looks up (and cancels, if still open) the order's PaymentIntent to record a refund.
    const closeFunction = fn('CloseOrder', 'close-order', 'Closes an order that will not be fulfilled', {
      table: 'readWrite',
      audit: true,
      mailer: true,
      stripe: true,
      renewalLinks: true,
    });
    // Closing re-checks each of its effects on a retry (refund, address, audit, email at most once),
    // so it may be retried longer than the other steps. When the retries run out, the execution
    // fails in this very state (no Catch): an operator state, listed for attention, that the
    // operator's redrive (POST /operator/orders/{orderId}/redrive) resumes right here.
    const close = (stateName: string, outcome: 'failed' | 'cancelled') =>
      retryTransient(
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
          retryOnServiceExceptions: false,
        }),
        { retryTimeout: true, maxAttempts: 10 },
      );
    const failOrder = close('FailOrder', 'failed').next(
      new Fail(this, 'OrderFailed', {
        error: 'OrderFailed',
        cause: 'The order failed: payment declined or provisioning impossible.',
      }),
    );
    const cancelOrder = close('CancelOrder', 'cancelled').next(
      new Fail(this, 'OrderCancelled', {
        error: 'OrderCancelled',
        cause: 'The payment did not arrive in time, or the storefront cancelled the order.',
      }),
    );
    const toFailOrder = { resultPath: '$.error' };

    // A retry first looks the charge up by its idempotency key: a timeout after charging is settled,
    // never charged twice. When the retries run out, FailOrder looks it up too and records the refund.
    // A payment that waits for the holder (3-D Secure, PayPal's approval) goes to AwaitAuthentication.
    const chargePayment = step(
      'ChargePayment',
      'charge-payment',
      'Charges a card or PayPal order once',
      { table: 'readWrite', audit: true, stripe: true },
      [ErrorName.PaymentDeclinedError, ErrorName.PaymentRequiresActionError, ErrorName.ProvisioningImpossibleError],
    );

    // The holder authenticates (or approves) with Stripe.js; Stripe's webhook resumes the wait
    // (success: ChargePayment again, which asks Stripe and records the charge; PaymentFailed: the
    // order fails). The function failing before it kept the token is retried with a fresh token; a
    // payment settled before the token was kept is found by the function itself (PaymentAlreadyReceivedError
    // back to ChargePayment, PaymentDeclinedError to FailOrder). The wait running out cancels the order:
    // CancelOrder cancels the PaymentIntent (or, completed at the last moment, records its refund).
    const awaitAuthentication = retryTransient(
      new LambdaInvoke(this, 'AwaitAuthentication', {
        lambdaFunction: fn(
          'AwaitAuthentication',
          'await-authentication',
          'Keeps the callback token while the holder authenticates the payment',
          { table: 'readWrite', stripe: true },
        ),
        integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload: TaskInput.fromObject({ orderId: JsonPath.stringAt('$.orderId'), taskToken: JsonPath.taskToken }),
        resultPath: JsonPath.DISCARD,
        taskTimeout: Timeout.duration(props.authenticationWait),
        retryOnServiceExceptions: false,
      }),
      {
        permanent: [
          ErrorName.PaymentFailed,
          ErrorName.PaymentDeclinedError,
          ErrorName.PaymentAlreadyReceivedError,
          ErrorName.ProvisioningImpossibleError,
        ],
        retryTimeout: false,
      },
    )
      .addCatch(cancelOrder, { errors: [Errors.TIMEOUT], resultPath: '$.error' })
      .addCatch(chargePayment, { errors: [ErrorName.PaymentAlreadyReceivedError], resultPath: JsonPath.DISCARD })
      .addCatch(failOrder, toFailOrder);
    awaitAuthentication.next(chargePayment);
    chargePayment
      .addCatch(awaitAuthentication, { errors: [ErrorName.PaymentRequiresActionError], resultPath: JsonPath.DISCARD })
      .addCatch(failOrder, toFailOrder);

    // The function failing (before it kept the token) is retried with a fresh token; the wait
    // running out (States.Timeout) or the storefront cancelling the order (its token failed with
    // OrderCancelledError) is not retried but cancels the order, and a failure the payment
    // provider reported fails it.
    const awaitPayment = retryTransient(
      new LambdaInvoke(this, 'AwaitPayment', {
        lambdaFunction: fn(
          'AwaitPayment',
          'await-payment',
          'Keeps the callback token and emails payment instructions',
          { table: 'readWrite', mailer: true, bankDetails: true },
        ),
        integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload: TaskInput.fromObject({ orderId: JsonPath.stringAt('$.orderId'), taskToken: JsonPath.taskToken }),
        resultPath: JsonPath.DISCARD,
        // Set per order by whoever starts the execution, from what is left of the payment wait.
        taskTimeout: Timeout.at('$.paymentWaitSeconds'),
        retryOnServiceExceptions: false,
      }),
      {
        permanent: [
          ErrorName.PaymentFailed,
          ErrorName.OrderCancelledError,
          ErrorName.PaymentAlreadyReceivedError,
          ErrorName.ProvisioningImpossibleError,
        ],
        retryTimeout: false,
      },
    );

    const provisionMailbox = step(
      'ProvisionMailbox',
      'provision-mailbox',
      'Creates the mailbox on the mail platform',
      { table: 'readWrite', audit: true },
      [ErrorName.ProvisioningImpossibleError],
    ).addCatch(failOrder, toFailOrder);

    const completeOrder = step(
      'CompleteOrder',
      'complete-order',
      'Marks the order completed and files it',
      { table: 'readWrite', audit: true, documents: true },
      [ErrorName.ProvisioningImpossibleError],
    );
    // The mailbox is active: when completing keeps failing, the execution fails in CompleteOrder (no
    // Catch), an operator state the redrive resumes right there.

    const sendFirstAccess = step('SendFirstAccessEmail', 'send-first-access-email', 'Emails the first-access link', {
      table: 'readWrite',
      mailer: true,
      firstAccess: true,
    })
      // The mailbox is active and paid for: the order completes; the holder can ask for a new link.
      .addCatch(completeOrder, { resultPath: '$.firstAccessError' });

    const extendMailbox = step(
      'ExtendMailbox',
      'extend-mailbox',
      'Extends a renewed mailbox',
      { table: 'readWrite', audit: true, mailer: true },
      [ErrorName.ProvisioningImpossibleError],
    ).addCatch(failOrder, toFailOrder);

    // PEC on the holder's own domain: provision once the domain's MX records point at the provider.
    // Each check answers how long to wait before the next one (a backoff from minutes to a cap,
    // computed by the function from the previous wait it finds in `$.dns`); the wait is a callback
    // whose timeout is that interval, so `POST /mailboxes/{address}/dns-check` can end it early.
    // A round costs three transitions: CheckDomainDns, DomainReady, WaitForDns.
    const checkDomainDns = retryTransient(
      new LambdaInvoke(this, 'CheckDomainDns', {
        lambdaFunction: fn('CheckDomainDns', 'check-domain-dns', "Checks the holder's domain MX records", {
          table: 'readWrite',
          mailer: true,
          dns: true,
        }),
        // No payload: the function is given the whole state, the order id and the previous answer
        // (`dns.waitSeconds`) once there is one (a path to it would fail the first check).
        payloadResponseOnly: true,
        resultPath: '$.dns',
        taskTimeout: Timeout.duration(Duration.seconds(30)),
        retryOnServiceExceptions: false,
      }),
      { permanent: [ErrorName.DomainNotConfiguredError, ErrorName.ProvisioningImpossibleError], retryTimeout: true },
    ).addCatch(failOrder, toFailOrder);
    // The function failing before it kept the token is retried with a fresh token. The wait running
    // out (States.Timeout), a check asked for (the token used by dns-check: success) or asked for
    // while the last check ran (DnsCheckRequestedError) all lead to the next check.
    const waitForDns = retryTransient(
      new LambdaInvoke(this, 'WaitForDns', {
        lambdaFunction: fn('WaitForDns', 'await-domain-dns', 'Keeps the token of the wait for the next DNS check', {
          table: 'readWrite',
        }),
        integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload: TaskInput.fromObject({ orderId: JsonPath.stringAt('$.orderId'), taskToken: JsonPath.taskToken }),
        resultPath: JsonPath.DISCARD,
        taskTimeout: Timeout.at('$.dns.waitSeconds'),
        retryOnServiceExceptions: false,
      }),
      { permanent: [ErrorName.DnsCheckRequestedError, ErrorName.ProvisioningImpossibleError], retryTimeout: false },
    )
      .addCatch(checkDomainDns, {
        errors: [Errors.TIMEOUT, ErrorName.DnsCheckRequestedError],
        resultPath: JsonPath.DISCARD,
      })
      .addCatch(failOrder, toFailOrder);
    waitForDns.next(checkDomainDns);
    checkDomainDns.next(
      new Choice(this, 'DomainReady')
        .when(Condition.booleanEquals('$.dns.ready', true), provisionMailbox)
        .otherwise(waitForDns),
    );

    const routeOrderKind = new Choice(this, 'RouteOrderKind')
      .when(isRenewal, extendMailbox)
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
    awaitPayment
      .addCatch(cancelOrder, { errors: [Errors.TIMEOUT, ErrorName.OrderCancelledError], resultPath: '$.error' })
      // Paid while a retried wait was being set up: nothing to wait for, activation goes on.
      .addCatch(routeOrderKind, { errors: [ErrorName.PaymentAlreadyReceivedError], resultPath: JsonPath.DISCARD })
      .addCatch(failOrder, toFailOrder)
      .next(routeOrderKind);

    // A new card or PayPal order is confirmed to the holder as it is placed, before the charge. An
    // email that cannot go out does not hold the order back: once retried, the charge goes ahead.
    const sendOrderConfirmation = step(
      'SendOrderConfirmation',
      'send-order-confirmation',
      'Emails the confirmation of a new card or PayPal order',
      { table: 'readWrite', mailer: true },
    ).addCatch(chargePayment, { resultPath: '$.confirmationError' });
    sendOrderConfirmation.next(chargePayment);

    // Card and PayPal are charged at once (the domain's rule), a new order's after its confirmation;
    // the others wait for their credit (their payment instructions are their confirmation).
    const immediate = Condition.or(
      ...IMMEDIATE_PAYMENT_METHODS.map((method) => Condition.stringEquals('$.payment.method', method)),
    );
    const definition = new Choice(this, 'RoutePayment')
      // A reseller's order was paid from its credit as it was placed: nothing to charge or wait for.
      .when(Condition.stringEquals('$.payment.method', PREPAID_CREDIT), routeOrderKind)
      .when(Condition.and(immediate, Condition.not(isRenewal)), sendOrderConfirmation)
      .when(immediate, chargePayment)
      .otherwise(awaitPayment);

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      definitionBody: DefinitionBody.fromChainable(definition),
      stateMachineType: StateMachineType.STANDARD,
      timeout: props.maxPaymentWait.plus(props.dnsDeadline).plus(Duration.days(1)),
      tracingEnabled: true,
      logs: workflowLogs(this),
    });

    // Step Functions tells EventBridge how each execution ended, with its error: one that failed,
    // timed out or was aborted, other than in a designed end, is matched by this rule (its target,
    // the alarm topic, is added by OperationsAlarms), whatever the logging level or data settings.
    this.operatorEnds = new Rule(this, 'OperatorEnds', {
      description: 'Order executions that ended needing an operator (not a designed OrderFailed/OrderCancelled).',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [this.stateMachine.stateMachineArn],
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          error: [{ 'anything-but': [...CLOSED_AS_DESIGNED] }],
        },
      },
    });
    this.operatorStatesReached = new Metric({
      namespace: 'AWS/Events',
      metricName: 'TriggeredRules',
      dimensionsMap: { RuleName: this.operatorEnds.ruleName },
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
  }
}
