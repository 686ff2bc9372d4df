import type { Duration } from 'aws-cdk-lib';

/** The product's settings, read from the CDK context by the app (`pec-app.ts`, where their defaults live). */
export interface ProductSettings {
  /**
   * The page the first-access and password-reset links open; the token is appended as `?token=`.
   * Undefined: the deployed API's own page (`GET /password-setup`), so the links work right after deploying.
   */
  passwordSetupUrl?: string;
  /** How long a bank transfer or postal slip order waits for its credit. */
  paymentWait: Duration;
  /**
   * How long a card or PayPal order waits for the holder to authenticate the card (3-D Secure) or
   * approve the PayPal payment; then the payment is cancelled, the order too, and the address freed.
   */
  authenticationWait: Duration;
  firstAccessTokenTtl: Duration;
  /** How long a password-reset link works (CONTRACT.md: one hour). */
  passwordResetTokenTtl: Duration;
  /**
   * PEC on the holder's own domain: the provider's mail exchangers, how long the holder has to point
   * MX at them, and how often the domain is checked meanwhile (the first wait, doubling up to the max).
   */
  domainPec: {
    mxHosts: string[];
    dnsDeadline: Duration;
    dnsPoll: { first: Duration; max: Duration };
    /** The provider's name servers: a reseller's domain delegated only to them is hosted, certified free. */
    hostedNameServers: string[];
  };
  /** Where transfers and slips are paid to (shown in the payment instructions). */
  beneficiary: { name: string; iban: string; postalAccount?: string };
  /**
   * Each storefront's renewal page (storefront id, i.e. its API key id → URL with `{address}`; `*` for
   * any storefront not named): the reminders and the declined-renewal emails link to it.
   */
  renewalLinks: Record<string, string>;
  /** Card and PayPal payments, through Stripe. */
  payments: {
    /**
     * A sandbox stage: Stripe's test mode, whose keys (`sk_test_...`) take no money; any other stage
     * accepts only live keys. Only a sandbox may send its Stripe calls elsewhere than Stripe.
     */
    sandbox: boolean;
    /** In a sandbox only: where the Stripe adapter sends its calls (a Stripe stand-in); Stripe itself when absent. */
    stripeApiUrl?: string;
  };
}
