import { connect } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { API_ROUTES } from '../../../infra/api-routes.ts';
import { type HttpGateway, requestTarget, startHttpGateway } from '../../../local/http-gateway.ts';
import type { LocalFunction } from '../../../local/template.ts';

const functions: LocalFunction[] = API_ROUTES.map((route) => ({
  logicalId: route.handler,
  arn: `arn:aws:lambda:eu-south-1:000000000000:function:${route.handler}`,
  handler: route.handler,
  entryPoint: 'index.handler',
  timeoutSeconds: 10,
  memoryMb: 512,
  environment: {},
  references: [],
}));

let gateway: HttpGateway;
const events: APIGatewayProxyEvent[] = [];

beforeAll(async () => {
  gateway = await startHttpGateway({
    port: 0,
    storefrontApiKeys: ['sk_test'],
    verbose: false,
    // Echoes the event, or fails as a crashing function would when asked to.
    invoke: async (_fn, event) => {
      const proxy = event as APIGatewayProxyEvent;
      if (proxy.body === 'fail') throw new Error('the function crashed');
      events.push(proxy);
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{}' };
    },
  });
  gateway.serve(functions);
});
afterAll(() => gateway.stop());

const get = async (path: string, headers: Record<string, string> = {}) => {
  const response = await fetch(`${gateway.url}${path}`, { headers: { 'x-api-key': 'sk_test', ...headers } });
  await response.text();
  return events.at(-1) as APIGatewayProxyEvent;
};

/** Sends bytes as they are, for requests no HTTP client would send. */
function rawRequest(text: string): Promise<{ status: number; headers: string; body: string }> {
  const { port } = new URL(gateway.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(text));
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const split = data.indexOf('\r\n\r\n');
      const head = data.slice(0, split);
      let body = data.slice(split + 4);
      if (/transfer-encoding: chunked/i.test(head)) body = unchunked(body);
      resolve({ status: Number(head.split(' ')[1]), headers: head, body });
    });
  });
}

function unchunked(body: string): string {
  let text = '';
  for (let at = 0; ; ) {
    const lineEnd = body.indexOf('\r\n', at);
    const size = Number.parseInt(body.slice(at, lineEnd), 16);
    if (!(size > 0)) return text;
    text += body.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

const rawGet = async (target: string, headers = '') => {
  const response = await rawRequest(
    `GET ${target} HTTP/1.1\r\nhost: localhost\r\nx-api-key: sk_test\r\n${headers}connection: close\r\n\r\n`,
  );
  expect(response.status).toBe(200);
  return events.at(-1) as APIGatewayProxyEvent;
};

describe('the event the local API Gateway builds', () => {
  it('passes path parameters and the path as sent, still percent-encoded, as a REST API does', async () => {
    const event = await get('/mailboxes/a%25zz%40pec.it');
    expect(event.pathParameters).toEqual({ address: 'a%25zz%40pec.it' });
    expect(event.path).toBe('/mailboxes/a%25zz%40pec.it');
    expect(event.resource).toBe('/mailboxes/{address}');

    expect((await get('/mailboxes/a%zz%40pec.it')).pathParameters).toEqual({ address: 'a%zz%40pec.it' });
    // What fetch would resolve as a dot segment, API Gateway passes on as the parameter.
    expect((await rawGet('/orders/%2e%2e')).pathParameters).toEqual({ orderId: '%2e%2e' });
  });

  it('decodes query string parameters, keeping every value of a repeated one', async () => {
    const event = await get('/availability?address=a%2Bb+c%40pec.it&odd=%zz&odd=2');
    expect(event.queryStringParameters).toEqual({ address: 'a+b c@pec.it', odd: '2' });
    expect(event.multiValueQueryStringParameters).toEqual({ address: ['a+b c@pec.it'], odd: ['%zz', '2'] });
    expect((await get('/availability')).queryStringParameters).toBeNull();
  });

  it('treats __proto__ as a name like any other', async () => {
    const event = await rawGet('/availability?__proto__=x', '__proto__: y\r\n');
    expect(Object.getPrototypeOf(event.multiValueQueryStringParameters)).toBe(Object.prototype);
    expect(event.multiValueQueryStringParameters).toEqual({ ['__proto__']: ['x'] });
    expect(Object.hasOwn(event.headers, '__proto__')).toBe(true);
  });
});

describe('what the local API Gateway refuses', () => {
  it('routes an absolute-form target and refuses one that is not a path', async () => {
    const absolute = await rawRequest(
      'GET http://localhost/catalog HTTP/1.1\r\nhost: localhost\r\nx-api-key: sk_test\r\nconnection: close\r\n\r\n',
    );
    expect(absolute.status).toBe(200);
    expect(events.at(-1)?.path).toBe('/catalog');

    const asterisk = await rawRequest('OPTIONS * HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n');
    expect(asterisk.status).toBe(400);
    expect(JSON.parse(asterisk.body)).toMatchObject({ status: 400, code: 'bad_request' });
  });

  it.each([
    ['a bad content-length', 'POST /orders HTTP/1.1\r\nhost: x\r\ncontent-length: abc\r\n\r\n', 400],
    ['two content-lengths', 'POST /orders HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n', 400],
    ['a space in the path', 'GET /mailboxes/a b HTTP/1.1\r\nhost: x\r\n\r\n', 400],
    ['bytes outside ASCII in the path', 'GET /mailboxes/\xce\xbb HTTP/1.1\r\nhost: x\r\n\r\n', 400],
    ['headers over 16 KB', `GET /catalog HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  ])('answers %s with a problem document', async (_, request, status) => {
    const response = await rawRequest(request);
    expect(response.status).toBe(status);
    expect(response.headers).toContain('content-type: application/problem+json');
    expect(JSON.parse(response.body)).toMatchObject({ status });
  });

  it('answers a function that throws with a 502 problem, and goes on answering', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const failed = await fetch(`${gateway.url}/password-setup`, { method: 'POST', body: 'fail' });
    expect(consoleError).toHaveBeenCalledWith('local gateway error', expect.any(Error));
    consoleError.mockRestore();
    expect(failed.status).toBe(502);
    expect(await failed.json()).toMatchObject({ code: 'bad_gateway' });
    expect((await fetch(`${gateway.url}/openapi.json`)).status).toBe(200);
  });
});

describe('requestTarget', () => {
  it('splits origin-form targets, keeping the path as sent', () => {
    const target = requestTarget('/mailboxes/a%40b%2F..?q=%41+b#fragment?x=1');
    expect(target?.path).toBe('/mailboxes/a%40b%2F..');
    expect([...(target?.query ?? [])]).toEqual([['q', 'A b']]);
  });

  it('takes the path of absolute-form targets and refuses anything else', () => {
    expect(requestTarget('http://example.com/catalog?x=1')?.path).toBe('/catalog');
    expect(requestTarget('*')).toBeUndefined();
    expect(requestTarget('catalog')).toBeUndefined();
    expect(requestTarget('http://[::1')).toBeUndefined();
  });
});
