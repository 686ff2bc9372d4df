import { Stack } from 'aws-cdk-lib';
import { UsagePlan } from 'aws-cdk-lib/aws-apigateway';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { ProductSettings } from '../product-settings.ts';
import type { StatefulStack } from '../stateful-stack.ts';
import type { PecFunction } from './pec-function.ts';

/**
 * What a function needs, declared beside it: each route of `infra/api-routes.ts`, each state of the
 * order workflow, the renewal sweep. NeedsBinder grants each need (the permission and the variables
 * the code reads, together) and nothing else, so a function's environment is what its code requires.
 */
export interface Needs {
  /** The product table (TABLE_NAME). */
  table?: 'read' | 'readWrite';
  /** Writes audit entries under `orders/` of the audit bucket (AUDIT_BUCKET). */
  audit?: true;
  /** Files order documents under `documents/` of the same bucket (AUDIT_BUCKET). */
  documents?: true;
  /** Sees whether uploaded documents under `documents/` are there (HeadObject; AUDIT_BUCKET). */
  documentsRead?: true;
  /** Sends email from the product's SES identity, with its configuration set (SENDER_EMAIL, SES_CONFIGURATION_SET). */
  mailer?: true;
  /** Where transfers and slips are paid to, for the payment instructions (PAYMENT_BENEFICIARY, PAYMENT_IBAN, PAYMENT_POSTAL_ACCOUNT). */
  bankDetails?: true;
  /** The provider's mail exchangers, which a holder's own domain must point at (PEC_MX_HOSTS). */
  mxHosts?: true;
  /**
   * Checks a holder's own domain: its mail exchangers, the deadline and the poll's backoff
   * (PEC_MX_HOSTS, DNS_DEADLINE_SECONDS, DNS_POLL_FIRST_SECONDS, DNS_POLL_MAX_SECONDS).
   */
  dns?: true;
  /** First-access links (PASSWORD_SETUP_URL, ACCESS_TOKEN_TTL_SECONDS). */
  firstAccess?: true;
  /** Password-reset links (PASSWORD_SETUP_URL, RESET_TOKEN_TTL_SECONDS). */
  passwordReset?: true;
  /** How long a transfer or slip order waits for its credit (PAYMENT_WAIT_SECONDS). */
  paymentWait?: true;
  /** Starts the order workflow and reads its executions' status (ORDER_WORKFLOW_ARN). */
  workflowStart?: true;
  /** Resumes waiting executions of the order workflow (SendTaskSuccess, SendTaskFailure...). */
  taskResponses?: true;
  /** Ends waits of the order workflow early, as a success only (SendTaskSuccess). */
  taskSuccess?: true;
  /** Reads the order workflow's executions and redrives a failed one (ORDER_WORKFLOW_ARN; DescribeExecution, RedriveExecution). */
  workflowRedrive?: true;
  /** Reads the secret payment providers sign webhook deliveries with (PAYMENT_WEBHOOK_SECRET_ARN). */
  webhookSecret?: true;
  /**
   * Charges and refunds through Stripe: reads the Stripe secret key (STRIPE_SECRET_KEY_ARN), told
   * whether the stage is a sandbox (STRIPE_SANDBOX) and, in a sandbox, where Stripe is (STRIPE_API_URL).
   */
  stripe?: true;
  /** Reads the Stripe webhook endpoint's signing secret (STRIPE_WEBHOOK_SECRET_ARN). */
  stripeWebhookSecret?: true;
  /** The storefronts' renewal pages, for the emails that link to them (RENEWAL_LINKS, the `pec:renewalLinks` setting). */
  renewalLinks?: true;
  /** Reads the bank's statement files under `incoming/` and sets refused ones aside under `rejected/` (STATEMENTS_BUCKET). */
  statements?: true;
  /**
   * Creates reseller API keys on the resellers' usage plan (RESELLER_USAGE_PLAN_NAME; apigateway:GET
   * on `/usageplans` to find its id, apigateway:POST on `/apikeys` and `/usageplans/{id}/keys`).
   */
  resellerKeys?: true;
  /** The provider's name servers: a reseller's domain delegated only to them is certified free (HOSTED_NAME_SERVERS). */
  hostedNameServers?: true;
  /** Starts the reseller-domain certification workflow (DOMAIN_WORKFLOW_ARN; StartExecution). */
  domainWorkflowStart?: true;
  /** Ends the certification workflow's DNS wait early, as a success only (DOMAIN_WORKFLOW_ARN; SendTaskSuccess). */
  domainTaskSuccess?: true;
}

