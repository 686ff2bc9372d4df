import { beforeAll, describe, expect, it } from 'vitest';
import * as errors from '../../functions/domain/errors.ts';
import { ErrorName, PecError } from '../../functions/domain/errors.ts';
import { bundleSource, handlerEntry } from '../../infra/bundling.ts';
import {
  functionsOf,
  type LocalFunction,
  stateMachineDefinitionOf,
  synthesizeApp,
  taskFunctions,
} from '../../local/template.ts';
import { deployedEnvironment, importInWorker } from '../support/bundle-worker.ts';

/*
 * Error names are the contract between the functions and the state machine: Lambda reports a thrown
 * error's `name`, and Retry and Catch match on it. Each state's handler is bundled exactly as deployed
 * (minified), together with the error module it throws from, loaded with its own environment, and
 * every error class in that bundle must still carry its literal name.
 */

/** Every error class of the hierarchy, by its export name (which is its class name in the sources). */
const ERROR_CLASSES = Object.entries(errors).filter(
  ([, value]) => typeof value === 'function' && value.prototype instanceof PecError,
);

/** A state's bundle: its handler, plus the name of an instance of every error class, as the bundle sees it. */
const probe = (handler: string) => `
export { handler } from ${JSON.stringify(handlerEntry(handler))};
import * as errors from './functions/domain/errors.ts';
export const errorNames = Object.fromEntries(
  ${JSON.stringify(ERROR_CLASSES.map(([name]) => name))}.map((name) => [name, new errors[name]('probe', 'probe').name]),
);`;

type Definition = {
  States: Record<string, { Type: string; Retry?: { ErrorEquals: string[] }[]; Catch?: { ErrorEquals: string[] }[] }>;
};
let definition: Definition;
const namesByState = new Map<string, Record<string, unknown>>();

beforeAll(async () => {
  const { stateless } = synthesizeApp();
  definition = stateMachineDefinitionOf(stateless) as Definition;
  const byState = taskFunctions(definition, functionsOf(stateless));
  const byHandler = new Map<string, Promise<Record<string, unknown>>>();
  const check = async (fn: LocalFunction) => {
    const [outcome] = await importInWorker(await bundleSource(probe(fn.handler)), [deployedEnvironment(fn)]);
    if (!outcome?.loaded) throw new Error(`${fn.handler} did not load: ${outcome?.error}`);
    return outcome.data.errorNames as Record<string, unknown>;
  };
  for (const [state, fn] of Object.entries(byState)) {
    if (!byHandler.has(fn.handler)) byHandler.set(fn.handler, check(fn));
    namesByState.set(state, await (byHandler.get(fn.handler) as Promise<Record<string, unknown>>));
  }
});

describe('error names', () => {
  it('every error class is declared in ErrorName under its own name, and every ErrorName but PaymentFailed is a class', () => {
    const classNames = ERROR_CLASSES.map(([name]) => name);
    expect([...classNames, ErrorName.PaymentFailed].sort()).toEqual(Object.values(ErrorName).sort());
    for (const [name, value] of Object.entries(ErrorName)) expect(value).toBe(name);
  });

  it('every Task state of the workflow was bundled and checked', () => {
    const tasks = Object.entries(definition.States).filter(([, state]) => state.Type === 'Task');
    expect([...namesByState.keys()].sort()).toEqual(tasks.map(([name]) => name).sort());
  });

  it("in every state's minified bundle, every error keeps its literal name", () => {
    for (const [state, names] of namesByState) {
      expect(names, state).toEqual(Object.fromEntries(ERROR_CLASSES.map(([name]) => [name, name])));
    }
  });

  it('every error name a Retry or Catch matches is a Step Functions name or a declared one', () => {
    const matched = Object.values(definition.States).flatMap((state) =>
      [...(state.Retry ?? []), ...(state.Catch ?? [])].flatMap((clause) => clause.ErrorEquals),
    );
    const declared = new Set<string>(Object.values(ErrorName));
    const known = (name: string) =>
      declared.has(name) || name.startsWith('States.') || name.startsWith('Lambda.') || name === 'Sandbox.Timedout';
    expect(matched.filter((name) => !known(name))).toEqual([]);
    // The workflow branches on these names of ours, besides Step Functions' own.
    expect(new Set(matched.filter((name) => declared.has(name)))).toEqual(
      new Set([
        ErrorName.PaymentDeclinedError,
        ErrorName.PaymentFailed,
        ErrorName.OrderCancelledError,
        ErrorName.PaymentAlreadyReceivedError,
        ErrorName.PaymentRequiresActionError,
        ErrorName.ProvisioningImpossibleError,
        ErrorName.DomainNotConfiguredError,
        ErrorName.DnsCheckRequestedError,
      ]),
    );
  });
});
