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

  const stateful = new StatefulStack(app, 'PecStateful', {
    senderEmail: setting('senderEmail', 'noreply@example.com'),
  });
  const stateless = new StatelessStack(app, 'PecStateless', {
    stateful,
    settings: {
      passwordSetupUrl: setting('passwordSetupUrl', 'https://pec.example.com/primo-accesso'),
      paymentWait: Duration.days(Number(setting('paymentWaitDays', '30'))),
      domainPec: {
        mxHosts: setting('mxHosts', 'mx1.pec.example.com,mx2.pec.example.com').split(','),
        dnsDeadline: Duration.days(Number(setting('domainDnsDeadlineDays', '14'))),
        dnsPollInterval: Duration.minutes(Number(setting('domainDnsPollMinutes', '15'))),
      },
      firstAccessTokenTtl: Duration.hours(Number(setting('firstAccessTokenTtlHours', '72'))),
      beneficiary: {
        name: setting('beneficiaryName', 'PEC Provisioning S.p.A.'),
        iban: setting('beneficiaryIban', 'IT60X0542811101000000123456'),
        postalAccount: setting('beneficiaryPostalAccount', '000012345678'),
      },
    },
  });
  return { app, stateful, stateless };
}
