import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type Stripe from 'stripe';
import { closeServer, listen, readBody } from '../aws/http-util.ts';
import { type TestPaymentMethod, testPaymentMethod, testToken } from './test-payment-methods.ts';

/*
 * Local stand-in for the Stripe API, for the calls the Stripe adapter
 * (functions/adapters/stripe-payment-gateway.ts) makes and no more:
 *
 *   POST /v1/customers                   create (the holder's Customer a payment method is saved on)
 *   POST /v1/payment_intents             create (no confirmation), with `customer` and `setup_future_usage`
 *   GET  /v1/payment_intents/{id}        retrieve
 *   POST /v1/payment_intents/{id}/confirm  on session, or `off_session` (a saved method, the holder away)
 *   POST /v1/payment_intents/{id}/cancel
 *   POST /v1/refunds                     a whole refund of a succeeded PaymentIntent (`payment_intent`)
 *
 * It answers in Stripe's shapes (objects typed with the official package's types, which are
 * generated from Stripe's OpenAPI description; errors as Stripe's error object), checks the secret
 * key (Bearer), honours idempotency keys as Stripe does (the same key with the same parameters
 * replays the first answer, with `Idempotent-Replayed: true`; with other parameters it is a 400
 * `idempotency_error`; a request refused before it ran is not kept) and behaves as Stripe's test
 * mode for its test PaymentMethods and tokens (test-payment-methods.ts): a test id or a token makes
 * a new PaymentMethod (`pm_...`) for the payment, which a succeeded payment with
 * `setup_future_usage` saves on its Customer for off-session charges. Its events are delivered
 * to the webhook URL, signed as Stripe signs them (`Stripe-Signature: t=<unix>,v1=<hex
 * HMAC-SHA256(secret, "<t>.<payload>")>`), so `stripe.webhooks.constructEvent` verifies them.
 */

export interface LocalStripeOptions {
  /** The secret key the API accepts (`Authorization: Bearer <key>`). */
  secretKey: string;
  /** The webhook endpoint's signing secret (`whsec_...`). */
  webhookSecret: string;
  /** The event types the endpoint is subscribed to (default: those README tells to subscribe). */
  enabledEvents?: readonly string[];
}

export interface DeliveredEvent {
  event: Stripe.Event;
  /** The HTTP status of each delivery attempt (0: no answer). */
  attempts: number[];
}

export interface LocalStripe {
  /** `http://127.0.0.1:<port>`: the adapter's STRIPE_API_URL. */
  endpoint: string;
  /** Where events are delivered (the local gateway's `/webhooks/stripe`); none are sent before. */
  setWebhookUrl(url: string): void;
  /** A snapshot of every PaymentIntent. */
  paymentIntents(): Stripe.PaymentIntent[];
  /** A snapshot of every Refund. */
  refunds(): Stripe.Refund[];
  /** A snapshot of every Customer. */
  customers(): Stripe.Customer[];
  /** The events sent to the webhook endpoint, oldest first. */
  events(): DeliveredEvent[];
  /**
   * The holder finishes (or abandons) what a PaymentIntent waiting in `requires_action` asks for
   * (3-D Secure, PayPal's approval), as Stripe.js does: it succeeds, or goes back to
   * `requires_payment_method` with the authentication failure. Answers the PaymentIntent.
   */
  authenticate(paymentIntentId: string, approve: boolean): Stripe.PaymentIntent;
  /** Resolves when no webhook delivery is in flight. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** The events a deployment's webhook endpoint is subscribed to (README, "Stripe"). */
export const SUBSCRIBED_EVENTS = ['payment_intent.succeeded', 'payment_intent.payment_failed', 'charge.refunded'];

/** The API version the stand-in answers in, unless the client asks for another (`Stripe-Version`). */
const DEFAULT_API_VERSION = '2026-10-28.endive';
const ACCOUNT = 'acct_1LocalStandIn00';
const CANCELLABLE: Stripe.PaymentIntent.Status[] = [
  'requires_payment_method',
  'requires_capture',
  'requires_confirmation',
  'requires_action',
  'processing',
];

/** A Stripe API error: its HTTP status and Stripe's error object. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: Record<string, unknown>,
    /** Whether the request ran (its answer is kept under its idempotency key). */
    readonly executed = true,
  ) {
    super(String(error.message));
  }
}