/** The name of the resellers' usage plan: `<stack>-resellers`, which the function looks its id up by. */
export const resellersUsagePlanName = (scope: Construct) => `${Stack.of(scope).stackName}-resellers`;

/**
 * The usage plan of the resellers' keys, one per stack: created by the first function that needs
 * to put keys on it; the API adds its stage to it (`StatelessStack`).
 */
export function resellersUsagePlan(scope: Construct): UsagePlan {
  const stack = Stack.of(scope);
  return (
    (stack.node.tryFindChild('ResellersUsagePlan') as UsagePlan | undefined) ??
    new UsagePlan(stack, 'ResellersUsagePlan', {
      name: resellersUsagePlanName(stack),
      description: 'The resellers approved by an operator: one key each, created at approval.',
      throttle: { rateLimit: 50, burstLimit: 100 },
    })
  );
}

/** The needs that refer to the order workflow: none of its own states may have them (it would depend on itself). */
type WorkflowNeed =
  | 'workflowStart'
  | 'taskResponses'
  | 'taskSuccess'
  | 'workflowRedrive'
  | 'domainWorkflowStart'
  | 'domainTaskSuccess';

/** What a state of the order workflow may need. */
export type StateNeeds = Omit<Needs, WorkflowNeed>;

/** The product settings with the password-setup page's URL decided (a literal, or the deployed API's own page). */
export type BoundSettings = ProductSettings & { passwordSetupUrl: string };

type Grant<N extends keyof Needs> = (fn: PecFunction, need: NonNullable<Needs[N]>) => void;

/**
 * The one place needs are granted: one grant per need, so a need without a grant does not compile,
 * and a need it does not know (or a workflow need before the workflow exists) fails the synthesis.
 */
export class NeedsBinder {
  private readonly grants: { [N in keyof Needs]-?: Grant<N> };

