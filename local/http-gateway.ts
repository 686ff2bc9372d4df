import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { API_ROUTES, type ApiRoute } from '../infra/api-routes.ts';
import type { LocalOutbox } from './aws/ses-server.ts';
import type { LocalFunction } from './template.ts';

export interface HttpGatewayOptions {
  port: number;
  storefrontApiKey: string;
  invoke: (fn: LocalFunction, event: unknown) => Promise<unknown>;
  outbox: LocalOutbox;
  verbose: boolean;
  /** Extra local-only routes (`/_local/...`), answered before the API routes. */
  localRoutes?: LocalRoute[];
}

export interface LocalRoute {
  method: string;
  pattern: RegExp;
  handle: (match: RegExpMatchArray, body: string) => Promise<{ status: number; body?: unknown }>;
}

export interface HttpGateway {
  url: string;
  /** Starts serving the API routes with these functions (until then they answer 503). */
  serve(functions: LocalFunction[]): void;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
/** The API key id the storefront key has locally (API Gateway passes the key's id, never the key). */
export const LOCAL_API_KEY_ID = 'local-storefront';

/**
 * Plays API Gateway (REST API, Lambda proxy integration) for the local runtime: the routes of
 * `infra/api-routes.ts`, the `x-api-key` check of the usage plan, and API Gateway's own refusals
 * answered with the same problem documents as the deployed gateway responses.
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
  const localRoutes: LocalRoute[] = [
    {
      method: 'GET',
      pattern: /^\/_local\/outbox$/,
      handle: async () => ({ status: 200, body: { messages: options.outbox.messages() } }),
    },
    ...(options.localRoutes ?? []),
  ];

  const server = createServer((request, response) => {
    const started = Date.now();
    handle(request, response)
      .catch((error: unknown) => {
        console.error('local gateway error', error);
        send(response, 502, problem(502, 'bad_gateway', 'Bad Gateway', 'The function failed; see the console.'));
      })
      .finally(() => {
        if (options.verbose)
          console.log(`${request.method} ${request.url} → ${response.statusCode} (${Date.now() - started} ms)`);
      });
  });

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    const body = await readBody(request);
    if (body === undefined) {
      return send(response, 413, problem(413, 'request_too_large', 'Content Too Large', 'The body is over 1 MB.'));
    }

    for (const local of localRoutes) {
      const match = url.pathname.match(local.pattern);
      if (match && local.method === method) {
        const result = await local.handle(match, body);
        return send(response, result.status, result.body);
      }
    }

    if (!routes) {
      return send(response, 503, problem(503, 'starting', 'Service Unavailable', 'The API is still starting.'));
    }
    const matched = routes.find((r) => r.route.method === method && r.pattern.test(url.pathname));
    if (!matched) {
      return send(response, 404, problem(404, 'not_found', 'Not Found', 'There is no such route.'));
    }
    if (matched.route.apiKey && request.headers['x-api-key'] !== options.storefrontApiKey) {
      return send(response, 401, problem(401, 'unauthorized', 'Unauthorized', 'A valid x-api-key header is required.'));
    }
    const event = proxyEvent(request, url, body, matched.route, matched.pattern);
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

function proxyEvent(
  request: IncomingMessage,
  url: URL,
  body: string,
  route: ApiRoute,
  pattern: RegExp,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] as string;
    const value = request.rawHeaders[i + 1] as string;
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    multiQuery[name] = [...(multiQuery[name] ?? []), value];
  }
  const groups = url.pathname.match(pattern)?.groups;
  const pathParameters = groups
    ? Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, decodeURIComponent(v)]))
    : null;
  const requestId = randomUUID();
  return {
    resource: route.path,
    path: url.pathname,
    httpMethod: route.method,
    headers,
    multiValueHeaders,
    queryStringParameters: url.searchParams.size > 0 ? query : null,
    multiValueQueryStringParameters: url.searchParams.size > 0 ? multiQuery : null,
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
      path: `/v1${url.pathname}`,
      stage: 'v1',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: route.path,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: route.apiKey ? (request.headers['x-api-key'] as string) : null,
        apiKeyId: route.apiKey ? LOCAL_API_KEY_ID : null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: (request.headers['user-agent'] as string) ?? null,
        userArn: null,
      },
    },
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
