import { type Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import fc from 'fast-check';
import { signatureHeader } from '../../functions/domain/webhook-signature.ts';
import type { ApiRoute } from '../../infra/api-routes.ts';
import { orderBody, RESELLER_DOCUMENTS, validHolder } from './fixtures.ts';
import { LOCAL_STRIPE_WEBHOOK_SECRET, LOCAL_WEBHOOK_SECRET } from './webhooks.ts';

/**
 * Generators of hostile HTTP requests for any route of `infra/api-routes.ts`: path segments with
 * valid and malformed percent escapes, query strings, bodies (random JSON, near-valid bodies with
 * mutated fields, text that is not JSON), odd headers. Requests are sent byte for byte as generated,
 * with `node:http` (fetch would normalise the path first).
 */

export interface HostileRequest {
  method: string;
  /** The request target as sent: path and query, already percent-encoded where it must be. */
  target: string;
  headers: Record<string, string>;
  body?: string;
  /** Sign the body as the payment provider, or Stripe, would (done at send time, when the clock is read). */
  signed?: false | 'payments' | 'stripe';
}

export interface HostileAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** Things the system knows about, so that some requests get past validation into the use cases. */
export interface KnownEntities {
  address: string;
  orderId: string;
  /** The gross total of `orderId`, so some signed credits match it to the cent. */
  grossCents: number;
}

// --- path segments and query strings -------------------------------------------------------------

const escapes = fc.constantFrom(
  '%',
  '%2',
  '%zz',
  '%ZZ',
  '%%',
  '%%41',
  '%u0041',
  '%25',
  '%2525',
  '%25zz',
  '%40',
  '%2540',
  '%2F',
  '%2f',
  '%2e',
  '%2E%2E',
  '%3F',
  '%23',
  '%00',
  '%0A',
  '%0D%0A',
  '%20',
  '%E0%A4%A',
  '%ED%A0%80',
  '%C0%AF',
  '%FF',
  '%FE%FF',
  '%F0%9F%98%80',
  '%CE%BB',
  '%EF%BF%BD',
);
// Visible ASCII a client may send unencoded (or should not, and some do).
const literals = fc.constantFrom(
  'a',
  'Z',
  '0',
  '@',
  '.',
  '..',
  '-',
  '_',
  '~',
  '+',
  '!',
  "'",
  '(',
  ')',
  '*',
  ';',
  ',',
  '=',
  '&',
  '$',
  ':',
  '[',
  ']',
  '"',
  '<',
  '>',
  '\\',
  '^',
  '`',
  '{',
  '|',
  '}',
  '/',
  '?',
  '#',
);
const encodedText = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }).map((text) => encodeURIComponent(text));
const word = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/);
const token = fc.oneof(escapes, literals, encodedText, word);

/** Addresses the product could sell, in the spellings clients use. */
const addressLike = fc
  .tuple(
    fc.stringMatching(/^[a-z0-9]{1,10}(\.[a-z0-9]{1,8})?$/),
    fc.constantFrom('pec.it', 'PEC.IT', 'arubapec.it', 'example.com', 'xn--pc-9ka.it'),
  )
  .map(([name, domain]) => `fuzz.${name}@${domain}`);

const segment = (known: KnownEntities) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.array(token, { minLength: 1, maxLength: 12 }).map((parts) => parts.join('')) },
    {
      // Very long: a few thousand characters of one token.
      weight: 1,
      arbitrary: fc
        .tuple(token, fc.integer({ min: 300, max: 6000 }))
        .map(([part, length]) => part.repeat(Math.ceil(length / part.length)).slice(0, length)),
    },
    { weight: 2, arbitrary: addressLike.map((address) => encodeURIComponent(address)) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        encodeURIComponent(known.address),
        known.address,
        encodeURIComponent(known.address.toUpperCase()),
        `%20${encodeURIComponent(known.address)}%20`,
        encodeURIComponent(encodeURIComponent(known.address)),
        known.orderId,
        known.orderId.toLowerCase(),
        encodeURIComponent(`${known.orderId}\u0000`),
      ),
    },
  );

