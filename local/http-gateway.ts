import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { API_ROUTES, type ApiRoute } from '../infra/api-routes.ts';
import type { LocalFunction } from './template.ts';

export interface HttpGatewayOptions {
  port: number;
  /** The storefront keys: each one is a storefront of its own. */
  storefrontApiKeys: readonly string[];
  /** The operator key: what `/operator/*` routes accept in `x-api-key` locally (IAM's SigV4 in AWS). */
  operatorApiKey?: string;
  invoke: (fn: LocalFunction, event: unknown) => Promise<unknown>;
  verbose: boolean;
  /** Extra local-only routes (`/_local/...`), answered before the API routes. */
  localRoutes?: LocalRoute[];
}

export interface LocalRoute {
  method: string;
  pattern: RegExp;
  handle: (
    match: RegExpMatchArray,
    body: string,
    query: URLSearchParams,
  ) => Promise<{ status: number; body?: unknown }>;
}

export interface HttpGateway {
  url: string;
  /** Starts serving the API routes with these functions (until then they answer 503). */
  serve(functions: LocalFunction[]): void;
  /** Accepts one more key from now on, with its id: a key put on a usage plan at runtime (an approved reseller's). */
  acceptApiKey(key: string, id: string): void;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
/**
 * The id a storefront key has locally. API Gateway passes the functions the id of the key it
 * checked, never the key; the id names the storefront that owns the orders it places.
 */
export const localApiKeyId = (key: string) => `local-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;

/** Who an operator is locally: the caller API Gateway would pass as `userArn` after checking SigV4 with IAM. */
export const LOCAL_OPERATOR = 'local-operator';

/**
 * Plays API Gateway (REST API, Lambda proxy integration) for the local runtime: the routes of
 * `infra/api-routes.ts`, the `x-api-key` check of the usage plan, and API Gateway's own refusals
 * answered with the same problem documents as the deployed gateway responses.
 *
 * The event is built as a REST API builds it: `path` and `pathParameters` exactly as the client sent
 * them, still percent-encoded (the functions decode a parameter once, and answer 400 naming it when
 * it is malformed), while query string parameters arrive decoded. Nothing a client sends can end
 * this process: a malformed request is a 400 problem, a function that fails a 502 problem.
 */
export async function startHttpGateway(options: HttpGatewayOptions): Promise<HttpGateway> {
  let routes: { route: ApiRoute; fn: LocalFunction; pattern: RegExp }[] | undefined;
  const serve = (functions: LocalFunction[]) => {
    routes = API_ROUTES.map((route) => {
      const fn = functions.find((candidate) => candidate.handler === route.handler);
      if (!fn) throw new Error(`No function in the template serves ${route.method} ${route.path}`);
      return { route, fn, pattern: routePattern(route.path) };
    });
  };
  const localRoutes = options.localRoutes ?? [];
  const apiKeyIds = new Map(options.storefrontApiKeys.map((key) => [key, localApiKeyId(key)]));

  const server = createServer((request, response) => {
    const started = Date.now();
    handle(request, response)
      .catch((error: unknown) => {
        console.error('local gateway error', error);
        if (response.headersSent) response.destroy();
        else send(response, 502, problem(502, 'bad_gateway', 'Bad Gateway', 'The function failed; see the console.'));
      })
      .finally(() => {
        if (options.verbose)
          console.log(`${request.method} ${request.url} → ${response.statusCode} (${Date.now() - started} ms)`);
      });
  });
  // Requests Node's HTTP parser refuses (a bad content-length, headers over 16 KB, bytes that are
  // not allowed in a request line) get a problem document too, as API Gateway refuses them itself.
  server.on('clientError', (error: Error & { code?: string }, socket) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const body = JSON.stringify(
      tooLarge
        ? problem(431, 'headers_too_large', 'Request Header Fields Too Large', 'The request headers are too large.')
        : problem(400, 'bad_request', 'Bad Request', 'The request is not valid HTTP.'),
    );
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        `content-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const url = requestTarget(request.url ?? '/');
    if (!url) {
      return send(response, 400, problem(400, 'bad_request', 'Bad Request', 'The request target is not a URL path.'));
    }
    const method = request.method ?? 'GET';
    const body = await readBody(request);
    if (body === undefined) {
      return send(response, 413, problem(413, 'request_too_large', 'Content Too Large', 'The body is over 1 MB.'));
    }

    for (const local of localRoutes) {
      const match = url.path.match(local.pattern);
      if (match && local.method === method) {
        const result = await local.handle(match, body, url.query);
        return send(response, result.status, result.body);
      }
    }

