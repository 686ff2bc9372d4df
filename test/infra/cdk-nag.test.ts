import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, NestedStack, Stack, Validations } from 'aws-cdk-lib';
import { CfnPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PecSolutionsChecks } from '../../infra/constructs/documented-wildcards.ts';
import { buildPecApp } from '../../infra/pec-app.ts';

/** What CDK writes to `validation-report.json` in the cloud assembly after the validation plugins ran. */
interface ValidationReport {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: { ruleName: string; severity?: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

interface Acknowledgement {
  path: string;
  id: string;
  reason: unknown;
}

const outdirs: string[] = [];
const freshOutdir = () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'pec-infra-nag-'));
  outdirs.push(outdir);
  return outdir;
};

/** Every `Validations.of(x).acknowledge(...)` in the tree: CDK records each as construct metadata. */
const acknowledgementsIn = (root: IConstruct): Acknowledgement[] =>
  root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );

let app: App;
let synthError: unknown;
let report: ValidationReport;
let acknowledgements: Acknowledgement[];

beforeAll(() => {
  // nag defaults to true: the AwsSolutions pack runs as a CDK validation plugin during synth, and an
  // unacknowledged error makes app.synth() throw (with the report) after writing validation-report.json.
  const outdir = freshOutdir();
  ({ app } = buildPecApp({ skipBundling: true, outdir }));
  try {
    app.synth();
  } catch (error) {
    synthError = error;
  }
  // CDK writes no report when no plugin had anything to say.
  const reportFile = path.join(outdir, 'validation-report.json');
  report = existsSync(reportFile)
    ? (JSON.parse(readFileSync(reportFile, 'utf8')) as ValidationReport)
    : { pluginReports: [] };
  acknowledgements = acknowledgementsIn(app);
});

afterAll(() => {
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

describe('cdk-nag AwsSolutions checks', () => {
  it('let the app synthesize', () => {
    expect(synthError === undefined ? '' : String(synthError)).toBe('');
  });

  it('report no unacknowledged error', () => {
    const errors = report.pluginReports
      .filter((plugin) => plugin.pluginName.startsWith('AwsSolutions'))
      .flatMap((plugin) => plugin.violations)
      .filter((violation) => violation.severity === 'error')
      .flatMap((violation) => violation.violatingConstructs.map((c) => `${violation.ruleName} at ${c.constructPath}`));
    expect(errors).toEqual([]);
  });

  it('actually ran over the app: it acknowledged the documented wildcards of every IAM policy (X-Ray at least)', () => {
    // Every policy but the schedule's (it only starts the sweep workflow and writes its DLQ: no wildcard).
    const policies = app.node
      .findAll()
      .filter((construct) => construct instanceof CfnPolicy && !construct.node.path.includes('SchedulerRoleForTarget'));
    const acknowledged = new Set(
      acknowledgements.filter((ack) => ack.id.includes('AwsSolutions-IAM5[')).map((ack) => ack.path),
    );
    expect([...acknowledged].sort()).toEqual(policies.map((policy) => policy.node.path).sort());
  });

  it('are acknowledged for exactly these rules, each with a written reason of at least 20 characters', () => {
    expect(new Set(acknowledgements.map((ack) => ack.id.replace(/^Annotation::/, '').replace(/\[.*$/, '')))).toEqual(
      new Set([
        'AwsSolutions-APIG4',
        'AwsSolutions-COG4',
        'AwsSolutions-IAM4',
        'AwsSolutions-IAM5',
        'AwsSolutions-S1',
        'AwsSolutions-SMG4',
        // The renewal sweep schedule's dead-letter queue has none of its own.
        'AwsSolutions-SQS3',
        // CDK's own, for the access-log bucket's ACL.
        'CloudFormation-Validate::W3045',
      ]),
    );
    const unexplained = acknowledgements
      .filter((ack) => typeof ack.reason !== 'string' || ack.reason.trim().length < 20)
      .map((ack) => `${ack.id} at ${ack.path}: ${JSON.stringify(ack.reason)}`);
    expect(unexplained).toEqual([]);
  });

  it('fail synthesis on an IAM wildcard nobody documented', () => {
    const app = new App({ outdir: freshOutdir() });
    Validations.of(app).addPlugins(new PecSolutionsChecks(app));
    const stack = new Stack(app, 'Canary');
    const role = new Role(stack, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::some-bucket/*'] }));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::arn:aws:s3:::some-bucket\/\*\]/);
  });

  it('check the resources of nested stacks too (the operations stack is one)', () => {
    const app = new App({ outdir: freshOutdir() });
    Validations.of(app).addPlugins(new PecSolutionsChecks(app));
    const nested = new NestedStack(new Stack(app, 'Canary'), 'Nested');
    const role = new Role(nested, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::some-bucket/*'] }));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::arn:aws:s3:::some-bucket\/\*\]/);
  });
});