const queryString = (known: KnownEntities) => {
  const key = fc.oneof(
    fc.constantFrom(
      'address',
      'status',
      'limit',
      'cursor',
      'expiresBefore',
      'token',
      'attention',
      'day',
      '__proto__',
      'constructor',
      '',
    ),
    segment(known),
  );
  const value = fc.oneof(
    segment(known),
    addressLike.map((address) => encodeURIComponent(address)),
    // The one list filter that has a single valid value (GET /operator/resellers?status=pending).
    fc.constant('pending'),
  );
  const pair = fc.oneof(
    fc.tuple(key, value).map(([k, v]) => `${k}=${v}`),
    key,
    fc.constantFrom('=', '&', '=='),
  );
  const address = fc.oneof(
    addressLike,
    addressLike.map((spelling) => ` ${spelling.toUpperCase()} `),
    fc.constant(known.address),
  );
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: fc.constant('?') },
    { weight: 4, arbitrary: fc.array(pair, { minLength: 1, maxLength: 5 }).map((pairs) => `?${pairs.join('&')}`) },
    {
      // The one query parameter the API has, in the spellings clients use, and mangled.
      weight: 4,
      arbitrary: fc.oneof(
        address.map((spelling) => `?address=${encodeURIComponent(spelling)}`),
        address.map((spelling) => `?address=${spelling.replaceAll(' ', '+')}`),
        segment(known).map((value) => `?address=${value}`),
        fc
          .tuple(address, address)
          .map(([a, b]) => `?address=${encodeURIComponent(a)}&address=${encodeURIComponent(b)}`),
      ),
    },
  );
};

/** A route's path with every `{param}` replaced by a hostile segment; sometimes a little off the route. */
const routeTarget = (route: ApiRoute, known: KnownEntities) => {
  const names = [...route.path.matchAll(/\{(\w+)\}/g)];
  return fc
    .tuple(
      fc.array(segment(known), { minLength: names.length, maxLength: names.length }),
      queryString(known),
      fc.oneof({ weight: 30, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('/', '//') }),
    )
    .map(([segments, query, suffix]) => {
      let index = 0;
      const path = route.path.replace(/\{\w+\}/g, () => segments[index++] ?? '');
      return `${path}${suffix}${query}`;
    });
};

// --- bodies --------------------------------------------------------------------------------------

const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    null,
    '',
    ' ',
    -1,
    0,
    1.5,
    1e308,
    -1e308,
    2 ** 53 + 2,
    '\u0000',
    '\ud800',
    'x\udfff',
    'a'.repeat(10_000),
    '%zz',
    'tok_declined',
    'tok_visa',
    'RSSMRA85T10A562S',
    '12345678903',
    'fuzz@pec.it',
    'card',
    'bank_transfer',
    'company',
    'evt_',
    '2025-12',
    '2026-01-01T00:00:00Z',
    '9999-99-99T99:99:99Z',
    true,
    false,
    [],
    {},
    { ...validHolder, kind: 'company' },
  ),
);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path into a JSON value, the value itself included. */
function pathsOf(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const children = Array.isArray(value)
    ? value.flatMap((item, index) => pathsOf(item, [...prefix, index]))
    : typeof value === 'object' && value !== null
      ? Object.entries(value).flatMap(([key, item]) => pathsOf(item, [...prefix, key]))
      : [];
  return [prefix, ...children];
}

interface Mutation {
  pick: number;
  kind: 'replace' | 'delete' | 'add';
  key: string;
  value: unknown;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  kind: fc.constantFrom('replace', 'delete', 'add'),
  key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'domainPec', 'token')),
  value: hostileValue,
});

/** `example` with one field replaced, removed, or given an unknown sibling. */
function mutate(example: unknown, change: Mutation): unknown {
  const root = structuredClone(example) as Json;
  const paths = pathsOf(root);
  const path = paths[change.pick % paths.length] ?? [];
  if (path.length === 0) return change.kind === 'replace' ? change.value : root;
  const parent = path.slice(0, -1).reduce<Json>((node, key) => (node as Record<string, Json>)[key] as Json, root);
  const key = path.at(-1) as string | number;
  const holder = parent as Record<string | number, unknown>;
  if (change.kind === 'replace') holder[key] = change.value;
  else if (change.kind === 'delete') delete holder[key];
  else if (typeof holder[key] === 'object' && holder[key] !== null && !Array.isArray(holder[key])) {
    Object.defineProperty(holder[key], change.key, { value: change.value, enumerable: true, writable: true });
  } else holder[key] = change.value;
  return root;
}

/**
 * A valid body for every route that takes one, from which near-valid bodies are made. A route that
 * takes a body and is missing here fails the fuzz test, so a new route cannot go unfuzzed.
 */
