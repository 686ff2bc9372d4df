import type { CfnResource as CdkCfnResource, NestedStack, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

/**
 * Small readers over synthesized templates, shared by the infra tests: they turn CloudFormation
 * references and IAM documents into plain values a test can compare.
 */

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface PolicyStatement {
  Effect?: string;
  Action?: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
}

export interface StateDefinition {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  Retry?: {
    ErrorEquals: string[];
    MaxAttempts?: number;
    IntervalSeconds?: number;
    BackoffRate?: number;
    MaxDelaySeconds?: number;
    JitterStrategy?: string;
  }[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string | null }[];
  Parameters?: unknown;
  ResultPath?: string | null;
  Next?: string;
  /** A Choice state's branches, in order, and where it goes otherwise. */
  Choices?: { Next: string }[];
  Default?: string;
}

export interface StateMachineDefinition {
  TimeoutSeconds?: number;
  States: Record<string, StateDefinition>;
}

/** The template's resources of one type, by logical ID. */
export function resourcesOfType(template: Template, type: string): Record<string, CfnResource> {
  return template.findResources(type) as Record<string, CfnResource>;
}

/** The one resource of a type; fails when there is not exactly one. */
export function onlyResourceOfType(template: Template, type: string): [string, CfnResource] {
  const entries = Object.entries(resourcesOfType(template, type));
  if (entries.length !== 1) throw new Error(`expected exactly one ${type}, found ${entries.length}`);
  return entries[0] as [string, CfnResource];
}

/** The state machine of one workflow construct (`OrderFulfilment`, `RenewalSweep`), by its logical ID's prefix. */
export function stateMachineOf(
  template: Template,
  construct: 'OrderFulfilment' | 'RenewalSweep' | 'DomainCertification',
): [string, CfnResource] {
  const entries = Object.entries(resourcesOfType(template, 'AWS::StepFunctions::StateMachine')).filter(([id]) =>
    id.startsWith(construct),
  );
  if (entries.length !== 1) throw new Error(`expected exactly one ${construct} state machine, found ${entries.length}`);
  return entries[0] as [string, CfnResource];
}

export const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** The logical ID a `{ Ref }` or `{ Fn::GetAtt }` points at, if the value is one. */
export function referencedLogicalId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === 'string') return ref;
  const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

/** Every logical ID referenced (Ref or GetAtt) anywhere inside a value. */
export function referencedLogicalIds(value: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    const id = referencedLogicalId(node);
    if (id !== undefined) found.add(id);
    if (Array.isArray(node)) node.forEach(visit);
    else if (typeof node === 'object' && node !== null) Object.values(node).forEach(visit);
  };
  visit(value);
  return found;
}

/**
 * The state machine's definition as JSON. CDK renders it as an `Fn::Join` of string parts and
 * references: the partition becomes `aws`, any other reference a placeholder naming what it points at.
 */
export function stateMachineDefinition(stateMachine: CfnResource): StateMachineDefinition {
  const definition = stateMachine.Properties?.DefinitionString;
  if (typeof definition === 'string') return JSON.parse(definition) as StateMachineDefinition;
  const join = (definition as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) throw new Error('DefinitionString is neither a string nor an Fn::Join');
  const text = join[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      if (referencedLogicalId(part) === 'AWS::Partition') return 'aws';
      const id = referencedLogicalId(part);
      return id === undefined ? 'ARN' : `ARN(${id})`;
    })
    .join(join[0]);
  return JSON.parse(text) as StateMachineDefinition;
}

/** Function logical IDs a definition's states invoke (through the placeholders above). */
export function invokedLogicalIds(definition: StateMachineDefinition): Set<string> {
  const text = JSON.stringify(definition.States);
  return new Set([...text.matchAll(/ARN\(([A-Za-z0-9]+)\)/g)].map((match) => match[1] as string));
}

/** The Allow statements that apply to a role: its inline policies and every AWS::IAM::Policy attached to it. */
export function allowStatementsOfRole(template: Template, roleId: string): PolicyStatement[] {
  const documents: unknown[] = [];
  const role = resourcesOfType(template, 'AWS::IAM::Role')[roleId];
  for (const inline of asArray(role?.Properties?.Policies as { PolicyDocument: unknown }[] | undefined))
    documents.push(inline.PolicyDocument);
  for (const policy of Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))) {
    const roles = asArray(policy.Properties?.Roles as unknown[] | undefined).map(referencedLogicalId);
    if (roles.includes(roleId)) documents.push(policy.Properties?.PolicyDocument);
  }
  return documents
    .flatMap((document) => asArray((document as { Statement?: PolicyStatement[] }).Statement))
    .filter((statement) => statement.Effect === 'Allow');
}

/** Whether an IAM action pattern (`states:*`, `states:SendTask*`, `*`) covers an action. */
function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 'i');
  return regex.test(action);
}

const escapeRegExp = (text: string) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** Whether any of the statements allows the action (on any resource). */
function allowsAction(statements: PolicyStatement[], action: string): boolean {
  return statements.some((statement) => asArray(statement.Action).some((pattern) => actionMatches(pattern, action)));
}

/** The roles (logical IDs) of a template whose policies allow the action. */
export function rolesAllowing(template: Template, action: string): string[] {
  return Object.keys(resourcesOfType(template, 'AWS::IAM::Role'))
    .filter((roleId) => allowsAction(allowStatementsOfRole(template, roleId), action))
    .sort();
}

/**
 * A nested stack's template (`Template.fromStack(nested)`) with every `{ Ref: parameter }` that its
 * parent passes replaced by what the parent passes (a reference to one of the parent's resources):
 * so a test reads "this alarm is on that function of the parent" with the parent's logical IDs.
 */
export function nestedTemplateInParentTerms(parent: Stack, nested: NestedStack): Template {
  const parentTemplate = Template.fromStack(parent).toJSON() as { Resources: Record<string, CfnResource> };
  const stackResource = nested.nestedStackResource as CdkCfnResource | undefined;
  if (!stackResource) throw new Error(`${nested.node.path} is no nested stack of ${parent.node.path}`);
  const passed = (parentTemplate.Resources[parent.getLogicalId(stackResource)]?.Properties?.Parameters ?? {}) as Record<
    string,
    unknown
  >;
  const substitute = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(substitute);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [key, ref] = entries[0] ?? [];
    if (entries.length === 1 && key === 'Ref' && typeof ref === 'string' && ref in passed) return passed[ref];
    return Object.fromEntries(entries.map(([name, inner]) => [name, substitute(inner)]));
  };
  return Template.fromJSON(substitute(Template.fromStack(nested).toJSON()) as Record<string, unknown>);
}