const invalidRequest = (message: string, extra: Record<string, unknown> = {}, executed = true) =>
  new ApiError(400, { type: 'invalid_request_error', message, ...extra }, executed);

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;

export async function startStripeServer(options: LocalStripeOptions): Promise<LocalStripe> {
  const intents = new Map<string, Stripe.PaymentIntent>();
  /** The refund of each PaymentIntent refunded (a whole refund: one at most). */
  const refunds = new Map<string, Stripe.Refund>();
  const customers = new Map<string, Stripe.Customer>();
  /**
   * Every PaymentMethod made for a payment, by its id: what it does (its test behaviour), the
   * Customer it is saved on (none until a payment with `setup_future_usage` succeeds with it) and
   * whether that payment set it up for off-session charges.
   */
  const methods = new Map<string, SavedMethod>();
  const idempotency = new Map<string, { fingerprint: string; status: number; body: string }>();
  const delivered: DeliveredEvent[] = [];
  const inFlight = new Set<Promise<void>>();
  const enabled = new Set(options.enabledEvents ?? SUBSCRIBED_EVENTS);
  let webhookUrl: string | undefined;

  const snapshot = (intent: Stripe.PaymentIntent): Stripe.PaymentIntent => structuredClone(intent);
  const now = () => Math.floor(Date.now() / 1000);

  function emit(
    type: string,
    object: Stripe.PaymentIntent | Stripe.Charge,
    request: { idempotencyKey?: string | undefined },
  ) {
    if (!enabled.has(type) || !webhookUrl) return;
    const event = {
      id: id('evt'),
      object: 'event',
      api_version: DEFAULT_API_VERSION,
      created: now(),
      data: { object: structuredClone(object) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: id('req'), idempotency_key: request.idempotencyKey ?? null },
      type,
    } as unknown as Stripe.Event;
    const record: DeliveredEvent = { event, attempts: [] };
    delivered.push(record);
    const delivery = deliver(webhookUrl, options.webhookSecret, record).finally(() => inFlight.delete(delivery));
    inFlight.add(delivery);
  }

  function find(intentId: string): Stripe.PaymentIntent {
    const intent = intents.get(intentId);
    if (!intent) {
      throw new ApiError(
        404,
        {
          type: 'invalid_request_error',
          code: 'resource_missing',
          message: `No such payment_intent: '${intentId}'`,
          param: 'intent',
          doc_url: 'https://stripe.com/docs/error-codes/resource-missing',
        },
        false,
      );
    }
    return intent;
  }

  function create(params: Params): Stripe.PaymentIntent {
    const amount = Number(params.amount);
    if (params.amount === undefined) throw missing('amount');
    if (params.currency === undefined) throw missing('currency');
    if (!Number.isInteger(amount) || amount < 50) {
      throw invalidRequest('Amount must be at least €0.50 eur', { code: 'amount_too_small', param: 'amount' }, false);
    }
    const types = asArray(params.allowed_payment_method_types) ?? ['card'];
    const customer = typeof params.customer === 'string' ? params.customer : null;
    if (customer !== null && !customers.has(customer)) {
      throw invalidRequest(
        `No such customer: '${customer}'`,
        {
          code: 'resource_missing',
          param: 'customer',
          doc_url: 'https://stripe.com/docs/error-codes/resource-missing',
        },
        false,
      );
    }
    const setupFutureUsage = params.setup_future_usage;
    if (setupFutureUsage !== undefined && setupFutureUsage !== 'off_session' && setupFutureUsage !== 'on_session') {
      throw invalidRequest(
        `Invalid setup_future_usage: must be one of on_session or off_session`,
        { code: 'parameter_invalid_string', param: 'setup_future_usage' },
        false,
      );
    }
    const intentId = id('pi');
    const intent: Stripe.PaymentIntent = {
      id: intentId,
      object: 'payment_intent',
      allowed_payment_method_types: types as Stripe.PaymentIntent.AllowedPaymentMethodType[],
      amount,
      amount_capturable: 0,
      amount_details: { tip: {} },
      amount_received: 0,
      application: null,
      application_fee_amount: null,
      automatic_payment_methods: null,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: 'automatic_async',
      client_secret: `${intentId}_secret_${randomBytes(12).toString('hex')}`,
      confirmation_method: 'automatic',
      created: now(),
      currency: String(params.currency).toLowerCase(),
      customer,
      customer_account: null,
      description: typeof params.description === 'string' ? params.description : null,
      excluded_payment_method_types: null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      managed_payments: null,
      metadata: asStrings(params.metadata),
      next_action: null,
      on_behalf_of: null,
      payment_method: null,
      payment_method_configuration_details: null,
      payment_method_options: {},
      payment_method_types: types,
      payment_record: null,
      processing: null,
      receipt_email: null,
      review: null,
      setup_future_usage: setupFutureUsage ?? null,
      shipping: null,
      source: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: 'requires_payment_method',
      transfer_group: null,
    };
    intents.set(intentId, intent);
    return intent;
  }

  /**
   * The PaymentMethod a confirmation names: a test id or a token makes a new one (as Stripe does);
   * the id of one made before is that one, usable again only once it is saved on a Customer; none
   * named, the one the PaymentIntent has.
   */
  function paymentMethodOf(intent: Stripe.PaymentIntent, params: Params): { id: string; saved: SavedMethod } {
    const fresh = (method: TestPaymentMethod) => ({ id: id('pm'), saved: { method, customer: null, setUp: false } });
    if (typeof params.payment_method === 'string') {
      const method = testPaymentMethod(params.payment_method);
      if (method) return fresh(method);
      const saved = methods.get(params.payment_method);
      if (!saved) {
        throw invalidRequest(`No such PaymentMethod: '${params.payment_method}'`, {
          code: 'resource_missing',
          param: 'payment_method',
        });
      }
      if (saved.customer === null) {
        throw invalidRequest(
          'The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must attach it to a Customer first.',
          { param: 'payment_method' },
        );
      }
      return { id: params.payment_method, saved };
    }
    const data = params.payment_method_data as Params | undefined;
    const token = (data?.card as Params | undefined)?.token;
    if (data && data.type === 'card' && typeof token === 'string') {
      const method = testToken(token);
      if (!method) {
        throw invalidRequest(`No such token: '${token}'`, {
          code: 'resource_missing',
          param: 'payment_method_data[card][token]',
        });
      }
      return fresh(method);
    }
    const attached = typeof intent.payment_method === 'string' ? intent.payment_method : undefined;
    const saved = attached ? methods.get(attached) : undefined;
    if (attached && saved) return { id: attached, saved };
    throw invalidRequest(
      "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method or ConfirmationToken.",
      { code: 'payment_intent_unexpected_state', payment_intent: snapshot(intent) },
    );
  }

  function confirm(intent: Stripe.PaymentIntent, params: Params, idempotencyKey: string | undefined) {
    if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(intent.status)) {
      throw invalidRequest(
        `You cannot confirm this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, requires_payment_method, requires_action.`,
        { code: 'payment_intent_unexpected_state', payment_intent: snapshot(intent) },
      );
    }
    const { id: paymentMethodId, saved } = paymentMethodOf(intent, params);
    const { method } = saved;
    if (!intent.payment_method_types.includes(method.type)) {
      throw invalidRequest(
        `The PaymentMethod provided (${method.type}) is not allowed for this PaymentIntent. Please attach a PaymentMethod of one of the following types: ${intent.payment_method_types.join(', ')}. Alternatively, update the allowed payment_method_types for this PaymentIntent to include "${method.type}".`,
        { code: 'payment_intent_incompatible_payment_method', param: 'payment_method' },
      );
    }
    methods.set(paymentMethodId, saved);
    intent.payment_method = paymentMethodId;
    intent.last_payment_error = null;
    // Off session the holder is away: nobody can authenticate, so a payment that needs it is declined.
    const offSession = params.off_session === 'true';
    const outcome = method.outcome;
    switch (outcome.kind) {
      case 'succeeds':
        succeed(intent, idempotencyKey);
        return intent;
      case 'requires_action':
        if (offSession) {
          const setUp = outcome.offSession === 'unless_set_up' && saved.setUp && saved.customer === intent.customer;
          if (setUp) {
            succeed(intent, idempotencyKey);
            return intent;
          }
          return decline(intent, idempotencyKey, {
            code: 'authentication_required',
            decline_code: 'authentication_required',
            doc_url: 'https://stripe.com/docs/error-codes/authentication-required',
            message: 'Your card was declined. This transaction requires authentication.',
          });
        }
        intent.status = 'requires_action';
        intent.next_action =
          method.type === 'paypal'
            ? {
                type: 'redirect_to_url',
                redirect_to_url: {
                  return_url: typeof params.return_url === 'string' ? params.return_url : null,
                  url: `https://pm-redirects.stripe.com/authorize/${ACCOUNT}/pa_nonce_${randomBytes(12).toString('hex')}`,
                },
              }
            : {
                type: 'use_stripe_sdk',
                use_stripe_sdk: {
                  type: 'three_d_secure_redirect',
                  stripe_js: 'https://hooks.stripe.com/3d_secure_2/hosted',
                },
              };
        return intent;
      case 'declines':
        return decline(intent, idempotencyKey, {
          code: 'card_declined',
          decline_code: outcome.declineCode,
          doc_url: 'https://stripe.com/docs/error-codes/card-declined',
          message: 'Your card was declined.',
        });
    }
  }

  /** A charge the issuer refused: a `card_error` (402); the PaymentIntent keeps the error and waits for another method. */
  function decline(
    intent: Stripe.PaymentIntent,
    idempotencyKey: string | undefined,
    refusal: { code: string; decline_code: string; doc_url: string; message: string },
  ): never {
    const error = { charge: id('ch'), ...refusal, type: 'card_error' as const };
    intent.status = 'requires_payment_method';
    intent.latest_charge = error.charge;
    intent.last_payment_error = error as Stripe.PaymentIntent.LastPaymentError;
    emit('payment_intent.payment_failed', intent, { idempotencyKey });
    throw new ApiError(402, { ...error, payment_intent: snapshot(intent) });
  }

  function succeed(intent: Stripe.PaymentIntent, idempotencyKey: string | undefined) {
    intent.status = 'succeeded';
    intent.next_action = null;
    intent.amount_received = intent.amount;
    intent.latest_charge = id('ch');
    // A payment made to be used again saves its method on its Customer, set up for off-session charges.
    const saved = typeof intent.payment_method === 'string' ? methods.get(intent.payment_method) : undefined;
    if (saved && intent.setup_future_usage && typeof intent.customer === 'string') {
      saved.customer = intent.customer;
      saved.setUp = true;
    }
    emit('payment_intent.succeeded', intent, { idempotencyKey });
  }

  /** A Customer in Stripe's shape, with what the request named (`email`, `name`, `description`, `metadata`). */
  function createCustomer(params: Params): Stripe.Customer {
    const text = (name: string) => (typeof params[name] === 'string' ? String(params[name]) : null);
    const customer = {
      id: id('cus'),
      object: 'customer',
      address: null,
      balance: 0,
      created: now(),
      currency: null,
      default_source: null,
      delinquent: false,
      description: text('description'),
      discount: null,
      email: text('email'),
      invoice_prefix: randomBytes(4).toString('hex').toUpperCase(),
      invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
      livemode: false,
      metadata: asStrings(params.metadata),
      name: text('name'),
      next_invoice_sequence: 1,
      phone: null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: null,
    } as unknown as Stripe.Customer;
    customers.set(customer.id, customer);
    return customer;
  }

  function cancel(intent: Stripe.PaymentIntent, params: Params, idempotencyKey: string | undefined) {
    if (!CANCELLABLE.includes(intent.status)) {
      throw invalidRequest(
        `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELLABLE.join(', ')}.`,
        { code: 'payment_intent_unexpected_state', payment_intent: snapshot(intent) },
      );
    }
    intent.status = 'canceled';
    intent.next_action = null;
    intent.canceled_at = now();
    intent.cancellation_reason =
      typeof params.cancellation_reason === 'string'
        ? (params.cancellation_reason as Stripe.PaymentIntent.CancellationReason)
        : null;
    emit('payment_intent.canceled', intent, { idempotencyKey });
    return intent;
  }

  /**
   * A whole refund of a succeeded PaymentIntent's charge: succeeds at once (as a card refund does in
   * test mode), and Stripe then sends `charge.refunded` with the charge, whose metadata is the
   * PaymentIntent's.
   */
  function refund(params: Params, idempotencyKey: string | undefined): Stripe.Refund {
    if (typeof params.payment_intent !== 'string') throw missing('payment_intent');
    const intent = intents.get(params.payment_intent);
    if (!intent) {
      throw invalidRequest(
        `No such payment_intent: '${params.payment_intent}'`,
        { code: 'resource_missing', param: 'payment_intent' },
        false,
      );
    }
    const chargeId = typeof intent.latest_charge === 'string' ? intent.latest_charge : null;
    if (intent.status !== 'succeeded' || !chargeId) {
      throw invalidRequest(
        `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`,
        { param: 'payment_intent' },
        false,
      );
    }
    if (refunds.has(intent.id)) {
      throw invalidRequest(`Charge ${chargeId} has already been refunded.`, { code: 'charge_already_refunded' });
    }
    const made = {
      id: id('re'),
      object: 'refund',
      amount: intent.amount,
      balance_transaction: id('txn'),
      charge: chargeId,
      created: now(),
      currency: intent.currency,
      destination_details: {
        card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' },
        type: 'card',
      },
      metadata: {},
      payment_intent: intent.id,
      reason: null,
      receipt_number: null,
      source_transfer_reversal: null,
      status: 'succeeded',
      transfer_reversal: null,
    } as unknown as Stripe.Refund;
    refunds.set(intent.id, made);
    const charge = {
      id: chargeId,
      object: 'charge',
      amount: intent.amount,
      amount_captured: intent.amount,
      amount_refunded: intent.amount,
      captured: true,
      created: intent.created,
      currency: intent.currency,
      livemode: false,
      metadata: { ...intent.metadata },
      paid: true,
      payment_intent: intent.id,
      payment_method: intent.payment_method,
      refunded: true,
      status: 'succeeded',
    } as unknown as Stripe.Charge;
    emit('charge.refunded', charge, { idempotencyKey });
    return made;
  }

  /** Routes one authenticated request; answers the resource. */
  function route(method: string, path: string, params: Params, idempotencyKey: string | undefined) {
    if (method === 'POST' && path === '/v1/refunds') return refund(params, idempotencyKey);
    if (method === 'POST' && path === '/v1/customers') return createCustomer(params);
    const match = path.match(/^\/v1\/payment_intents(?:\/([^/]+)(?:\/(confirm|cancel))?)?$/);
    if (match && method === 'POST' && !match[1]) return create(params);
    if (match?.[1] && method === 'GET' && !match[2]) return find(decodeURIComponent(match[1]));
    if (match?.[1] && method === 'POST' && match[2] === 'confirm') {
      return confirm(find(decodeURIComponent(match[1])), params, idempotencyKey);
    }
    if (match?.[1] && method === 'POST' && match[2] === 'cancel') {
      return cancel(find(decodeURIComponent(match[1])), params, idempotencyKey);
    }
    throw new ApiError(
      404,
      {
        type: 'invalid_request_error',
        message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
      },
      false,
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = (await readBody(req)).toString('utf8');
    const headers = {
      'request-id': id('req'),
      'stripe-version': String(req.headers['stripe-version'] ?? DEFAULT_API_VERSION),
    };
    const send = (status: number, text: string, extra: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers, ...extra }).end(text);

    const key = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (key !== options.secretKey) {
      const message = key
        ? `Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`
        : "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').";
      return send(401, JSON.stringify({ error: { message, type: 'invalid_request_error' } }));
    }

    const idempotencyKey = method === 'POST' ? headerValue(req.headers['idempotency-key']) : undefined;
    const fingerprint = createHash('sha256')
      .update(`${method} ${url.pathname}\n${canonical(body)}`)
      .digest('hex');
    const kept = idempotencyKey ? idempotency.get(idempotencyKey) : undefined;
    if (kept && idempotencyKey) {
      if (kept.fingerprint !== fingerprint) {
        const error = {
          type: 'idempotency_error',
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        };
        return send(400, JSON.stringify({ error }));
      }
      return send(kept.status, kept.body, { 'idempotency-key': idempotencyKey, 'idempotent-replayed': 'true' });
    }

    let status = 200;
    let text: string;
    let executed = true;
    try {
      const params = method === 'GET' ? parseForm(url.search.slice(1)) : parseForm(body);
      text = JSON.stringify(route(method, url.pathname, params, idempotencyKey));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      status = error.status;
      executed = error.executed;
      text = JSON.stringify({
        error: { ...error.error, request_log_url: `https://dashboard.stripe.com/test/logs/${headers['request-id']}` },
      });
    }
    if (idempotencyKey && executed) idempotency.set(idempotencyKey, { fingerprint, status, body: text });
    return send(status, text, idempotencyKey ? { 'idempotency-key': idempotencyKey } : {});
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const body = JSON.stringify({ error: { type: 'api_error', message: String(error) } });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(body);
    });
  });
  const endpoint = await listen(server);

  return {
    endpoint,
    setWebhookUrl: (url) => {
      webhookUrl = url;
    },
    paymentIntents: () => [...intents.values()].map(snapshot),
    refunds: () => [...refunds.values()].map((made) => structuredClone(made)),
    customers: () => [...customers.values()].map((customer) => structuredClone(customer)),
    events: () => delivered.map((record) => ({ event: structuredClone(record.event), attempts: [...record.attempts] })),
    authenticate(paymentIntentId, approve) {
      const intent = intents.get(paymentIntentId);
      if (intent?.status !== 'requires_action') {
        throw new Error(`The PaymentIntent ${paymentIntentId} is not waiting for the holder.`);
      }
      if (approve) {
        succeed(intent, undefined);
      } else {
        intent.status = 'requires_payment_method';
        intent.next_action = null;
        intent.last_payment_error = {
          code: 'payment_intent_authentication_failure',
          doc_url: 'https://stripe.com/docs/error-codes/payment-intent-authentication-failure',
          message:
            'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
          type: 'invalid_request_error',
        } as Stripe.PaymentIntent.LastPaymentError;
        emit('payment_intent.payment_failed', intent, {});
      }
      return snapshot(intent);
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async stop() {
      await Promise.allSettled([...inFlight]);
      await closeServer(server);
    },
  };
}