export function exampleBodies(known: KnownEntities): Record<string, fc.Arbitrary<unknown>> {
  return {
    'create-order': fc
      .tuple(
        addressLike,
        // Orders that wait for a credit: a valid one costs a workflow that waits, nothing more.
        fc.constantFrom<Record<string, unknown>>({ method: 'bank_transfer' }, { method: 'postal_slip' }),
        // A reseller's body (no payment, its documents, perhaps an initial password, weak or not):
        // valid with the reseller's key, refused naming its fields with a storefront's.
        fc.option(fc.constantFrom(undefined, 'Sole-Luna-2026!', 'password'), { nil: null }),
      )
      .map(([address, payment, reseller]) => {
        const body = orderBody({ address: address.toLowerCase(), payment });
        if (reseller === null) return body;
        const { payment: _payment, ...rest } = body;
        return { ...rest, documents: RESELLER_DOCUMENTS, ...(reseller ? { initialPassword: reseller } : {}) };
      }),
    'renew-mailbox': fc.constant({ years: 1, payment: { method: 'card', token: 'tok_visa' } }),
    // Takes no body (whatever is sent is ignored); the order it names is what matters.
    'cancel-order': fc.constant({}),
    'set-auto-renew': fc.boolean().map((enabled) => ({ enabled })),
    'put-reseller-settings': fc.nat(50_000).map((lowBalanceThresholdCents) => ({ lowBalanceThresholdCents })),
    'request-top-up': fc
      .tuple(
        fc.integer({ min: 1000, max: 100_000 }),
        fc.constantFrom<Record<string, unknown>>(
          { method: 'bank_transfer' },
          { method: 'postal_slip' },
          // Charged at once through the Stripe stand-in: succeeded, declined (402), or waiting for 3-D Secure.
          { method: 'card', paymentMethod: 'pm_card_visa' },
          { method: 'card', token: 'tok_chargeDeclined' },
          { method: 'card', paymentMethod: 'pm_card_authenticationRequired' },
          { method: 'paypal', paymentMethod: 'pm_paypal' },
        ),
      )
      .map(([amountCents, payment]) => ({ amountCents, payment })),
    'request-reseller-domain': fc
      .oneof(
        addressLike.map((address) => address.slice(address.indexOf('@') + 1)),
        fc.constantFrom('pec.it', 'gmail.com'),
      )
      .map((domain) => ({ domain })),
    // The route takes no body: whatever is sent is ignored.
    'check-reseller-domain': fc.constant({}),
    // The route takes no body: whatever is sent is ignored.
    'request-first-access-link': fc.constant({}),
    'request-password-reset': fc
      .oneof(addressLike, fc.constant(known.address), fc.constant(known.address.toUpperCase()))
      .map((address) => ({ address })),
    'request-dns-check': fc.constant({}),
    // The operator routes: a refund made by hand names its reference; the others take no body.
    'operator-refund-done': fc.stringMatching(/^[A-Z0-9-]{1,30}$/).map((reference) => ({ reference })),
    'operator-redrive': fc.constant({}),
    'operator-resend-emails': fc.constant({}),
    // Enrolment: a company's application (public, 5 an hour per IP: most valid ones meet the 429);
    // the decisions take no body but the rejection's reason.
    'enrol-reseller': fc.constantFrom('application/pdf', 'image/png').map((contentType) => ({
      company: {
        companyName: 'Fuzz S.r.l.',
        fiscalCode: '12345678903',
        vatNumber: '12345678903',
        residence: { street: 'Via Roma 1', postalCode: '52100', city: 'Arezzo', province: 'AR' },
        phone: '0575 000000',
        email: 'fuzz@example.com',
      },
      billing: { recipientCode: '0000000' },
      documents: { adhesionForm: { contentType }, identityDocument: { contentType } },
    })),
    'operator-approve-reseller': fc.constant({}),
    'operator-reject-reseller': fc.string({ minLength: 1, maxLength: 50 }).map((reason) => ({ reason })),
    'set-first-password': fc
      .stringMatching(/^[A-Za-z0-9_-]{43}$/)
      .map((accessToken) => ({ token: accessToken, password: 'Sole-Luna-2026!' })),
    'payments-webhook': fc
      .tuple(
        fc.stringMatching(/^[a-z0-9]{16}$/),
        fc.constantFrom('credit.registered', 'payment.succeeded', 'payment.failed'),
        fc.constantFrom(known.grossCents, known.grossCents + 1, 0),
      )
      .map(([id, type, amountCents]) => ({
        id: `evt_fuzz_${id}`,
        type,
        orderId: known.orderId,
        amountCents,
        currency: 'EUR',
        occurredAt: new Date().toISOString(),
      })),
    // A Stripe event about a PaymentIntent naming the known order, as the Stripe stand-in sends them.
    'stripe-webhook': fc
      .tuple(
        fc.stringMatching(/^[A-Za-z0-9]{24}$/),
        fc.constantFrom('payment_intent.succeeded', 'payment_intent.payment_failed', 'charge.refunded'),
      )
      .map(([id, type]) => ({
        id: `evt_${id}`,
        object: 'event',
        api_version: '2026-10-28.endive',
        created: Math.floor(Date.now() / 1000),
        data: {
          object: {
            id: `pi_${id}`,
            object: 'payment_intent',
            amount: known.grossCents,
            currency: 'eur',
            metadata: { orderId: known.orderId },
            status: 'succeeded',
          },
        },
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        type,
      })),
  };
}

