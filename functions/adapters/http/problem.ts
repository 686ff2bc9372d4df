import type { APIGatewayProxyResult } from 'aws-lambda';
import {
  AddressUnavailableError,
  AutoRenewActiveError,
  ConflictError,
  type FieldError,
  IdempotencyKeyReusedError,
  InsufficientCreditError,
  NotFoundError,
  PaymentDeclinedError,
  PecError,
  ResellerOnlyError,
  RetryLaterError,
  TokenGoneError,
  TooManyRequestsError,
  UnauthorizedError,
  ValidationError,
} from '../../domain/errors.ts';

/**
 * The one place where errors become RFC 9457 problem documents. Known errors keep their message and
 * machine code; anything else is a 500 that says nothing about the inside.
 */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
}

const TYPE_BASE = 'https://pec-provisioning.dev/problems/';

const statusOf = (error: PecError): number => {
  if (error instanceof ValidationError) return 400;
  if (error instanceof UnauthorizedError) return 401;
  if (error instanceof InsufficientCreditError || error instanceof PaymentDeclinedError) return 402;
  if (error instanceof ResellerOnlyError) return 403;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof AddressUnavailableError || error instanceof AutoRenewActiveError) return 409;
  if (error instanceof ConflictError) return 409;
  if (error instanceof TokenGoneError) return 410;
  if (error instanceof IdempotencyKeyReusedError) return 422;
  if (error instanceof TooManyRequestsError) return 429;
  if (error instanceof RetryLaterError) return 503;
  return 500;
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
  500: 'Internal Server Error',
};

export function problemFor(error: unknown): ProblemDocument {
  if (error instanceof PecError) {
    const status = statusOf(error);
    if (status < 500 || error instanceof RetryLaterError) {
      return {
        type: `${TYPE_BASE}${error.code}`,
        title: TITLES[status] ?? 'Error',
        status,
        detail: error.message,
        code: error.code,
        ...(error instanceof ValidationError ? { errors: error.errors } : {}),
        ...(error instanceof ConflictError && error.errors ? { errors: error.errors } : {}),
        ...(error instanceof PaymentDeclinedError && error.errors ? { errors: error.errors } : {}),
      };
    }
  }
  return {
    type: `${TYPE_BASE}internal_error`,
    title: TITLES[500] as string,
    status: 500,
    detail: 'Something went wrong on our side. The request can be retried; use an Idempotency-Key to make that safe.',
    code: 'internal_error',
  };
}

/**
 * The first-access page calls /password-setup from the holder's browser, on the product's own site;
 * every answer (refusals included) can be read there.
 */
export const CORS_HEADERS = { 'access-control-allow-origin': '*' };

/** The headers a refusal carries besides its problem document: when to retry, for a rate limit. */
export function problemHeaders(error: unknown): Record<string, string> {
  return error instanceof TooManyRequestsError ? { 'retry-after': String(error.retryAfterSeconds) } : {};
}

export function problemResponse(problem: ProblemDocument, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode: problem.status,
    headers: { ...CORS_HEADERS, ...headers, 'content-type': 'application/problem+json' },
    body: JSON.stringify(problem),
  };
}
