/** Each name as a key of its own value, so that every name is written exactly once. */
const literalNames = <const Name extends string>(...names: Name[]) =>
  Object.freeze(Object.fromEntries(names.map((name) => [name, name]))) as { readonly [Key in Name]: Key };

/**
 * Every error name a function can report, declared once. The names are a contract: Lambda reports a
 * thrown error's `name` as the Step Functions error, the workflow's Retry and Catch clauses match on
 * it (`workflows/order-fulfilment.ts` imports this object) and FailOrder branches on the caught one.
 * They are literals, never a class's own name, which the minified bundles rename to one letter.
 */
export const ErrorName = literalNames(
  'ValidationError',
  'NotFoundError',
  'AddressUnavailableError',
  'IdempotencyKeyReusedError',
  'AutoRenewActiveError',
  'ConflictError',
  'TokenGoneError',
  'UnauthorizedError',
  'TooManyRequestsError',
  'RetryLaterError',
  'PaymentDeclinedError',
  'PaymentGatewayUnavailableError',
  'ProvisioningImpossibleError',
  'DomainNotConfiguredError',
  'PaymentAlreadyReceivedError',
  'PaymentRequiresActionError',
  'DnsCheckRequestedError',
  'EmailOutcomeUnknownError',
  /** Not thrown: the payment webhook fails a waiting workflow with it (SendTaskFailure). */
  'PaymentFailed',
  /** The storefront cancelled a waiting order: its wait is failed with it, and AwaitPayment throws it. */
  'OrderCancelledError',
  'InsufficientCreditError',
  'ResellerOnlyError',
);
export type ErrorName = (typeof ErrorName)[keyof typeof ErrorName];

/**
 * The one error hierarchy. Use cases throw these; `functions/adapters/http/problem.ts` is the only
 * place that turns them into HTTP problem documents, and the workflow matches them by `name`.
 */
export abstract class PecError extends Error {
  /** The error's literal name from `ErrorName`; it survives minification, a class name does not. */
  abstract override readonly name: ErrorName;
  /** Machine-readable code, stable across releases: storefronts branch on it. */
  abstract readonly code: string;
}

export interface FieldError {
  path: string;
  message: string;
}

/** The request is malformed or a field breaks a rule; `errors` names every failing field. */
export class ValidationError extends PecError {
  override readonly name = ErrorName.ValidationError;
  readonly code = 'validation_failed';
  constructor(
    readonly errors: FieldError[],
    message = 'The request has invalid fields.',
  ) {
    super(message);
  }
}

export class NotFoundError extends PecError {
  override readonly name = ErrorName.NotFoundError;
  readonly code: string;
  constructor(what: string, code = 'not_found') {
    super(`${what} was not found.`);
    this.code = code;
  }
}

export class AddressUnavailableError extends PecError {
  override readonly name = ErrorName.AddressUnavailableError;
  readonly code = 'address_unavailable';
  constructor(readonly address: string) {
    super(`The address ${address} is not available.`);
  }
}

export class IdempotencyKeyReusedError extends PecError {
  override readonly name = ErrorName.IdempotencyKeyReusedError;
  readonly code = 'idempotency_key_reused';
  constructor() {
    super('This Idempotency-Key was already used with a different request body.');
  }
}

export class AutoRenewActiveError extends PecError {
  override readonly name = ErrorName.AutoRenewActiveError;
  readonly code = 'auto_renew_active';
  constructor(address: string) {
    super(`Automatic renewal is active for ${address}: a manual renewal is not allowed.`);
  }
}

export class ConflictError extends PecError {
  override readonly name = ErrorName.ConflictError;
  /** `errors`, when given, names the fields of the request the conflict is about. */
  constructor(
    readonly code: string,
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message);
  }
}

const TOKEN_GONE = {
  used: 'This link was already used.',
  expired: 'This link has expired.',
  revoked: 'This link was replaced by a newer one: use the link of the latest email.',
};

/** A first-access or password-reset token that was already used, has expired or was replaced by a newer one. */
export class TokenGoneError extends PecError {
  override readonly name = ErrorName.TokenGoneError;
  readonly code = 'token_gone';
  constructor(reason: keyof typeof TOKEN_GONE) {
    super(TOKEN_GONE[reason] ?? TOKEN_GONE.used);
  }
}

