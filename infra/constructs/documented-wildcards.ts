import { type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { CfnPolicy } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';

/**
 * The wildcard permissions this product accepts, each with the reason it is needed. Every IAM
 * policy's wildcard findings (computed as cdk-nag's AwsSolutions-IAM5 computes them) are
 * acknowledged only when they match an entry here, so a new wildcard fails `cdk synth` until
 * someone writes down why it is needed.
 */
interface Documented {
  finding: RegExp;
  /** The statement's actions must all be among these (prefix match), for the finding to be accepted. */
  actions: string[];
  reason: string;
}

/** What CDK's `grantPut` on the audit prefix allows. */
const AUDIT_PUT_ACTIONS = [
  's3:PutObject',
  's3:PutObjectLegalHold',
  's3:PutObjectRetention',
  's3:PutObjectTagging',
  's3:PutObjectVersionTagging',
  's3:Abort',
];

const DOCUMENTED: Documented[] = [
  {
    finding: /^Resource::\*$/,
    actions: [
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'xray:GetSampling',
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ],
    reason: 'X-Ray trace upload (and, for the state machine, CloudWatch Logs delivery) accept only Resource "*".',
  },
  {
    finding: /^Resource::PecStateful:ExportsOutputFnGetAttTable[0-9A-F]+Arn[0-9A-F]+\/index\/\*$/,
    actions: ['dynamodb:'],
    reason: 'Queries may use any index of the product table (CDK grants table/index/*).',
  },
  {
    finding: /^Resource::PecStateful:ExportsOutputFnGetAttAuditBucket[0-9A-F]+Arn[0-9A-F]+\/(orders|documents)\/\*$/,
    actions: AUDIT_PUT_ACTIONS,
    reason:
      'Audit entries (orders/) and order documents (documents/) are new objects whose keys cannot be known in advance.',
  },
  {
    finding: /^Action::s3:Abort\*$/,
    actions: AUDIT_PUT_ACTIONS,
    reason: 'Part of the put grant on the audit prefix: lets an interrupted upload be aborted.',
  },
  {
    finding:
      /^Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:\{"Fn::Select":\[6,\{"Fn::Split":\[":",\{"Ref":"OrderFulfilmentStateMachine[A-F0-9]{8}"\}\]\}\]\}:\*$/,
    actions: ['states:DescribeExecution'],
    reason:
      "The order intake reads the status of the order workflow's executions (named after each order, so not known in advance) to restart one that ended with its order still waiting.",
  },
  {
    finding: /^Resource::<OrderFulfilment[A-Za-z0-9]+Function[A-F0-9]{8}\.Arn>:\*$/,
    actions: ['lambda:InvokeFunction'],
    reason: 'The order workflow may invoke any version of its own state functions.',
  },
];

/**
 * cdk-nag's AwsSolutions pack, which first acknowledges the documented wildcards of each policy. It
 * runs at validation time, when cross-stack references have their final form, so the findings it
 * acknowledges are exactly the ones the IAM5 rule reports.
 */
export class PecSolutionsChecks extends AwsSolutionsChecks {
  protected override checkResource(node: CfnResource): void {
    acknowledgeDocumentedWildcards(node);
    super.checkResource(node);
  }
}

function acknowledgeDocumentedWildcards(node: CfnResource): void {
  {
    if (!(node instanceof CfnPolicy)) return;
    const document = Stack.of(node).resolve(node.policyDocument) as { Statement?: Statement[] };
    for (const finding of wildcardFindings(document.Statement ?? [])) {
      const documented = DOCUMENTED.find((entry) => entry.finding.test(finding));
      if (documented)
        Validations.of(node).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason: documented.reason });
    }
  }
}

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: unknown;
}

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

function wildcardFindings(statements: Statement[]): string[] {
  const findings = new Set<string>();
  for (const statement of statements) {
    if (statement.Effect !== 'Allow') continue;
    for (const action of asArray(statement.Action)) if (action.includes('*')) findings.add(`Action::${action}`);
    for (const resource of asArray(statement.Resource)) {
      const flat = flattenCfnReference(resource);
      if (flat.includes('*')) findings.add(`Resource::${flat}`);
    }
  }
  return [...findings];
}
