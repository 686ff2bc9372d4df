import { Duration } from 'aws-cdk-lib';
import {
  Choice,
  Condition,
  DefinitionBody,
  Errors,
  IntegrationPattern,
  JsonPath,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ErrorName } from '../functions/domain/errors.ts';
import type { NeedsBinder } from '../infra/constructs/needs.ts';
import { PecFunction } from '../infra/constructs/pec-function.ts';
import { retryTransient } from './order-fulfilment.ts';
import { workflowLogs } from './workflow-logs.ts';

export interface DomainCertificationProps {
  /** Longest a reseller's domain is waited for (the own-domain PEC deadline, `pec:domainDnsDeadlineDays`). */
  dnsDeadline: Duration;
  /** Grants each state's function what it needs. */
  binder: NeedsBinder;
}

/**
 * The background wait of a reseller's pending domain for its MX records (Step Functions Standard),
 * started by `POST /reseller/domains` and named after the domain:
 *
 *   CheckResellerDomain ─ certified ─▶ DomainCertified
 *        ▲          └─ not yet ─▶ WaitForDomainDns (task token, timeout = the backoff)
 *        └────────────────────────────────┘
 *
 * The same DNS wait as own-domain PEC's CheckDomainDns ⇄ WaitForDns in the order workflow (kept apart
 * because that one is an order's: its states load, fail and close an order): each check answers the
 * next wait, from minutes doubling to a cap (`nextDnsPollSeconds`), bounded by the deadline; the
 * wait is a callback whose token is kept on the domain, so `POST /reseller/domains/{domain}/dns-check`
 * ends it early. Past the deadline the execution ends in DnsDeadlinePassed (succeeded, so no alarm): the domain stays pending
 * (paid for its year), and the check-now route still certifies it.
 */
export class DomainCertification extends Construct {
  readonly stateMachine: StateMachine;
  readonly functions: Record<'CheckResellerDomain' | 'WaitForDomainDns', PecFunction>;

  constructor(scope: Construct, id: string, props: DomainCertificationProps) {
    super(scope, id);
    const checkFunction = props.binder.bind(
      new PecFunction(this, 'CheckResellerDomainFunction', {
        handler: 'check-pending-domain',
        description: "Checks a reseller's pending domain MX records, certifying it when they point at the provider",
      }),
      { table: 'readWrite', dns: true },
    );
    const waitFunction = props.binder.bind(
      new PecFunction(this, 'WaitForDomainDnsFunction', {
        handler: 'await-pending-domain',
        description: "Keeps the token of the wait for the next check of a reseller's domain",
      }),
      { table: 'readWrite' },
    );
    this.functions = { CheckResellerDomain: checkFunction, WaitForDomainDns: waitFunction };

    // A designed end, not a failure: the domain stays pending and the check-now route can still
    // certify it, so it must not trip the alarm on failed runs of this workflow.
    const deadlinePassed = new Succeed(this, 'DnsDeadlinePassed', {
      comment: "The domain's MX records did not point at the provider by the deadline; it stays pending.",
    });
    const check = retryTransient(
      new LambdaInvoke(this, 'CheckResellerDomain', {
        lambdaFunction: checkFunction,
        // The whole state: the domain and, after the first check, the previous answer (`dns.waitSeconds`).
        payloadResponseOnly: true,
        resultPath: '$.dns',
        taskTimeout: Timeout.duration(Duration.seconds(30)),
        retryOnServiceExceptions: false,
      }),
      { permanent: [ErrorName.DomainNotConfiguredError], retryTimeout: true },
    ).addCatch(deadlinePassed, { errors: [ErrorName.DomainNotConfiguredError], resultPath: '$.error' });
    // The wait running out, a check asked for (the token used by dns-check) or asked for while the
    // last check ran (DnsCheckRequestedError) all lead to the next check.
    const wait = retryTransient(
      new LambdaInvoke(this, 'WaitForDomainDns', {
        lambdaFunction: waitFunction,
        integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload: TaskInput.fromObject({ domain: JsonPath.stringAt('$.domain'), taskToken: JsonPath.taskToken }),
        resultPath: JsonPath.DISCARD,
        taskTimeout: Timeout.at('$.dns.waitSeconds'),
        retryOnServiceExceptions: false,
      }),
      { permanent: [ErrorName.DnsCheckRequestedError], retryTimeout: false },
    ).addCatch(check, { errors: [Errors.TIMEOUT, ErrorName.DnsCheckRequestedError], resultPath: JsonPath.DISCARD });
    wait.next(check);
    check.next(
      new Choice(this, 'DomainReady')
        .when(Condition.booleanEquals('$.dns.ready', true), new Succeed(this, 'DomainCertified'))
        .otherwise(wait),
    );

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      definitionBody: DefinitionBody.fromChainable(check),
      stateMachineType: StateMachineType.STANDARD,
      timeout: props.dnsDeadline.plus(Duration.days(1)),
      tracingEnabled: true,
      logs: workflowLogs(this),
    });
  }
}