  constructor(
    private readonly stateful: StatefulStack,
    private readonly settings: BoundSettings,
    private readonly workflow?: IStateMachine,
    private readonly domainWorkflow?: IStateMachine,
  ) {
    const { table, auditBucket, paymentWebhookSecret, stripeSecretKey, stripeWebhookSecret } = stateful;
    const orderWorkflow = (fn: PecFunction, need: WorkflowNeed) => {
      if (!workflow) throw new Error(`${fn.node.path} needs ${need}, but the order workflow does not exist yet`);
      return workflow;
    };
    const certificationWorkflow = (fn: PecFunction, need: WorkflowNeed) => {
      if (!domainWorkflow) {
        throw new Error(`${fn.node.path} needs ${need}, but the domain certification workflow does not exist yet`);
      }
      return domainWorkflow;
    };
    this.grants = {
      table: (fn, access) => {
        if (access === 'read') table.grantReadData(fn);
        else table.grantReadWriteData(fn);
        fn.addEnvironment('TABLE_NAME', table.tableName);
      },
      audit: (fn) => {
        auditBucket.grantPut(fn, 'orders/*');
        fn.addEnvironment('AUDIT_BUCKET', auditBucket.bucketName);
      },
      resellerKeys: (fn) => {
        // By name, not by id: the plan names the API's stage, whose deployment includes this very
        // function's route, so a reference to the plan's id would be a circular dependency.
        const plan = resellersUsagePlan(fn);
        const { region, partition } = Stack.of(fn);
        fn.addEnvironment('RESELLER_USAGE_PLAN_NAME', resellersUsagePlanName(plan));
        fn.addToRolePolicy(
          new PolicyStatement({
            // The plan found by its name; an approval's key found by its name (GetApiKeys) before one is created.
            actions: ['apigateway:GET'],
            resources: [
              `arn:${partition}:apigateway:${region}::/usageplans`,
              `arn:${partition}:apigateway:${region}::/apikeys`,
            ],
          }),
        );
        fn.addToRolePolicy(
          new PolicyStatement({
            actions: ['apigateway:POST'],
            resources: [
              `arn:${partition}:apigateway:${region}::/apikeys`,
              `arn:${partition}:apigateway:${region}::/usageplans/*/keys`,
            ],
          }),
        );
      },
      documents: (fn) => {
        auditBucket.grantPut(fn, 'documents/*');
        fn.addEnvironment('AUDIT_BUCKET', auditBucket.bucketName);
      },
      documentsRead: (fn) => {
        // HeadObject needs s3:GetObject; without s3:ListBucket a missing key answers 403, not 404.
        fn.addToRolePolicy(
          new PolicyStatement({ actions: ['s3:GetObject'], resources: [auditBucket.arnForObjects('documents/*')] }),
        );
        fn.addToRolePolicy(
          new PolicyStatement({
            actions: ['s3:ListBucket'],
            resources: [auditBucket.bucketArn],
            conditions: { StringLike: { 's3:prefix': ['documents/orders/*'] } },
          }),
        );
        auditBucket.encryptionKey?.grantDecrypt(fn);
        fn.addEnvironment('AUDIT_BUCKET', auditBucket.bucketName);
      },
      mailer: (fn) => {
        const { configurationSetName } = stateful.configurationSet;
        const configurationSetArn = Stack.of(stateful).formatArn({
          service: 'ses',
          resource: 'configuration-set',
          resourceName: configurationSetName,
        });
        // SES authorises a send on the identity and on the configuration set it names.
        fn.addToRolePolicy(
          new PolicyStatement({
            actions: ['ses:SendEmail'],
            resources: [stateful.emailIdentity.emailIdentityArn, configurationSetArn],
          }),
        );
        fn.addEnvironment('SENDER_EMAIL', stateful.senderEmail);
        fn.addEnvironment('SES_CONFIGURATION_SET', configurationSetName);
      },
      bankDetails: (fn) => {
        const { name, iban, postalAccount } = settings.beneficiary;
        fn.addEnvironment('PAYMENT_BENEFICIARY', name);
        fn.addEnvironment('PAYMENT_IBAN', iban);
        if (postalAccount) fn.addEnvironment('PAYMENT_POSTAL_ACCOUNT', postalAccount);
      },
      mxHosts: (fn) => {
        fn.addEnvironment('PEC_MX_HOSTS', settings.domainPec.mxHosts.join(','));
      },
      dns: (fn) => {
        const { mxHosts, dnsDeadline, dnsPoll } = settings.domainPec;
        fn.addEnvironment('PEC_MX_HOSTS', mxHosts.join(','));
        fn.addEnvironment('DNS_DEADLINE_SECONDS', String(dnsDeadline.toSeconds()));
        fn.addEnvironment('DNS_POLL_FIRST_SECONDS', String(dnsPoll.first.toSeconds()));
        fn.addEnvironment('DNS_POLL_MAX_SECONDS', String(dnsPoll.max.toSeconds()));
      },
      firstAccess: (fn) => {
        fn.addEnvironment('PASSWORD_SETUP_URL', settings.passwordSetupUrl);
        fn.addEnvironment('ACCESS_TOKEN_TTL_SECONDS', String(settings.firstAccessTokenTtl.toSeconds()));
      },
      passwordReset: (fn) => {
        fn.addEnvironment('PASSWORD_SETUP_URL', settings.passwordSetupUrl);
        fn.addEnvironment('RESET_TOKEN_TTL_SECONDS', String(settings.passwordResetTokenTtl.toSeconds()));
      },
      paymentWait: (fn) => {
        fn.addEnvironment('PAYMENT_WAIT_SECONDS', String(settings.paymentWait.toSeconds()));
      },
      workflowStart: (fn) => {
        const stateMachine = orderWorkflow(fn, 'workflowStart');
        stateMachine.grantStartExecution(fn);
        // To restart an order whose run ended with the order still waiting.
        stateMachine.grantExecution(fn, 'states:DescribeExecution');
        fn.addEnvironment('ORDER_WORKFLOW_ARN', stateMachine.stateMachineArn);
      },
      taskResponses: (fn) => {
        orderWorkflow(fn, 'taskResponses').grantTaskResponse(fn);
      },
      taskSuccess: (fn) => {
        orderWorkflow(fn, 'taskSuccess').grant(fn, 'states:SendTaskSuccess');
      },
      workflowRedrive: (fn) => {
        const stateMachine = orderWorkflow(fn, 'workflowRedrive');
        // On the machine's executions only: which ran for an order, and the redrive of a failed one.
        stateMachine.grantExecution(fn, 'states:DescribeExecution', 'states:RedriveExecution');
        fn.addEnvironment('ORDER_WORKFLOW_ARN', stateMachine.stateMachineArn);
      },
      webhookSecret: (fn) => {
        paymentWebhookSecret.grantRead(fn);
        fn.addEnvironment('PAYMENT_WEBHOOK_SECRET_ARN', paymentWebhookSecret.secretArn);
      },
      stripe: (fn) => {
        stripeSecretKey.grantRead(fn);
        fn.addEnvironment('STRIPE_SECRET_KEY_ARN', stripeSecretKey.secretArn);
        fn.addEnvironment('STRIPE_SANDBOX', String(settings.payments.sandbox));
        if (settings.payments.stripeApiUrl) fn.addEnvironment('STRIPE_API_URL', settings.payments.stripeApiUrl);
      },
      stripeWebhookSecret: (fn) => {
        stripeWebhookSecret.grantRead(fn);
        fn.addEnvironment('STRIPE_WEBHOOK_SECRET_ARN', stripeWebhookSecret.secretArn);
      },
      renewalLinks: (fn) => {
        fn.addEnvironment('RENEWAL_LINKS', JSON.stringify(settings.renewalLinks));
      },
      hostedNameServers: (fn) => {
        fn.addEnvironment('HOSTED_NAME_SERVERS', settings.domainPec.hostedNameServers.join(','));
      },
      domainWorkflowStart: (fn) => {
        const stateMachine = certificationWorkflow(fn, 'domainWorkflowStart');
        stateMachine.grantStartExecution(fn);
        fn.addEnvironment('DOMAIN_WORKFLOW_ARN', stateMachine.stateMachineArn);
      },
      domainTaskSuccess: (fn) => {
        const stateMachine = certificationWorkflow(fn, 'domainTaskSuccess');
        stateMachine.grant(fn, 'states:SendTaskSuccess');
        fn.addEnvironment('DOMAIN_WORKFLOW_ARN', stateMachine.stateMachineArn);
      },
      statements: (fn) => {
        const bucket = stateful.statementsBucket;
        // Exactly the two calls the code makes: GetObject of a new file, and the copy of a refused
        // one (GetObject of its source, PutObject of the copy and of its problems).
        fn.addToRolePolicy(
          new PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects('incoming/*')] }),
        );
        fn.addToRolePolicy(
          new PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects('rejected/*')] }),
        );
        fn.addEnvironment('STATEMENTS_BUCKET', bucket.bucketName);
      },
    };
  }

  /** The same binder, which can also grant the needs that refer to the order workflow. */
  withWorkflow(stateMachine: IStateMachine): NeedsBinder {
    return new NeedsBinder(this.stateful, this.settings, stateMachine, this.domainWorkflow);
  }

  /** The same binder, which can also grant the needs that refer to the domain certification workflow. */
  withDomainWorkflow(stateMachine: IStateMachine): NeedsBinder {
    return new NeedsBinder(this.stateful, this.settings, this.workflow, stateMachine);
  }

  /** Grants a function each of its needs. */
  bind<F extends PecFunction>(fn: F, needs: Needs): F {
    for (const [need, value] of Object.entries(needs)) {
      if (value === undefined) continue;
      if (!Object.hasOwn(this.grants, need)) throw new Error(`${fn.node.path} needs "${need}", which nothing grants`);
      (this.grants[need as keyof Needs] as Grant<keyof Needs>)(fn, value as never);
    }
    return fn;
  }
}
