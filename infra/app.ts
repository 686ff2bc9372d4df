import { buildPecApp } from './pec-app.ts';

/** `cdk synth` / `cdk deploy` entry point. */
buildPecApp().app.synth();
