import { App, type AppProps, Duration, Validations } from 'aws-cdk-lib';
import { PecSolutionsChecks } from './constructs/documented-wildcards.ts';
import { StatefulStack } from './stateful-stack.ts';
import { StatelessStack } from './stateless-stack.ts';

export interface PecAppOptions extends AppProps {
  /** Skip esbuild bundling (the local runtime and most tests only need the templates). */
  skipBundling?: boolean;
  /** Run cdk-nag's AwsSolutions checks at synthesis (default true). */
  nag?: boolean;
}

/**
 * The whole deployment: the stateful stack (table, bucket, SES identity) and the stateless one
 * (functions, workflow, API). Settings come from the CDK context (`cdk.json`, or `-c key=value`).
 */
export function buildPecApp(options: PecAppOptions = {}) {
  const { skipBundling, nag = true, ...appProps } = options;
  const app = new App({
    ...appProps,
    context: {
      // Keep the producer-protecting behaviour of cross-stack references explicitly.
      '@aws-cdk/core:defaultCrossStackReferences': 'strong',
      ...appProps.context,
      ...(skipBundling ? { 'aws:cdk:bundling-stacks': [] } : {}),
    },
  });
  if (nag) Validations.of(app).addPlugins(new PecSolutionsChecks(app));

  const setting = (key: string, fallback: string): string => {
    const value: unknown = app.node.tryGetContext(`pec:${key}`);
    return value === undefined ? fallback : String(value);
  };

  /** A duration: `pec:<name>Seconds` when given (short waits for local runs and tests), else `pec:<name><Unit>`. */
  const duration = (name: string, unit: 'Days' | 'Hours' | 'Minutes', fallback: number): Duration => {
    const seconds: unknown = app.node.tryGetContext(`pec:${name}Seconds`);
    if (seconds !== undefined) return Duration.seconds(Number(seconds));
    const amount = Number(setting(`${name}${unit}`, String(fallback)));
    return unit === 'Days'
      ? Duration.days(amount)
      : unit === 'Hours'
        ? Duration.hours(amount)
        : Duration.minutes(amount);
  };

  const stateful = new StatefulStack(app, 'PecStateful', {
    senderEmail: setting('senderEmail', 'noreply@example.com'),
  });
  const stateless = new StatelessStack(app, 'PecStateless', {
    stateful,
    settings: {
      passwordSetupUrl: setting('passwordSetupUrl', 'https://pec.example.com/primo-accesso'),
      paymentWait: duration('paymentWait', 'Days', 30),
      domainPec: {
        mxHosts: setting('mxHosts', 'mx1.pec.example.com,mx2.pec.example.com').split(','),
        dnsDeadline: duration('domainDnsDeadline', 'Days', 14),
        dnsPollInterval: duration('domainDnsPoll', 'Minutes', 15),
      },
      firstAccessTokenTtl: duration('firstAccessTokenTtl', 'Hours', 72),
      beneficiary: {
        name: setting('beneficiaryName', 'PEC Provisioning S.p.A.'),
        iban: setting('beneficiaryIban', 'IT60X0542811101000000123456'),
        postalAccount: setting('beneficiaryPostalAccount', '000012345678'),
      },
    },
  });
  return { app, stateful, stateless };
}