    if (!routes) {
      return send(response, 503, problem(503, 'starting', 'Service Unavailable', 'The API is still starting.'));
    }
    const matched = routes.find((r) => r.route.method === method && r.pattern.test(url.path));
    if (!matched) {
      return send(response, 404, problem(404, 'not_found', 'Not Found', 'There is no such route.'));
    }
    const apiKey = request.headers['x-api-key'];
    const apiKeyId = typeof apiKey === 'string' ? apiKeyIds.get(apiKey) : undefined;
    if (matched.route.apiKey && !apiKeyId) {
      return send(response, 401, problem(401, 'unauthorized', 'Unauthorized', 'A valid x-api-key header is required.'));
    }
    // Operator routes: IAM in AWS; here the operator key. A storefront's key is known but not allowed.
    const operator =
      matched.route.operator && options.operatorApiKey !== undefined && apiKey === options.operatorApiKey;
    if (matched.route.operator && !operator) {
      return apiKeyId
        ? send(response, 403, problem(403, 'forbidden', 'Forbidden', 'Operator routes are not for storefront keys.'))
        : send(response, 401, problem(401, 'unauthorized', 'Unauthorized', 'The operator key is required.'));
    }
    const event = proxyEvent(request, url, body, matched.route, matched.pattern, apiKeyId, operator);
    const result = (await options.invoke(matched.fn, event)) as APIGatewayProxyResult;
    response.writeHead(result.statusCode, result.headers as Record<string, string>);
    response.end(result.body);
  }

  const url = await new Promise<string>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      const address = server.address();
      resolve(`http://localhost:${typeof address === 'object' && address ? address.port : options.port}`);
    });
  });
  return {
    url,
    serve,
    acceptApiKey: (key, id) => apiKeyIds.set(key, id),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `/orders/{orderId}` → a regular expression with one named group per path parameter. */
function routePattern(path: string): RegExp {
  const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, '(?<$1>[^/]+)');
  return new RegExp(`^${source}$`);
}

/**
 * The path and the query of a request target: origin-form (`/path?query`) or absolute-form
 * (`http://host/path?query`), a fragment dropped; `undefined` for anything else (`*`, garbage).
 * The path is kept as sent, percent escapes and all.
 */
export function requestTarget(target: string): { path: string; query: URLSearchParams } | undefined {
  let originForm = target;
  if (!target.startsWith('/')) {
    if (!URL.canParse(target)) return undefined;
    const url = new URL(target);
    originForm = `${url.pathname}${url.search}`;
  }
  const [beforeFragment = ''] = originForm.split('#', 1);
  const question = beforeFragment.indexOf('?');
  if (question < 0) return { path: beforeFragment, query: new URLSearchParams() };
  return {
    path: beforeFragment.slice(0, question),
    query: new URLSearchParams(beforeFragment.slice(question + 1)),
  };
}

function proxyEvent(
  request: IncomingMessage,
  url: { path: string; query: URLSearchParams },
  body: string,
  route: ApiRoute,
  pattern: RegExp,
  apiKeyId: string | undefined,
  operator = false,
): APIGatewayProxyEvent {
  const headerPairs: [string, string][] = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    headerPairs.push([request.rawHeaders[i] as string, request.rawHeaders[i + 1] as string]);
  }
  const { single: headers, multi: multiValueHeaders } = byName(headerPairs);
  const { single: query, multi: multiQuery } = byName([...url.query]);
  // As sent: API Gateway does not decode path parameters (the functions decode them, once).
  const groups = url.path.match(pattern)?.groups;
  const pathParameters = groups ? { ...groups } : null;
  const requestId = randomUUID();
  return {
    resource: route.path,
    path: url.path,
    httpMethod: route.method,
    headers,
    multiValueHeaders,
    queryStringParameters: url.query.size > 0 ? query : null,
    multiValueQueryStringParameters: url.query.size > 0 ? multiQuery : null,
    pathParameters,
    stageVariables: null,
    body: body.length > 0 ? body : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: route.method,
      path: `/v1${url.path}`,
      stage: 'v1',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: route.path,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: route.apiKey ? (request.headers['x-api-key'] as string) : null,
        apiKeyId: route.apiKey ? (apiKeyId ?? null) : null,
        caller: operator ? LOCAL_OPERATOR : null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: (request.headers['user-agent'] as string) ?? null,
        userArn: operator ? LOCAL_OPERATOR : null,
      },
    },
  };
}

/**
 * Name-value pairs as API Gateway's maps: the last value of each name, and all of them. Built with
 * own properties only, so a header or parameter called `__proto__` is just a name.
 */
function byName(pairs: [string, string][]) {
  const multi = new Map<string, string[]>();
  for (const [name, value] of pairs) multi.set(name, [...(multi.get(name) ?? []), value]);
  return {
    single: Object.fromEntries([...multi].map(([name, values]) => [name, values.at(-1) as string])),
    multi: Object.fromEntries(multi),
  };
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function problem(status: number, code: string, title: string, detail: string) {
  return { type: `https://pec-provisioning.dev/problems/${code}`, title, status, detail, code };
}

function send(response: ServerResponse, status: number, body: unknown) {
  const isProblem = typeof body === 'object' && body !== null && 'code' in body && status >= 400;
  response.writeHead(status, { 'content-type': isProblem ? 'application/problem+json' : 'application/json' });
  response.end(body === undefined ? '' : JSON.stringify(body));
}
