import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
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
  /** Sends email from the product's SES identity (SENDER_EMAIL). */
  mailer?: true;
  /** Where transfers and slips are paid to, for the payment instructions (PAYMENT_BENEFICIARY, PAYMENT_IBAN, PAYMENT_POSTAL_ACCOUNT). */
  bankDetails?: true;
  /** PEC on the holder's own domain: the provider's mail exchangers and the deadline (PEC_MX_HOSTS, DNS_DEADLINE_SECONDS). */
  dns?: true;
  /** First-access links (PASSWORD_SETUP_URL, ACCESS_TOKEN_TTL_SECONDS). */
  firstAccess?: true;
  /** How long a transfer or slip order waits for its credit (PAYMENT_WAIT_SECONDS). */
  paymentWait?: true;
  /** Starts the order workflow and reads its executions' status (ORDER_WORKFLOW_ARN). */
  workflowStart?: true;
  /** Resumes waiting executions of the order workflow (SendTaskSuccess, SendTaskFailure...). */
  taskResponses?: true;
  /** Reads the secret payment providers sign webhook deliveries with (PAYMENT_WEBHOOK_SECRET_ARN). */
  webhookSecret?: true;
  /** Reads the bank's statement files under `incoming/` and sets refused ones aside under `rejected/` (STATEMENTS_BUCKET). */
  statements?: true;
}

/** The needs that refer to the order workflow: none of its own states may have them (it would depend on itself). */
type WorkflowNeed = 'workflowStart' | 'taskResponses';

/** What a state of the order workflow may need. */
export type StateNeeds = Omit<Needs, WorkflowNeed>;

type Grant<N extends keyof Needs> = (fn: PecFunction, need: NonNullable<Needs[N]>) => void;

/**
 * The one place needs are granted: one grant per need, so a need without a grant does not compile,
 * and a need it does not know (or a workflow need before the workflow exists) fails the synthesis.
 */
export class NeedsBinder {
  private readonly grants: { [N in keyof Needs]-?: Grant<N> };

  constructor(
    private readonly stateful: StatefulStack,
    private readonly settings: ProductSettings,
    workflow?: IStateMachine,
  ) {
    const { table, auditBucket, paymentWebhookSecret } = stateful;
    const orderWorkflow = (fn: PecFunction, need: WorkflowNeed) => {
      if (!workflow) throw new Error(`${fn.node.path} needs ${need}, but the order workflow does not exist yet`);
      return workflow;
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
      documents: (fn) => {
        auditBucket.grantPut(fn, 'documents/*');
        fn.addEnvironment('AUDIT_BUCKET', auditBucket.bucketName);
      },
      mailer: (fn) => {
        fn.addToRolePolicy(
          new PolicyStatement({ actions: ['ses:SendEmail'], resources: [stateful.emailIdentity.emailIdentityArn] }),
        );
        fn.addEnvironment('SENDER_EMAIL', stateful.senderEmail);
      },
      bankDetails: (fn) => {
        const { name, iban, postalAccount } = settings.beneficiary;
        fn.addEnvironment('PAYMENT_BENEFICIARY', name);
        fn.addEnvironment('PAYMENT_IBAN', iban);
        if (postalAccount) fn.addEnvironment('PAYMENT_POSTAL_ACCOUNT', postalAccount);
      },
      dns: (fn) => {
        fn.addEnvironment('PEC_MX_HOSTS', settings.domainPec.mxHosts.join(','));
        fn.addEnvironment('DNS_DEADLINE_SECONDS', String(settings.domainPec.dnsDeadline.toSeconds()));
      },
      firstAccess: (fn) => {
        fn.addEnvironment('PASSWORD_SETUP_URL', settings.passwordSetupUrl);
        fn.addEnvironment('ACCESS_TOKEN_TTL_SECONDS', String(settings.firstAccessTokenTtl.toSeconds()));
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
      webhookSecret: (fn) => {
        paymentWebhookSecret.grantRead(fn);
        fn.addEnvironment('PAYMENT_WEBHOOK_SECRET_ARN', paymentWebhookSecret.secretArn);
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
    return new NeedsBinder(this.stateful, this.settings, stateMachine);
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
