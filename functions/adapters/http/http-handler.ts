import { randomBytes } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { ParseError } from '@aws-lambda-powertools/parser';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { ZodType } from 'zod';
import * as z from 'zod';
import { ValidationError } from '../../domain/errors.ts';
import { parseJsonText } from '../../domain/json-text.ts';
import { fieldErrors, type SchemaIssue } from '../../domain/schemas.ts';
import { logger } from '../logger.ts';
import { metrics } from '../metrics.ts';
import { synchronousSchema } from '../synchronous-schema.ts';
import { decodePercentEncoded } from './percent-encoding.ts';
import { CORS_HEADERS, problemFor, problemHeaders, problemResponse } from './problem.ts';

/** What a route answers: a status, an optional JSON body (or an HTML page), optional headers. */
export interface HttpResult {
  status: number;
  body?: unknown;
  /** An HTML page, sent as it is instead of a JSON body. */
  html?: string;
  headers?: Record<string, string>;
}

/** Turns any error (a failed parse included) into the problem document of `problem.ts`. */
const problemDetails = (): MiddlewareObj<unknown, APIGatewayProxyResult> => ({
  onError: async (request) => {
    let error = request.error;
    if (error instanceof ParseError && Array.isArray(error.cause)) {
      // Each path starts with the event's own field (`body`, `queryStringParameters`, `pathParameters`).
      error = new ValidationError(fieldErrors(error.cause as SchemaIssue[], 1));
    }
    const problem = problemFor(error);
    if (problem.status === 500) logger.error('Request failed', { error: request.error as Error });
    else logger.info('Request refused', { status: problem.status, code: problem.code });
    request.response = problemResponse(problem, problemHeaders(error));
  },
});

const toResponse = (result: HttpResult): APIGatewayProxyResult => {
  if (result.html !== undefined) {
    return {
      statusCode: result.status,
      headers: { 'content-type': 'text/html; charset=utf-8', ...result.headers },
      body: result.html,
    };
  }
  return {
    statusCode: result.status,
    headers: {
      ...CORS_HEADERS,
      ...(result.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...result.headers,
    },
    body: result.body === undefined ? '' : JSON.stringify(result.body),
  };
};

/**
 * Wraps a route: structured logging with the Lambda context, the event parsed and validated by
 * `schema` (Powertools parser), errors mapped to problem documents, the result serialised.
 */
export function httpHandler<Schema extends ZodType>(
  schema: Schema,
  route: (event: z.output<Schema>, context: Context) => Promise<HttpResult>,
) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(problemDetails())
    .use(parser({ schema: synchronousSchema(schema) }))
    .handler(async (event, context) => {
      const result = await route(event as z.output<Schema>, context);
      logger.info('Request answered', { status: result.status });
      return toResponse(result);
    });
}

/** What the handlers read of API Gateway's request context: the id of the API key it checked. */
const requestContext = z.looseObject({
  identity: z.looseObject({ apiKeyId: z.string().nullish(), userArn: z.string().nullish() }).optional(),
});

/**
 * An API Gateway event whose JSON body must match `body`. A body that is missing, not JSON, or not
 * valid Unicode (see `parseJsonText`) is a validation error, never an exception.
 */
export const withJsonBody = <Body extends ZodType>(body: Body) =>
  z.looseObject({
    body: z
      .string({ error: 'A JSON body is required.' })
      .transform((text, ctx) => {
        const parsed = parseJsonText(text);
        if (parsed.ok) return parsed.value;
        ctx.addIssue({ code: 'custom', path: parsed.path, message: parsed.message });
        return z.NEVER;
      })
      .pipe(body),
    headers: z.record(z.string(), z.string().optional()).nullish(),
    requestContext,
  });

/** An API Gateway event whose path parameters must match `params`. */
export const withPathParameters = <Params extends ZodType>(params: Params) =>
  z.looseObject({ pathParameters: params, requestContext });

/**
 * One path parameter. API Gateway (REST API, Lambda proxy integration) passes path parameters as the
 * client sent them, still percent-encoded: they are decoded here, exactly once, then checked by
 * `value`. A malformed escape (`%zz`, or bytes that are not UTF-8) is a field error naming the
 * parameter.
 */