const bodyText = (example: fc.Arbitrary<unknown> | undefined) =>
  fc.oneof(
    {
      weight: example ? 6 : 0,
      arbitrary: fc
        .tuple(example ?? fc.constant({}), fc.array(mutation, { minLength: 1, maxLength: 3 }))
        .map(([valid, changes]) => JSON.stringify(changes.reduce(mutate, valid)) ?? ''),
    },
    { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        ' ',
        'null',
        '[]',
        '{}',
        '"',
        '{"a":',
        '1e999',
        '-0',
        '\u0000',
        '{"__proto__":{"polluted":true}}',
        '{"constructor":{"prototype":{"polluted":true}}}',
        '{"a":"\\ud800"}',
        '\ufeff{}',
        'years=1&payment=card',
      ),
    },
    {
      // Deeper than any recursive parser's stack, well under the 1 MB body limit.
      weight: 1,
      arbitrary: fc.integer({ min: 1000, max: 150_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
    },
  );

// --- headers -------------------------------------------------------------------------------------

/** Characters Node lets a client put in a header value: tab, visible ASCII, and Latin-1 bytes. */
const headerText = (maxLength: number) =>
  fc.string({
    unit: fc
      .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(9))
      .map((code) => String.fromCharCode(code)),
    maxLength,
  });

const idempotencyKeys = fc.option(
  fc.oneof(
    fc.constantFrom('', ' ', 'a b', 'x'.repeat(255), 'x'.repeat(256), 'clé', '\t', 'fuzz-key'),
    headerText(300),
    fc.stringMatching(/^[\x21-\x7e]{1,40}$/),
  ),
  { nil: undefined, freq: 3 },
);

const contentTypes = fc.option(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    '',
    '*/*',
  ),
  { nil: undefined, freq: 4 },
);

const apiKeys = fc.oneof(
  { weight: 12, arbitrary: fc.constant<string | undefined>('sk_local_dev') },
  // The operator key: the operator routes' own (and refused by every storefront route).
  { weight: 6, arbitrary: fc.constant<string | undefined>('ok_local_ops') },
  // The reseller's key: orders without payment, with documents and an initial password.
  { weight: 2, arbitrary: fc.constant<string | undefined>('rk_local_reseller') },
  {
    weight: 1,
    arbitrary: fc.constantFrom<string | undefined>(undefined, '', 'sk_wrong', 'sk_local_dev ', 'SK_LOCAL_DEV'),
  },
);

/** The routes whose deliveries are signed, half of them correctly. */
const SIGNED_ROUTES: Record<string, 'payments' | 'stripe'> = {
  'payments-webhook': 'payments',
  'stripe-webhook': 'stripe',
};

const signatures = fc.oneof(
  { weight: 4, arbitrary: fc.constant<string | undefined>(undefined) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<string | undefined>(
      '',
      't=',
      'v1=',
      't=abc,v1=zz',
      't=1,v1=00',
      `t=1,v1=${'0'.repeat(64)}`,
      't=99999999999999999999,v1=00',
      't=1,t=2',
    ),
  },
  { weight: 1, arbitrary: headerText(120) },
);

// --- requests ------------------------------------------------------------------------------------

