import { App, type AppProps, Duration, Validations } from 'aws-cdk-lib';
import { PecSolutionsChecks } from './constructs/documented-wildcards.ts';
import type { ProductSettings } from './product-settings.ts';
import { StatefulStack } from './stateful-stack.ts';
import { StatelessStack } from './stateless-stack.ts';

export interface PecAppOptions extends AppProps {
  /** Skip esbuild bundling (the local runtime and most tests only need the templates). */
  skipBundling?: boolean;
  /** Run cdk-nag's AwsSolutions checks at synthesis (default true). */
  nag?: boolean;
}

/**
 * Every product setting's default: the one place defaults live. The functions have none (a variable
 * their function was not given fails their cold start); override a default with the CDK context
 * `pec:<key>` (`cdk.json`, or `-c pec:key=value`).
 */
export const SETTING_DEFAULTS = {
  senderEmail: 'noreply@example.com',
  // pec:passwordSetupUrl (the page the emailed links open) has no literal default: without it the
  // links open the deployed API's own page, GET /password-setup (see StatelessStack).
  paymentWaitDays: 30,
  /** How long a card or PayPal order waits for the holder to authenticate (3-D Secure) or approve it. */
  authenticationWaitMinutes: 60,
  firstAccessTokenTtlHours: 72,
  passwordResetTokenTtlMinutes: 60,
  mxHosts: 'mx1.pec.example.com,mx2.pec.example.com',
  domainDnsDeadlineDays: 14,
  /** The wait after the first DNS check of a holder's domain; each next wait doubles, up to the max. */
  domainDnsPollMinutes: 5,
  /** At most this long between two checks: 72 hours of waiting cost about 40 checks (120 state transitions). */
  domainDnsPollMaxMinutes: 120,
  beneficiaryName: 'PEC Provisioning S.p.A.',
  beneficiaryIban: 'IT60X0542811101000000123456',
  beneficiaryPostalAccount: '000012345678',
  /** The storefronts (comma-separated names): each gets its own API key and usage plan. */
  storefronts: 'default',
  /** `true` for a sandbox stage: Stripe's test mode (test keys, no money moves). */
  sandbox: 'false',
  /** Sandbox only: where the Stripe calls go instead of Stripe (a stand-in). Empty: Stripe itself. */
  stripeApiUrl: '',
  /** The name of an existing Secrets Manager secret with the Stripe secret key. Empty: the stack creates one. */
  stripeSecretName: '',
  /** Where the alarms are emailed (an SNS email subscription, confirmed once). Empty: no subscription. */
  alarmEmail: '',
  /**
   * The storefronts' renewal pages, JSON: storefront id (its API key id) → URL where `{address}` is the
   * mailbox's address; `*` for any storefront not named.
   */
  renewalLinks: '{"*":"https://www.example.com/rinnovo?indirizzo={address}"}',
  /**
   * The provider's name servers (comma-separated): a reseller's domain whose NS records are all
   * among them is hosted with the provider, and its certification is free.
   */
  hostedNameServers: 'ns1.pec.example.com,ns2.pec.example.com',
};
type SettingKey = keyof typeof SETTING_DEFAULTS;

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

  const setting = (key: SettingKey): string => String(app.node.tryGetContext(`pec:${key}`) ?? SETTING_DEFAULTS[key]);
  /** A positive number setting; anything else fails the synthesis, naming the setting. */
  const count = (key: SettingKey): number => {
    const value = Number(setting(key));
    if (!(value > 0)) throw new Error(`The setting pec:${key} must be a positive number, not "${setting(key)}"`);
    return value;
  };

  /**
   * A duration setting (`pec:paymentWaitDays`...). Local runs and tests shorten it with
   * `pec:<name>Seconds` (`pec:paymentWaitSeconds`), which takes precedence.
   */
  const duration = (
    key:
      | 'paymentWaitDays'
      | 'authenticationWaitMinutes'
      | 'domainDnsDeadlineDays'
      | 'domainDnsPollMinutes'
      | 'domainDnsPollMaxMinutes'
      | 'firstAccessTokenTtlHours'
      | 'passwordResetTokenTtlMinutes',
  ) => {
    const secondsKey = `pec:${key.replace(/(Days|Hours|Minutes)$/, '')}Seconds`;
    const seconds: unknown = app.node.tryGetContext(secondsKey);
    if (seconds !== undefined) {
      if (!(Number(seconds) > 0))
        throw new Error(`The setting ${secondsKey} must be a positive number, not "${seconds}"`);
      return Duration.seconds(Number(seconds));
    }
    const amount = count(key);
    if (key.endsWith('Days')) return Duration.days(amount);
    return key.endsWith('Hours') ? Duration.hours(amount) : Duration.minutes(amount);
  };

  /** The page the emailed links open, when the context names one: an absolute http(s) URL. */
  const passwordSetupUrl = (): string | undefined => {
    const value: unknown = app.node.tryGetContext('pec:passwordSetupUrl');
    if (value === undefined || value === '') return undefined;
    if (!URL.canParse(String(value)) || !/^https?:$/.test(new URL(String(value)).protocol)) {
      throw new Error(`The setting pec:passwordSetupUrl must be an http(s) URL, not "${value}"`);
    }
    return String(value);
  };
  /** Where alarms are emailed, when the context names an address. */
  const alarmEmail = (): string | undefined => {
    const value = setting('alarmEmail').trim();
    if (value === '') return undefined;
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) {
      throw new Error(`The setting pec:alarmEmail must be an email address, not "${value}"`);
    }
    return value;
  };
  const dnsPoll = { first: duration('domainDnsPollMinutes'), max: duration('domainDnsPollMaxMinutes') };
  if (dnsPoll.max.toSeconds() < dnsPoll.first.toSeconds()) {
    throw new Error('The setting pec:domainDnsPollMaxMinutes must not be shorter than pec:domainDnsPollMinutes');
  }

  const stateful = new StatefulStack(app, 'PecStateful', {
    senderEmail: setting('senderEmail'),
    ...(setting('stripeSecretName') ? { stripeSecretName: setting('stripeSecretName') } : {}),
  });
  const stateless = new StatelessStack(app, 'PecStateless', {
    stateful,
    ...(alarmEmail() ? { alarmEmail: alarmEmail() } : {}),
    storefronts: setting('storefronts')
      .split(',')
      .map((name) => name.trim()),
    settings: {
      passwordSetupUrl: passwordSetupUrl(),
      paymentWait: duration('paymentWaitDays'),
      authenticationWait: duration('authenticationWaitMinutes'),
      domainPec: {
        mxHosts: setting('mxHosts').split(','),
        dnsDeadline: duration('domainDnsDeadlineDays'),
        dnsPoll,
        hostedNameServers: setting('hostedNameServers').split(','),
      },
      firstAccessTokenTtl: duration('firstAccessTokenTtlHours'),
      passwordResetTokenTtl: duration('passwordResetTokenTtlMinutes'),
      beneficiary: {
        name: setting('beneficiaryName'),
        iban: setting('beneficiaryIban'),
        postalAccount: setting('beneficiaryPostalAccount'),
      },
      payments: paymentSettings(setting('sandbox'), setting('stripeApiUrl')),
      renewalLinks: renewalLinks(setting('renewalLinks')),
    },
  });
  return { app, stateful, stateless };
}