export const pathParameter = <Value extends ZodType<unknown, string>>(value: Value) =>
  z
    .string()
    .transform((raw, ctx) => {
      const decoded = decodePercentEncoded(raw);
      if (decoded === undefined) {
        ctx.addIssue({
          code: 'custom',
          message:
            'This path segment is not valid percent-encoding of UTF-8 text (a % must start an escape such as %40).',
        });
        return z.NEVER;
      }
      return decoded;
    })
    .pipe(value);

/** The `{address}` of a mailbox route: decoded once, then looked up trimmed and lower-cased. */
export const addressParameter = z.object({
  address: pathParameter(z.string().trim().toLowerCase().min(3).max(320)),
});

/** The `{orderId}` of an order route. */
export const orderIdParameter = z.object({ orderId: pathParameter(z.string().min(1).max(64)) });

/** The `{resellerId}` of an operator's reseller route (an enrolment's id until it is approved). */
export const resellerIdParameter = z.object({ resellerId: pathParameter(z.string().min(1).max(64)) });

/** An API Gateway event whose query string must match `query`. */
export const withQuery = <Query extends ZodType>(query: Query) =>
  z.looseObject({ queryStringParameters: z.preprocess((value) => value ?? {}, query), requestContext });

/** Any API Gateway event. */
export const anyEvent = z.looseObject({});

/** The optional `Idempotency-Key` header: 1 to 255 visible ASCII characters. */
export function idempotencyKey(headers: Record<string, string | undefined> | null | undefined): string | undefined {
  const key = header(headers, 'idempotency-key');
  if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new ValidationError([
      { path: 'Idempotency-Key', message: 'The Idempotency-Key header must be 1 to 255 visible ASCII characters.' },
    ]);
  }
  return key;
}

/** An API Gateway event, as far as telling its storefront goes. */
interface StorefrontEvent {
  requestContext: { identity?: { apiKeyId?: string | null } };
}

/**
 * The storefront calling: the id of the API key API Gateway checked (never the key itself). Only
 * routes that require a key have one; a storefront route without it is a deployment mistake, so it
 * fails loudly instead of serving anyone's data.
 */
export function storefrontOf(event: StorefrontEvent): string {
  const id = event.requestContext.identity?.apiKeyId;
  if (!id) throw new Error('No API key id in the request context: a storefront route must require an API key.');
  logger.appendKeys({ storefrontId: id });
  return id;
}

/**
 * The operator calling an operator route: the IAM caller API Gateway authenticated with SigV4 (its
 * ARN; locally `local-operator`). Only routes with IAM authorisation have one; an operator route
 * without it is a deployment mistake, so it fails loudly instead of acting for nobody.
 */
export function operatorOf(event: { requestContext: { identity?: { userArn?: string | null } } }): string {
  const arn = event.requestContext.identity?.userArn;
  if (!arn) throw new Error('No IAM caller in the request context: an operator route must use AWS_IAM authorisation.');
  logger.appendKeys({ operator: arn });
  return arn;
}

/** What an order intake needs from the request: the storefront (API key id), its Idempotency-Key, fresh entropy. */
export function intakeContext(event: StorefrontEvent & { headers?: Record<string, string | undefined> | null }) {
  return {
    now: new Date(),
    storefrontId: storefrontOf(event),
    idempotencyKey: idempotencyKey(event.headers),
    randomBytes: randomBytes(8),
  };
}

/** `201 Created` with the order and its location; a replayed Idempotency-Key says so in a header. */
export function createdOrder({ order, replayed }: { order: { orderId: string }; replayed: boolean }): HttpResult {
  return {
    status: 201,
    body: order,
    headers: { location: `/orders/${order.orderId}`, ...(replayed ? { 'idempotent-replayed': 'true' } : {}) },
  };
}

/** A header by case-insensitive name (API Gateway keeps the client's case). */
export function header(headers: Record<string, string | undefined> | null | undefined, name: string) {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === wanted) return value;
  return undefined;
}