export class UnauthorizedError extends PecError {
  override readonly name = ErrorName.UnauthorizedError;
  readonly code: string;
  constructor(message: string, code = 'unauthorized') {
    super(message);
    this.code = code;
  }
}

/** A rate limit refused the request: the same request may succeed after `retryAfterSeconds`. */
export class TooManyRequestsError extends PecError {
  override readonly name = ErrorName.TooManyRequestsError;
  readonly code = 'too_many_requests';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The request came too early or during an outage: the caller should retry it later, unchanged. */
export class RetryLaterError extends PecError {
  override readonly name = ErrorName.RetryLaterError;
  readonly code = 'retry_later';
}

/**
 * The payment gateway refused the charge: final, retrying will not help. Answered at once (a
 * reseller's card top-up) it is a 402 whose `errors` name the field (`payment`).
 */
export class PaymentDeclinedError extends PecError {
  override readonly name = ErrorName.PaymentDeclinedError;
  readonly code = 'payment_declined';
  constructor(
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message);
  }
}

/** The payment gateway could not be reached or answered with a transient error: worth a retry. */
export class PaymentGatewayUnavailableError extends PecError {
  override readonly name = ErrorName.PaymentGatewayUnavailableError;
  readonly code = 'payment_gateway_unavailable';
}

/** The mailbox cannot be created (the address is no longer held by this order, the platform refuses it). */
export class ProvisioningImpossibleError extends PecError {
  override readonly name = ErrorName.ProvisioningImpossibleError;
  readonly code = 'provisioning_impossible';
}

/** PEC on the holder's own domain: the domain's MX records did not point at the provider in time. */
export class DomainNotConfiguredError extends PecError {
  override readonly name = ErrorName.DomainNotConfiguredError;
  readonly code = 'domain_not_configured';
}

/**
 * A bank transfer or postal slip order whose credit was registered before its workflow started to
 * wait for it (a retried wait): there is nothing to wait for, the workflow goes on to activation.
 */
export class PaymentAlreadyReceivedError extends PecError {
  override readonly name = ErrorName.PaymentAlreadyReceivedError;
  readonly code = 'payment_already_received';
}

/**
 * A card or PayPal payment waits for the holder (3-D Secure, PayPal's approval): ChargePayment kept
 * what the storefront must show on the order, and the workflow waits for the provider's webhook.
 */
export class PaymentRequiresActionError extends PecError {
  override readonly name = ErrorName.PaymentRequiresActionError;
  readonly code = 'payment_requires_action';
}

/**
 * PEC on the holder's own domain: a check of the domain was asked for (`POST .../dns-check`) after
 * the last check began, so the workflow checks again at once instead of starting another wait.
 */
export class DnsCheckRequestedError extends PecError {
  override readonly name = ErrorName.DnsCheckRequestedError;
  readonly code = 'dns_check_requested';
}

/**
 * An email whose sending got no answer (a timeout, a dropped connection): it may have gone out, so
 * it is not sent again automatically (emails go out at most once).
 */
export class EmailOutcomeUnknownError extends PecError {
  override readonly name = ErrorName.EmailOutcomeUnknownError;
  readonly code = 'email_outcome_unknown';
}

/**
 * The storefront cancelled the order while it waited for its payment: the workflow stops waiting
 * and closes it as cancelled (the cancellation fails the wait's task token with this name, and a
 * wait that starts after it throws it).
 */
export class OrderCancelledError extends PecError {
  override readonly name = ErrorName.OrderCancelledError;
  readonly code = 'order_cancelled';
}

/** A reseller's credit does not cover the order: nothing was reserved, nothing debited. */
export class InsufficientCreditError extends PecError {
  override readonly name = ErrorName.InsufficientCreditError;
  readonly code = 'insufficient_credit';
  constructor(
    readonly neededCents: number,
    readonly balanceCents: number,
  ) {
    super(
      `The credit (${balanceCents} cents) does not cover this order (${neededCents} cents): top it up (POST /reseller/credit/top-ups) and order again.`,
    );
  }
}

/** A reseller route called with a storefront's key: the key is valid, the route is not its. */
export class ResellerOnlyError extends PecError {
  override readonly name = ErrorName.ResellerOnlyError;
  readonly code = 'reseller_only';
  constructor() {
    super("This route is for resellers: a storefront's key has no prepaid credit.");
  }
}