/** Delivers an event as Stripe does: a JSON POST signed with the endpoint's secret, retried a few times. */
async function deliver(url: string, secret: string, record: DeliveredEvent): Promise<void> {
  const payload = JSON.stringify(record.event, null, 2);
  for (let attempt = 0; attempt < 4; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'stripe-signature': `t=${timestamp},v1=${signature}`,
        },
        body: payload,
        signal: AbortSignal.timeout(30_000),
      });
      await response.arrayBuffer();
      record.attempts.push(response.status);
      if (response.ok) return;
    } catch {
      record.attempts.push(0);
    }
  }
}

type Params = { [key: string]: string | Params | undefined };

/** A PaymentMethod the stand-in made: its test behaviour, and the Customer it is saved on for off-session charges. */
interface SavedMethod {
  method: TestPaymentMethod;
  customer: string | null;
  /** Saved by a succeeded payment with `setup_future_usage` (authenticated then, if it had to be). */
  setUp: boolean;
}

/** Form parameters as Stripe reads them: `metadata[orderId]=X`, `allowed_payment_method_types[0]=card`. */
export function parseForm(text: string): Params {
  const root: Params = {};
  for (const [name, value] of new URLSearchParams(text)) {
    const path = name.split(/\[|\]\[|\]/).filter((part, index) => index === 0 || part !== '');
    let node = root;
    for (const [index, part] of path.entries()) {
      if (index === path.length - 1) node[part] = value;
      else {
        const next = node[part];
        const child: Params = typeof next === 'object' ? next : {};
        node[part] = child;
        node = child;
      }
    }
  }
  return root;
}

const asArray = (value: Params[string]): string[] | undefined =>
  value && typeof value === 'object'
    ? Object.keys(value)
        .sort((a, b) => Number(a) - Number(b))
        .map((key) => String(value[key]))
    : undefined;

const asStrings = (value: Params[string]): Record<string, string> =>
  value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)])) : {};

const missing = (param: string) =>
  invalidRequest(`Missing required param: ${param}.`, { code: 'parameter_missing', param }, false);

const headerValue = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** The parameters of a form body in a canonical order, so the same parameters compare equal. */
const canonical = (body: string) =>
  [...new URLSearchParams(body)]
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join('&');