/** Hostile requests for `route`, most of them aimed at its own method and path. */
export function hostileRequests(route: ApiRoute, known: KnownEntities): fc.Arbitrary<HostileRequest> {
  const takesBody = route.method !== 'GET';
  const example = exampleBodies(known)[route.handler];
  return fc
    .record({
      method: fc.oneof(
        { weight: 19, arbitrary: fc.constant(route.method) },
        { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') },
      ),
      target: routeTarget(route, known),
      body: takesBody ? fc.option(bodyText(example), { nil: undefined, freq: 12 }) : fc.constant(undefined),
      apiKey: apiKeys,
      idempotencyKey: idempotencyKeys,
      contentType: contentTypes,
      // A correct signature on half of the webhook deliveries, so the parser behind it is fuzzed too.
      signed: fc.boolean().map((sign) => (sign ? (SIGNED_ROUTES[route.handler] ?? false) : false)),
      signature: signatures,
      extraHeader: fc.option(
        fc.tuple(fc.constantFrom('__proto__', 'constructor', 'x-forwarded-for', 'accept', 'x-api-key'), headerText(60)),
        { nil: undefined, freq: 5 },
      ),
    })
    .map(({ method, target, body, apiKey, idempotencyKey, contentType, signed, signature, extraHeader }) => {
      const headers: Record<string, string> = {};
      if (extraHeader) {
        const [name, value] = extraHeader;
        Object.defineProperty(headers, name, { value, enumerable: true, writable: true });
      }
      if (apiKey !== undefined) headers['x-api-key'] = apiKey;
      if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
      if (contentType !== undefined) headers['content-type'] = contentType;
      if (signature !== undefined)
        headers[route.handler === 'stripe-webhook' ? 'stripe-signature' : 'payment-signature'] = signature;
      // What goes on the wire is UTF-8: a lone surrogate in the generated text would become U+FFFD anyway.
      return { method, target, headers, body: body?.toWellFormed(), signed };
    });
}

/** Sends a request exactly as generated (the target is not normalised) and reads the whole answer. */
export function sendHostile(baseUrl: string, agent: Agent, hostile: HostileRequest): Promise<HostileAnswer> {
  const { hostname, port } = new URL(baseUrl);
  const headers = { ...hostile.headers };
  // Framed explicitly: Node sends a GET body unframed, and the server would read it as a next request.
  if (hostile.body !== undefined) headers['content-length'] = String(Buffer.byteLength(hostile.body));
  // Stripe signs with the same scheme as the payment provider, under its own header and secret.
  if (hostile.signed) {
    const [header, secret] =
      hostile.signed === 'stripe'
        ? ['stripe-signature', LOCAL_STRIPE_WEBHOOK_SECRET]
        : ['payment-signature', LOCAL_WEBHOOK_SECRET];
    headers[header] = signatureHeader(secret, Math.floor(Date.now() / 1000), hostile.body ?? '');
  }
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { hostname, port, method: hostile.method, path: hostile.target, headers, agent },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(hostile.body);
  });
}

/**
 * Why an answer breaks the contract, or `undefined`: no 5xx ever, and every refusal an RFC 9457
 * problem document (a validation failure naming its fields).
 */
export function contractBreach(answer: HostileAnswer): string | undefined {
  if (answer.status >= 500) return `answered ${answer.status}: ${answer.text.slice(0, 500)}`;
  if (answer.status < 400) return undefined;
  if (answer.headers['content-type'] !== 'application/problem+json') {
    return `a ${answer.status} without a problem document (content-type ${answer.headers['content-type']})`;
  }
  let problem: { status?: unknown; code?: unknown; type?: unknown; title?: unknown; errors?: unknown };
  try {
    problem = JSON.parse(answer.text);
  } catch {
    return `a ${answer.status} whose problem document is not JSON: ${answer.text.slice(0, 200)}`;
  }
  const { status, code, type, title, errors } = problem;
  if (status !== answer.status || typeof code !== 'string' || typeof type !== 'string' || typeof title !== 'string') {
    return `a malformed problem document: ${answer.text.slice(0, 300)}`;
  }
  if (code === 'validation_failed') {
    const named =
      Array.isArray(errors) &&
      errors.length > 0 &&
      errors.every((error) => typeof error?.path === 'string' && typeof error?.message === 'string');
    if (!named) return `a validation failure that names no field: ${answer.text.slice(0, 300)}`;
  }
  return undefined;
}
