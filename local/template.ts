import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HANDLER_METADATA_KEY } from '../infra/constructs/pec-function.ts';
import { buildPecApp } from '../infra/pec-app.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where `cdk synth` writes the cloud assembly; the local runtime runs the bundles found there. */
export const DEFAULT_ASSEMBLY_DIR = path.join(root, 'cdk.out');

/*
 * Reads what the local runtime needs from the synthesized CDK templates, so that it runs exactly
 * what `cdk deploy` would deploy: the state machine definition, which handler file each function
 * runs, each function's environment, the table definition.
 */

type Resource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };
export type Template = { Resources: Record<string, Resource> };

export const LOCAL_REGION = 'eu-south-1';
export const LOCAL_ACCOUNT = '000000000000';
export const localFunctionArn = (logicalId: string) =>
  `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;

export interface SynthesizedApp {
  stateful: Template;
  stateless: Template;
}

/** The context `cdk synth` reads from cdk.json, so that what runs locally is synthesized as it deploys. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(root, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/** Synthesizes the CDK app in memory (no bundling, no cdk-nag: only the templates are needed). */
export function synthesizeApp(context: Record<string, unknown> = {}): SynthesizedApp {
  const { app } = buildPecApp({ skipBundling: true, nag: false, context: { ...cdkJsonContext(), ...context } });
  const assembly = app.synth();
  return {
    stateful: assembly.getStackByName('PecStateful').template as Template,
    stateless: assembly.getStackByName('PecStateless').template as Template,
  };
}

/** Replaces CloudFormation references with local values: function ARNs, pseudo parameters. */
function resolveIntrinsic(value: unknown, refs: (logicalId: string) => string): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const node = value as Record<string, unknown>;
    if (Array.isArray(node['Fn::Join'])) {
      const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
      return parts.map((part) => resolveIntrinsic(part, refs)).join(separator);
    }
    if (Array.isArray(node['Fn::GetAtt'])) {
      const [logicalId, attribute] = node['Fn::GetAtt'] as [string, string];
      if (attribute !== 'Arn') throw new Error(`Cannot resolve Fn::GetAtt ${logicalId}.${attribute} locally`);
      return refs(logicalId);
    }
    if (typeof node.Ref === 'string') {
      const pseudo: Record<string, string> = {
        'AWS::Partition': 'aws',
        'AWS::Region': LOCAL_REGION,
        'AWS::AccountId': LOCAL_ACCOUNT,
        'AWS::URLSuffix': 'amazonaws.com',
      };
      return pseudo[node.Ref] ?? refs(node.Ref);
    }
  }
  throw new Error(`Cannot resolve ${JSON.stringify(value)} locally`);
}

/**
 * Synthesizes the app as `cdk synth` does, bundles included, into `outdir` (by default `cdk.out`,
 * where `cdk synth` writes). Bundles already there for the same sources are reused (their asset hash
 * is computed from the sources, see infra/bundling.ts), so only a changed function is bundled again.
 */
export function synthesizeAssembly(outdir = DEFAULT_ASSEMBLY_DIR): string {
  const { app } = buildPecApp({ outdir, nag: false, context: cdkJsonContext() });
  const assembly = app.synth();
  pruneStaleBundles(
    outdir,
    assembly.stacks.map((stack) => `${stack.stackName}.assets.json`),
  );
  return outdir;
}

/**
 * Every change to the sources leaves a new bundle in the assembly and the old one behind: bundles
 * no manifest refers to any more, and untouched for an hour (a runtime started earlier may still
 * run them), are removed, so that `cdk.out` does not grow without end.
 */
function pruneStaleBundles(outdir: string, manifests: string[]): void {
  const referenced = new Set<string>();
  for (const manifest of manifests) {
    const { files } = JSON.parse(readFileSync(path.join(outdir, manifest), 'utf8')) as {
      files: Record<string, { source: { path: string } }>;
    };
    for (const file of Object.values(files)) referenced.add(file.source.path);
  }
  const anHourAgo = Date.now() - 3_600_000;
  for (const entry of readdirSync(outdir)) {
    if (!entry.startsWith('asset.') || referenced.has(entry)) continue;
    const dir = path.join(outdir, entry);
    if (statSync(dir).mtimeMs < anHourAgo) rmSync(dir, { recursive: true, force: true });
  }
}

/** Function logical id → the directory of its bundle, read from a cloud assembly on disk. */
export function bundlesOf(assemblyDir: string, stackName = 'PecStateless'): Map<string, string> {
  const read = (file: string) => JSON.parse(readFileSync(path.join(assemblyDir, file), 'utf8'));
  const template = read(`${stackName}.template.json`) as Template;
  const assets = read(`${stackName}.assets.json`) as { files: Record<string, { source: { path: string } }> };
  const bundles = new Map<string, string>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function' || !resource.Metadata?.[HANDLER_METADATA_KEY]) continue;
    const key = String((resource.Properties?.Code as { S3Key?: unknown } | undefined)?.S3Key ?? '');
    const asset = assets.files[key.replace(/\.zip$/, '')];
    const dir = asset && path.join(assemblyDir, asset.source.path);
    if (!dir || !existsSync(dir)) throw new Error(`The assembly in ${assemblyDir} has no bundle for ${logicalId}`);
    bundles.set(logicalId, dir);
  }
  return bundles;
}

export interface LocalFunction {
  logicalId: string;
  arn: string;
  /** File name under functions/handlers/. */
  handler: string;
  /** The template's `Handler`: module and export in the bundle (`index.handler`). */
  entryPoint: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** Literal environment variables; references to other resources are listed by name in `references`. */
  environment: Record<string, string>;
  references: string[];
}

/** Every Lambda function of the stateless stack, with the handler file it runs. */
export function functionsOf(template: Template): LocalFunction[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function' && resource.Metadata?.[HANDLER_METADATA_KEY])
    .map(([logicalId, resource]) => {
      const variables = ((resource.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables ??
        {}) as Record<string, unknown>;
      const environment: Record<string, string> = {};
      const references: string[] = [];
      for (const [name, value] of Object.entries(variables)) {
        if (typeof value === 'string') environment[name] = value;
        else references.push(name);
      }
      return {
        logicalId,
        arn: localFunctionArn(logicalId),
        handler: String(resource.Metadata?.[HANDLER_METADATA_KEY]),
        entryPoint: String(resource.Properties?.Handler ?? 'index.handler'),
        // Lambda's own defaults when the template leaves them out.
        timeoutSeconds: Number(resource.Properties?.Timeout ?? 3),
        memoryMb: Number(resource.Properties?.MemorySize ?? 128),
        environment,
        references,
      };
    });
}

/**
 * A workflow's definition (the state machine whose logical id starts with `construct`: the order
 * workflow by default, `RenewalSweep` for the sweep), with function ARNs resolved to local ones.
 */
export function stateMachineDefinitionOf(template: Template, construct = 'OrderFulfilment'): object {
  const machines = Object.entries(template.Resources)
    .filter(([id, r]) => r.Type === 'AWS::StepFunctions::StateMachine' && id.startsWith(construct))
    .map(([, r]) => r);
  if (machines.length !== 1) throw new Error(`Expected one ${construct} state machine, found ${machines.length}`);
  const definition = resolveIntrinsic(machines[0]?.Properties?.DefinitionString, (logicalId) => {
    if (template.Resources[logicalId]?.Type !== 'AWS::Lambda::Function') {
      throw new Error(`The workflow references ${logicalId}, which the local runtime cannot stand in for`);
    }
    return localFunctionArn(logicalId);
  });
  return JSON.parse(definition) as object;
}

/** The table resource of the stateful stack. */
export function tableOf(template: Template): { logicalId: string; properties: Record<string, unknown> } {
  const entry = Object.entries(template.Resources).find(
    ([, r]) => r.Type === 'AWS::DynamoDB::GlobalTable' || r.Type === 'AWS::DynamoDB::Table',
  );
  if (!entry) throw new Error('The stateful stack has no table');
  return { logicalId: entry[0], properties: entry[1].Properties ?? {} };
}

/** Task state name → the function it invokes (directly or through `lambda:invoke`), for every Task state. */
export function taskFunctions(definition: object, functions: LocalFunction[]): Record<string, LocalFunction> {
  const byArn = new Map(functions.map((fn) => [fn.arn, fn]));
  const result: Record<string, LocalFunction> = {};
  type States = Record<
    string,
    { Type: string; Resource?: string; Parameters?: Record<string, unknown>; ItemProcessor?: { States: States } }
  >;
  // The states of Map item processors too.
  const all = (states: States): [string, States[string]][] =>
    Object.entries(states).flatMap(([name, state]) => [
      [name, state] as [string, States[string]],
      ...(state.ItemProcessor ? all(state.ItemProcessor.States) : []),
    ]);
  for (const [name, state] of all((definition as { States: States }).States)) {
    if (state.Type !== 'Task') continue;
    const arn = String(
      state.Resource?.startsWith('arn:aws:states:::lambda:invoke') ? state.Parameters?.FunctionName : state.Resource,
    );
    const fn = byArn.get(arn);
    if (!fn) throw new Error(`Task state ${name} calls ${arn}, which is not one of the product's functions`);
    result[name] = fn;
  }
  return result;
}
