import { type CfnResource, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, rules } from 'cdk-nag';

/**
 * The wildcard permissions this product accepts, each with the reason it is needed. Every IAM
 * policy's wildcard findings (cdk-nag's own AwsSolutions-IAM5 rule computes them) are acknowledged
 * only when they match an entry here, so a new wildcard fails `cdk synth` until someone writes down
 * why it is needed.
 */
interface Documented {
  finding: RegExp;
  reason: string;
}

const DOCUMENTED: Documented[] = [
  {
    finding: /^Resource::\*$/,
    reason: 'X-Ray trace upload (and, for the state machine, CloudWatch Logs delivery) accept only Resource "*".',
  },
  {
    finding: /^Resource::PecStateful:ExportsOutputFnGetAttTable[0-9A-F]+Arn[0-9A-F]+\/index\/\*$/,
    reason: 'Queries may use any index of the product table (CDK grants table/index/*).',
  },
  {
    finding: /^Resource::PecStateful:ExportsOutputFnGetAttAuditBucket[0-9A-F]+Arn[0-9A-F]+\/(orders|documents)\/\*$/,
    reason:
      'Audit entries (orders/) and order documents (documents/) are new objects whose keys cannot be known in advance.',
  },
  {
    finding:
      /^Resource::PecStateful:ExportsOutputFnGetAttStatementsBucket[0-9A-F]+Arn[0-9A-F]+\/(incoming|rejected)\/\*$/,
    reason:
      'Bank statement files arrive under incoming/ with names the bank chooses; refused ones are copied under rejected/ with the same names.',
  },
  {
    finding: /^Action::s3:Abort\*$/,
    reason: 'Part of the put grant on the audit prefix: lets an interrupted upload be aborted.',
  },
  {
    finding:
      /^Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:\{"Fn::Select":\[6,\{"Fn::Split":\[":",\{"Ref":"OrderFulfilmentStateMachine[A-F0-9]{8}"\}\]\}\]\}:\*$/,
    reason:
      "The order intake reads the status of the order workflow's executions (named after each order, so not known in advance) to restart one that ended with its order still waiting.",
  },
  {
    finding: /^Resource::<OrderFulfilment[A-Za-z0-9]+Function[A-F0-9]{8}\.Arn>:\*$/,
    reason: 'The order workflow may invoke any version of its own state functions.',
  },
  {
    finding: /^Resource::<RenewalSweep[A-Za-z0-9]+Function[A-F0-9]{8}\.Arn>:\*$/,
    reason: 'The renewal sweep workflow may invoke any version of its own state functions.',
  },
  {
    finding: /^Resource::<DomainCertification[A-Za-z0-9]+Function[A-F0-9]{8}\.Arn>:\*$/,
    reason: 'The domain certification workflow may invoke any version of its own state functions.',
  },
  {
    finding: /^Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::\/usageplans\/\*\/keys$/,
    reason:
      "The approval of a reseller puts its new key on the resellers' usage plan, found by name at run time: its id cannot be referenced (the plan names the API stage whose deployment includes the approval's own route, a cycle).",
  },
];

/**
 * cdk-nag's AwsSolutions pack, which first acknowledges the documented wildcards of each resource.
 * It runs at validation time, when cross-stack references have their final form, and asks the IAM5
 * rule itself for the findings, so what it acknowledges is exactly what that rule reports.
 */
export class PecSolutionsChecks extends AwsSolutionsChecks {
  protected override checkResource(node: CfnResource): void {
    const findings = rules.iam.IAMNoWildcardPermissions(node);
    for (const finding of Array.isArray(findings) ? findings : []) {
      const documented = DOCUMENTED.find((entry) => entry.finding.test(finding));
      if (documented)
        Validations.of(node).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason: documented.reason });
    }
    super.checkResource(node);
  }
}
