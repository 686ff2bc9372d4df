/*
 * The payment methods the Stripe stand-in knows: Stripe's own test PaymentMethod ids and tokens
 * (https://docs.stripe.com/testing), behaving as they do in Stripe's test mode, as CONTRACT.md
 * lists them. Anything else is unknown, as an id Stripe never issued is (`resource_missing`).
 */

export type TestOutcome =
  /** The charge succeeds at once. */
  | { kind: 'succeeds' }
  /** The issuer declines: a `card_error` (402) with this `decline_code`. */
  | { kind: 'declines'; declineCode: string }
  /**
   * The holder must act first: 3-D Secure for a card, the approval page for PayPal. On session it
   * always asks; off session (nobody to ask) it is declined with `authentication_required`, unless
   * (`unless_set_up`) the method was saved for later with an authenticated payment
   * (`setup_future_usage`): then an off-session charge goes through.
   */
  | { kind: 'requires_action'; offSession: 'always' | 'unless_set_up' };

export interface TestPaymentMethod {
  type: 'card' | 'paypal';
  brand?: string;
  outcome: TestOutcome;
}

const card = (brand: string, outcome: TestOutcome = { kind: 'succeeds' }): TestPaymentMethod => ({
  type: 'card',
  brand,
  outcome,
});
const declined = (declineCode: string) => card('visa', { kind: 'declines', declineCode });

/** Stripe's test PaymentMethods (`pm_card_...`). */
const PAYMENT_METHODS: Record<string, TestPaymentMethod> = {
  pm_card_visa: card('visa'),
  pm_card_visa_debit: card('visa'),
  pm_card_mastercard: card('mastercard'),
  pm_card_amex: card('amex'),
  pm_card_it: card('visa'),
  pm_card_chargeDeclined: declined('generic_decline'),
  pm_card_chargeDeclinedInsufficientFunds: declined('insufficient_funds'),
  pm_card_chargeDeclinedLostCard: declined('lost_card'),
  pm_card_chargeDeclinedExpiredCard: declined('expired_card'),
  // Stripe's regulatory test cards: 4000 0027 6000 3184, "always authenticate" (every payment, off
  // session too, so an off-session charge is declined), and 4000 0025 0000 3155, "authenticate
  // unless set up" (authenticated once with setup_future_usage, its off-session charges go through).
  pm_card_authenticationRequired: card('visa', { kind: 'requires_action', offSession: 'always' }),
  pm_card_authenticationRequiredOnSetup: card('visa', { kind: 'requires_action', offSession: 'unless_set_up' }),
  // Stripe has no fixed test id for PayPal (Stripe.js creates one, and test mode shows an approval
  // page): the stand-in names one, which needs the holder's approval as PayPal always does; once
  // approved for future payments (a billing agreement), it is charged off session.
  pm_paypal: { type: 'paypal', outcome: { kind: 'requires_action', offSession: 'unless_set_up' } },
};

/** Stripe's test tokens (`tok_...`), the older way a storefront hands over a card. */
const TOKENS: Record<string, TestPaymentMethod> = {
  tok_visa: card('visa'),
  tok_visa_debit: card('visa'),
  tok_mastercard: card('mastercard'),
  tok_amex: card('amex'),
  tok_it: card('visa'),
  tok_chargeDeclined: declined('generic_decline'),
  tok_chargeDeclinedInsufficientFunds: declined('insufficient_funds'),
  tok_chargeDeclinedLostCard: declined('lost_card'),
  tok_chargeDeclinedExpiredCard: declined('expired_card'),
};

export function testPaymentMethod(id: string): TestPaymentMethod | undefined {
  return Object.hasOwn(PAYMENT_METHODS, id) ? PAYMENT_METHODS[id] : undefined;
}

/** A test token; as CONTRACT.md says, any `tok_declined...` is declined too (`tok_declined_<code>` with that code). */
export function testToken(token: string): TestPaymentMethod | undefined {
  if (Object.hasOwn(TOKENS, token)) return TOKENS[token];
  if (token.startsWith('tok_declined')) {
    const code = token.slice('tok_declined_'.length);
    return declined(/^[a-z]+(_[a-z]+)*$/.test(code) ? code : 'generic_decline');
  }
  return undefined;
}
