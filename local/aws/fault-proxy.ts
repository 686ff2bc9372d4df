import { randomUUID } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { closeServer, listen, readBody } from './http-util.ts';

/*
 * Fault injection for the local stand-ins: a small HTTP proxy in front of a stand-in that answers
 * some requests with the error the real service gives under stress (DynamoDB throttling, SES and S3
 * unavailable), before the request takes effect or after it (the write happened, the answer was
 * lost: a timeout after charging). Each function signs its AWS calls with its own access key id
 * (`local-<handler>`, set by the local runtime), so a rule can target one workflow step's calls.
 */

export type FaultService = 'dynamodb' | 'ses' | 's3' | 'stripe';

export interface FaultRule {
  service: FaultService;
  /** The calling function's handler file name (`charge-payment`); any caller if left out. Stripe calls name none. */
  caller?: string;
  /**
   * The API action (`PutItem`, `SendEmail`), for S3 the HTTP method, for Stripe the method and path
   * with ids as `:id` (`POST /v1/payment_intents/:id/confirm`); any if left out.
   */
  operation?: string;
  /** Only requests whose path or body (or, for Stripe, Idempotency-Key) contains this text (an order id, an address). */
  contains?: string;
  /** How many matching requests fail; `Infinity` for every one. */
  times: number;
  /** `before` (default): refused, nothing happens. `after`: it takes effect, then the caller gets the error. */
  when?: 'before' | 'after';
}

export interface ActiveFault {
  readonly rule: FaultRule;
  /** How many requests this rule has failed so far. */
  readonly hits: number;
  /** Stops the rule. */
  remove(): void;
}

export class FaultInjector {
  readonly #rules = new Set<{ rule: FaultRule; hits: number }>();

  /** Arms a rule; it applies to the matching requests that arrive from now on. */
  add(rule: FaultRule): ActiveFault {
    const entry = { rule, hits: 0 };
    this.#rules.add(entry);
    return {
      rule,
      get hits() {
        return entry.hits;
      },
      remove: () => this.#rules.delete(entry),
    };
  }

  clear(): void {
    this.#rules.clear();
  }

  /** The rule that fails this request, if any (and counts the hit). */
  match(service: FaultService, request: { caller?: string; operation: string; text: string }): FaultRule | undefined {
    for (const entry of this.#rules) {
      const { rule } = entry;
      if (rule.service !== service || entry.hits >= rule.times) continue;
      if (rule.caller !== undefined && rule.caller !== request.caller) continue;
      if (rule.operation !== undefined && rule.operation !== request.operation) continue;
      if (rule.contains !== undefined && !request.text.includes(rule.contains)) continue;
      entry.hits++;
      return rule;
    }
    return undefined;
  }
}

/** The error each service answers under stress; every one is retryable for the AWS SDK. */
function faultResponse(service: FaultService): { status: number; headers: Record<string, string>; body: string } {
  const requestId = randomUUID();
  switch (service) {
    case 'dynamodb':
      return {
        status: 400,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId },
        body: JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
          message: 'Rate of requests exceeds the allowed throughput.',
        }),
      };
    case 'ses':
      return {
        status: 503,
        headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
        body: `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>Service is unavailable. Please try again later.</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      };
    case 'stripe':
      // Stripe's answer to a request it could not finish: an api_error, which the client retries.
      return {
        status: 500,
        headers: { 'content-type': 'application/json', 'request-id': `req_${requestId.replace(/-/g, '')}` },
        body: JSON.stringify({ error: { type: 'api_error', message: 'An unknown error occurred' } }),
      };
    case 's3':
      return {
        status: 503,
        headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
        body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>${requestId}</RequestId></Error>`,
      };
  }
}

function operationOf(
  service: FaultService,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: string,
): string {
  if (service === 's3') return method;
  if (service === 'stripe') return `${method} ${path.split('?')[0]?.replace(/\/(pi|pm|ch)_[A-Za-z0-9]+/g, '/:id')}`;
  if (service === 'ses') return new URLSearchParams(body).get('Action') ?? '';
  const target = String(headers['x-amz-target'] ?? '');
  return target.slice(target.indexOf('.') + 1);
}

/** The handler name in a SigV4 `Credential=local-<handler>/...` scope. */
function callerOf(headers: IncomingHttpHeaders): string | undefined {
  const match = String(headers.authorization ?? '').match(/Credential=local-([^/]+)\//);
  return match?.[1];
}

/** Starts a proxy in front of `target` (a stand-in's endpoint) that applies `faults`; answers its endpoint. */
export async function startFaultProxy(
  service: FaultService,
  target: string,
  faults: FaultInjector,
): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const text = body.toString('utf8');
      const method = req.method ?? 'GET';
      const rule = faults.match(service, {
        caller: callerOf(req.headers),
        operation: operationOf(service, method, req.url ?? '', req.headers, text),
        text: `${decodeURIComponentSafe(req.url ?? '')}\n${service === 'ses' ? decodeURIComponentSafe(text.replace(/\+/g, ' ')) : text}${service === 'stripe' ? `\n${req.headers['idempotency-key'] ?? ''}` : ''}`,
      });
      const fail = () => {
        const fault = faultResponse(service);
        res.writeHead(fault.status, fault.headers).end(fault.body);
      };
      if (rule && rule.when !== 'after') return fail();
      const forwarded = httpRequest({
        agent,
        host: upstream.hostname,
        port: upstream.port,
        method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      });
      forwarded.on('response', async (answer) => {
        const answerBody = await readBody(answer);
        if (rule) return fail(); // it took effect; the caller never learns it
        res.writeHead(answer.statusCode ?? 502, answer.headers).end(answerBody);
      });
      forwarded.on('error', (error) => res.writeHead(502).end(String(error)));
      forwarded.end(body);
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502).end(String(error));
    });
  });
  const endpoint = await listen(server);
  return {
    endpoint,
    stop: async () => {
      agent.destroy();
      await closeServer(server);
    },
  };
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
