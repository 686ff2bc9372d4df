import type { TestProject } from 'vitest/node';
import { synthesizeAssembly } from '../../local/template.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The cloud assembly (with its bundles) every local runtime of this test run executes. */
    assemblyDir: string;
  }
}

/**
 * Once per test run, before any test file: synthesizes the app as `cdk synth` does, bundles
 * included, so every local runtime of the run executes the same deployable bundles without
 * synthesizing them again.
 */
export default function setup(project: TestProject) {
  const started = performance.now();
  project.provide('assemblyDir', synthesizeAssembly());
  console.log(`Synthesized the cloud assembly with its bundles in ${Math.round(performance.now() - started)} ms`);
}