/** The `pec:renewalLinks` setting: a JSON object of http(s) URL templates; anything else fails the synthesis. */
export function renewalLinks(text: string): Record<string, string> {
  let links: unknown;
  try {
    links = JSON.parse(text);
  } catch {
    throw new Error(`The setting pec:renewalLinks must be a JSON object, not "${text}"`);
  }
  const entries = links && typeof links === 'object' && !Array.isArray(links) ? Object.entries(links) : [];
  if (entries.length === 0) throw new Error('The setting pec:renewalLinks must name at least one storefront (or "*")');
  for (const [storefront, url] of entries) {
    if (typeof url !== 'string' || !/^https?:$/.test(URL.canParse(url) ? new URL(url).protocol : '')) {
      throw new Error(`The setting pec:renewalLinks has no http(s) URL for "${storefront}"`);
    }
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

/**
 * How a stage pays: a stage is a sandbox only when it says so (`pec:sandbox=true`), and only a
 * sandbox may charge through anything but Stripe itself (`pec:stripeApiUrl`, a stand-in that takes
 * no money): any other stack that would is refused, so a deployment cannot give mailboxes away by
 * mistake. (The functions also refuse a key of the other mode: live keys only outside a sandbox.)
 */
export function paymentSettings(sandbox: string, stripeApiUrl: string): ProductSettings['payments'] {
  if (sandbox !== 'true' && sandbox !== 'false') {
    throw new Error(`The setting pec:sandbox must be true or false, not "${sandbox}"`);
  }
  if (!stripeApiUrl) return { sandbox: sandbox === 'true' };
  if (sandbox !== 'true') {
    throw new Error(
      `pec:stripeApiUrl sends the charges to ${stripeApiUrl} instead of Stripe, where no money moves: only a sandbox stage may do so (pec:sandbox=true)`,
    );
  }
  if (!URL.canParse(stripeApiUrl)) throw new Error(`The setting pec:stripeApiUrl must be a URL, not "${stripeApiUrl}"`);
  return { sandbox: true, stripeApiUrl };
}
