/**
 * The one error hierarchy. Use cases throw these; `functions/adapters/http/problem.ts` is the only
 * place that turns them into HTTP problem documents, and the workflow's Catch clauses match them
 * by `name` (Lambda reports a thrown error's `name` as the Step Functions error).
 */
export abstract class PecError extends Error {
  /** Machine-readable code, stable across releases: storefronts branch on it. */
  abstract readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface FieldError {
  path: string;
  message: string;
}

/** The request is malformed or a field breaks a rule; `errors` names every failing field. */
export class ValidationError extends PecError {
  readonly code = 'validation_failed';
  constructor(
    readonly errors: FieldError[],
    message = 'The request has invalid fields.',
  ) {
    super(message);
  }
}

export class NotFoundError extends PecError {
  readonly code: string;
  constructor(what: string, code = 'not_found') {
    super(`${what} was not found.`);
    this.code = code;
  }
}

export class AddressUnavailableError extends PecError {
  readonly code = 'address_unavailable';
  constructor(readonly address: string) {
    super(`The address ${address} is not available.`);
  }
}

export class IdempotencyKeyReusedError extends PecError {
  readonly code = 'idempotency_key_reused';
  constructor() {
    super('This Idempotency-Key was already used with a different request body.');
  }
}

export class AutoRenewActiveError extends PecError {
  readonly code = 'auto_renew_active';
  constructor(address: string) {
    super(`Automatic renewal is active for ${address}: a manual renewal is not allowed.`);
  }
}

export class ConflictError extends PecError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A first-access token that was already used or has expired. */
export class TokenGoneError extends PecError {
  readonly code = 'token_gone';
  constructor(reason: 'used' | 'expired') {
    super(reason === 'used' ? 'This link was already used.' : 'This link has expired.');
  }
}

export class UnauthorizedError extends PecError {
  readonly code: string;
  constructor(message: string, code = 'unauthorized') {
    super(message);
    this.code = code;
  }
}

/** The request came too early or during an outage: the caller should retry it later, unchanged. */
export class RetryLaterError extends PecError {
  readonly code = 'retry_later';
}

/** The payment gateway refused the charge: final, retrying will not help. */
export class PaymentDeclinedError extends PecError {
  readonly code = 'payment_declined';
}

/** The payment gateway could not be reached or answered with a transient error: worth a retry. */
export class PaymentGatewayUnavailableError extends PecError {
  readonly code = 'payment_gateway_unavailable';
}

/** The mailbox cannot be created (the address is no longer held by this order, the platform refuses it). */
export class ProvisioningImpossibleError extends PecError {
  readonly code = 'provisioning_impossible';
}

/** PEC on the holder's own domain: the domain's MX records did not point at the provider in time. */
export class DomainNotConfiguredError extends PecError {
  readonly code = 'domain_not_configured';
}

/**
 * A bank transfer or postal slip order whose credit was registered before its workflow started to
 * wait for it (a retried wait): there is nothing to wait for, the workflow goes on to activation.
 */
export class PaymentAlreadyReceivedError extends PecError {
  readonly code = 'payment_already_received';
}

/**
 * An email whose sending got no answer (a timeout, a dropped connection): it may have gone out, so
 * it is not sent again automatically (emails go out at most once).
 */
export class EmailOutcomeUnknownError extends PecError {
  readonly code = 'email_outcome_unknown';
}
