/**
 * Card and PayPal are charged at once, with what the storefront collected from the payment
 * provider; a bank transfer or a postal slip waits until its credit is registered. The one place
 * that says so: the request schema, the workflow's RoutePayment and the use cases all ask here.
 */
export const IMMEDIATE_PAYMENT_METHODS = ['card', 'paypal'] as const;
export const CREDIT_PAYMENT_METHODS = ['bank_transfer', 'postal_slip'] as const;
/**
 * A reseller's order is paid from its prepaid credit, debited as the order is placed (never asked
 * of the holder, never sent by a storefront): the order starts paid.
 */
export const PREPAID_CREDIT = 'credit';
export const PAYMENT_METHODS = [...IMMEDIATE_PAYMENT_METHODS, ...CREDIT_PAYMENT_METHODS, PREPAID_CREDIT] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export type ImmediatePaymentMethod = (typeof IMMEDIATE_PAYMENT_METHODS)[number];
export type CreditPaymentMethod = (typeof CREDIT_PAYMENT_METHODS)[number];

export const isImmediatePayment = (method: PaymentMethod): method is ImmediatePaymentMethod =>
  (IMMEDIATE_PAYMENT_METHODS as readonly PaymentMethod[]).includes(method);

/** A bank transfer or postal slip: the order waits until its credit is registered. */
export const isCreditPayment = (method: PaymentMethod): method is CreditPaymentMethod =>
  (CREDIT_PAYMENT_METHODS as readonly PaymentMethod[]).includes(method);

/**
 * What a storefront collected for a card or PayPal payment with the payment provider's client
 * library: a PaymentMethod id (`pm_...`), or the older token (`tok_...`). Exactly one of the two.
 */
export type PaymentCredential = { paymentMethod: string } | { token: string };

/**
 * A card or PayPal payment method the provider keeps for charging the holder again while they are
 * away (automatic renewals, off-session): the provider's customer it is saved on (Stripe: `cus_...`)
 * and the payment method itself (`pm_...`), as the payment that saved it used them. Never the
 * storefront's one-time token.
 */
export interface SavedPaymentMethod {
  method: ImmediatePaymentMethod;
  customerId: string;
  paymentMethod: string;
}

/** The credential of a payment, the PaymentMethod id first; undefined when it has neither. */
export function credentialOf(payment: { paymentMethod?: string; token?: string }): PaymentCredential | undefined {
  if (payment.paymentMethod) return { paymentMethod: payment.paymentMethod };
  if (payment.token) return { token: payment.token };
  return undefined;
}

/** Why an off-session charge is declined when it would need the holder, who is away, to authenticate it. */
export const AUTHENTICATION_REQUIRED = 'authentication_required';
