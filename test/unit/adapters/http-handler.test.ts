import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  addressParameter,
  httpHandler,
  orderIdParameter,
  withJsonBody,
  withPathParameters,
} from '../../../functions/adapters/http/http-handler.ts';
import { decodePercentEncoded } from '../../../functions/adapters/http/percent-encoding.ts';
import { synchronousSchema } from '../../../functions/adapters/synchronous-schema.ts';

const context = {
  functionName: 'test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-south-1:000000000000:function:test',
  memoryLimitInMB: '128',
  awsRequestId: 'request-1',
  logGroupName: '/aws/lambda/test',
  logStreamName: 'test',
  callbackWaitsForEmptyEventLoop: false,
  getRemainingTimeInMillis: () => 3000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;

/**
 * A proxy event as API Gateway sends it: path parameters as the client sent them. Typed `never`
 * because a handler's type describes the event after parsing, and these are the raw ones.
 */
const event = (overrides: Partial<APIGatewayProxyEvent>): never =>
  ({
    headers: {},
    pathParameters: null,
    queryStringParameters: null,
    body: null,
    requestContext: { identity: {} },
    ...overrides,
  }) as never;

// Unhandled rejections seen while a test runs: a request must never leave one behind.
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);
process.on('unhandledRejection', onRejection);
afterEach(async () => {
  await new Promise((resolve) => setImmediate(resolve));
  expect(rejections).toEqual([]);
});

describe('decodePercentEncoded', () => {
  it('decodes exactly once', () => {
    expect(decodePercentEncoded('mario.rossi%40pec.it')).toBe('mario.rossi@pec.it');
    expect(decodePercentEncoded('a%2540pec.it')).toBe('a%40pec.it');
    expect(decodePercentEncoded('a%25zz%40pec.it')).toBe('a%zz@pec.it');
    expect(decodePercentEncoded('%CE%BB%2F..')).toBe('λ/..');
  });

  it.each([
    ['a bare %', '100%'],
    ['a % and one hex digit', 'a%4'],
    ['a % and no hex digits', 'a%zz%40pec.it'],
    ['a truncated UTF-8 sequence', '%E0%A4%A'],
    ['a UTF-8 encoded surrogate', '%ED%A0%80'],
    ['an overlong UTF-8 encoding', '%C0%AF'],
    ['a byte that is never UTF-8', '%FF'],
  ])('is undefined for %s', (_, text) => {
    expect(decodePercentEncoded(text)).toBeUndefined();
  });

  it('inverts encodeURIComponent and never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(decodePercentEncoded(encodeURIComponent(text))).toBe(text);
      }),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^(%[0-9A-Fa-fzZ]{0,2}|[a-z@.])*$/), (text) => {
        const decoded = decodePercentEncoded(text);
        expect(decoded === undefined || typeof decoded === 'string').toBe(true);
      }),
    );
  });
});

type RawRoute = (event: never, context: Context) => Promise<APIGatewayProxyResult>;

describe('path parameters', () => {
  const mailboxRoute = httpHandler(withPathParameters(addressParameter), async (e) => ({
    status: 200,
    body: e.pathParameters,
  }));
  const orderRoute = httpHandler(withPathParameters(orderIdParameter), async (e) => ({
    status: 200,
    body: e.pathParameters,
  }));

  it('decodes an address once, then trims and lower-cases it', async () => {
    const response = await mailboxRoute(event({ pathParameters: { address: '%20Mario.Rossi%40PEC.it' } }), context);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ address: 'mario.rossi@pec.it' });

    const twice = await mailboxRoute(event({ pathParameters: { address: 'a%25zz%40pec.it' } }), context);
    expect(JSON.parse(twice.body)).toEqual({ address: 'a%zz@pec.it' });
  });

  it.each([
    ['{address}', 'a%zz%40pec.it', mailboxRoute, { address: 'a%zz%40pec.it' }],
    ['{address}', '%ED%A0%80%40pec.it', mailboxRoute, { address: '%ED%A0%80%40pec.it' }],
    ['{orderId}', '%', orderRoute, { orderId: '%' }],
  ])('answers the malformed %s %s with a 400 problem naming it', async (_, __, route, pathParameters) => {
    const response = await (route as RawRoute)(event({ pathParameters }), context);
    expect(response.statusCode).toBe(400);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    const problem = JSON.parse(response.body);
    expect(problem.code).toBe('validation_failed');
    expect(problem.errors).toEqual([{ path: Object.keys(pathParameters)[0], message: expect.any(String) }]);
  });

  it('checks the length of the decoded value', async () => {
    const response = await mailboxRoute(event({ pathParameters: { address: '%41%42' } }), context);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).errors[0].path).toBe('address');
  });
});

describe('JSON bodies', () => {
  const route = httpHandler(withJsonBody(z.object({ name: z.string(), tags: z.array(z.string()) })), async (e) => ({
    status: 200,
    body: e.body,
  }));
  const errorsOf = async (body: string | null) => {
    const response = await route(event({ body }), context);
    expect(response.statusCode).toBe(400);
    return JSON.parse(response.body).errors;
  };

  it('refuses a missing body and text that is not JSON at (body)', async () => {
    expect(await errorsOf(null)).toEqual([{ path: '(body)', message: 'A JSON body is required.' }]);
    expect(await errorsOf('{"name": ')).toEqual([{ path: '(body)', message: 'The body is not valid JSON.' }]);
  });

  it('names the field holding a lone surrogate', async () => {
    expect(await errorsOf('{"name":"ok","tags":["fine","\\udc00x"]}')).toEqual([
      { path: 'tags.1', message: 'The text is not valid Unicode.' },
    ]);
  });

  it('answers a body nested 100,000 levels deep with field errors', async () => {
    const deep = `{"name":${'['.repeat(100_000)}${']'.repeat(100_000)},"tags":[]}`;
    expect(await errorsOf(deep)).toEqual([{ path: 'name', message: expect.any(String) }]);
  });
});

describe('synchronousSchema', () => {
  const throwing = z.object({
    value: z.string().transform((text) => {
      if (text === 'boom') throw new URIError('URI malformed');
      return text;
    }),
  });

  it('validates synchronously, where zod would fall back to a promise that nobody awaits', async () => {
    const ours = synchronousSchema(throwing)['~standard'];
    expect(ours.validate({ value: 'fine' })).toEqual({ value: { value: 'fine' } });
    expect(ours.validate({ value: 1 })).toMatchObject({ issues: [{ path: ['value'] }] });
    expect(() => ours.validate({ value: 'boom' })).toThrow(URIError);

    const zods = throwing['~standard'].validate({ value: 'boom' });
    expect(zods).toBeInstanceOf(Promise);
    await expect(zods).rejects.toThrow(URIError);
  });

  it('turns a schema that throws into a 500 problem, leaving no rejection behind', async () => {
    const route = httpHandler(
      withPathParameters(z.object({ id: z.string() })).extend({ body: throwing.shape.value }),
      async () => ({
        status: 200,
      }),
    );
    const response = await route(event({ pathParameters: { id: 'x' }, body: 'boom' }), context);
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body).code).toBe('internal_error');
  });
});
