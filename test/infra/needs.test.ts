import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DefinitionBody, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { beforeEach, describe, expect, it } from 'vitest';
import { type Needs, NeedsBinder } from '../../infra/constructs/needs.ts';
import { PecFunction } from '../../infra/constructs/pec-function.ts';
import type { ProductSettings } from '../../infra/product-settings.ts';
import { StatefulStack } from '../../infra/stateful-stack.ts';

/*
 * The binder on its own, in a stack of its own next to the product's stateful stack: what a need
 * grants, and what fails the synthesis (a handler that does not exist, a need nothing grants).
 */

const settings: ProductSettings & { passwordSetupUrl: string } = {
  passwordSetupUrl: 'https://pec.example/primo-accesso',
  paymentWait: Duration.days(30),
  authenticationWait: Duration.hours(1),
  firstAccessTokenTtl: Duration.hours(72),
  passwordResetTokenTtl: Duration.hours(1),
  domainPec: {
    mxHosts: ['mx1.pec.example'],
    dnsDeadline: Duration.days(14),
    dnsPoll: { first: Duration.minutes(5), max: Duration.hours(2) },
    hostedNameServers: ['ns1.pec.example'],
  },
  beneficiary: { name: 'PEC Provisioning S.p.A.', iban: 'IT60X0542811101000000123456' },
  payments: { sandbox: false },
  renewalLinks: { '*': 'https://shop.example/rinnovo?indirizzo={address}' },
};

let stack: Stack;
let binder: NeedsBinder;

beforeEach(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  binder = new NeedsBinder(new StatefulStack(app, 'Stateful', { senderEmail: 'noreply@pec.example' }), settings);
  stack = new Stack(app, 'Canary');
});

const someFunction = () => new PecFunction(stack, 'Fn', { handler: 'get-order', description: 'canary' });

describe('PecFunction', () => {
  it('fails the synthesis when its handler has no file under functions/handlers/', () => {
    expect(() => new PecFunction(stack, 'Ghost', { handler: 'no-such-handler', description: 'canary' })).toThrow(
      /Ghost runs the handler no-such-handler, but there is no .*functions\/handlers\/no-such-handler\.ts/,
    );
  });
});

describe('NeedsBinder', () => {
  it('grants a need and sets exactly the variables its code reads', () => {
    binder.bind(someFunction(), { table: 'read', bankDetails: true });

    const [fn] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    expect(Object.keys(fn?.Properties.Environment.Variables).sort()).toEqual([
      'NODE_OPTIONS',
      'PAYMENT_BENEFICIARY',
      'PAYMENT_IBAN',
      'POWERTOOLS_LOG_LEVEL',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
      'TABLE_NAME',
    ]);
  });

  it('fails the synthesis on a need nothing grants', () => {
    const fn = someFunction();
    expect(() => binder.bind(fn, { table: 'read', parking: true } as Needs)).toThrow(
      'Canary/Fn needs "parking", which nothing grants',
    );
  });

  it('fails the synthesis on a workflow need before the workflow exists (a state cannot depend on its own workflow)', () => {
    const fn = someFunction();
    expect(() => binder.bind(fn, { workflowStart: true })).toThrow(/needs workflowStart, but the order workflow/);
    expect(() => binder.bind(fn, { taskResponses: true })).toThrow(/needs taskResponses, but the order workflow/);
  });

  it('grants the workflow needs once given the workflow', () => {
    const workflow = new StateMachine(stack, 'Workflow', {
      definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'Nothing')),
    });
    binder.withWorkflow(workflow).bind(someFunction(), { workflowStart: true });

    const [fn] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    expect(fn?.Properties.Environment.Variables.ORDER_WORKFLOW_ARN).toEqual({
      Ref: expect.stringMatching(/^Workflow/),
    });
  });

  it('lets documentsRead see whether a document is there (HeadObject), and nothing more', () => {
    binder.bind(someFunction(), { documentsRead: true });

    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap(
      (policy) =>
        policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown; Condition?: unknown }[],
    );
    const s3 = statements.filter((statement) => String(statement.Action).startsWith('s3:'));
    expect(s3.map((statement) => statement.Action).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    const read = s3.find((statement) => statement.Action === 's3:GetObject');
    expect(JSON.stringify(read?.Resource)).toContain('/documents/*');
    // Without ListBucket a missing document would answer 403, not 404: only under the orders' documents.
    const list = s3.find((statement) => statement.Action === 's3:ListBucket');
    expect(list?.Condition).toEqual({ StringLike: { 's3:prefix': ['documents/orders/*'] } });
  });
});
