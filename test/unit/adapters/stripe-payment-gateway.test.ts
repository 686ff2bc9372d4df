import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stripeClients } from '../../../functions/adapters/clients/stripe.ts';
import { stripePaymentGateway } from '../../../functions/adapters/stripe-payment-gateway.ts';
import { ErrorName } from '../../../functions/domain/errors.ts';
import type { PaymentGateway, PaymentRequest } from '../../../functions/use-cases/ports.ts';
import {
  authenticationRequired,
  cardDeclined,
  invalidRequest,
  paymentIntent,
  publishedCustomer,
  publishedPaymentMethod,
  publishedRefund,
} from '../../support/stripe/fixtures.ts';

/*
 * The Stripe adapter with the official `stripe` package, against an HTTP server that answers with
 * recorded Stripe responses (Stripe's published example objects, see support/stripe/fixtures.ts):
 * what each call sends (path, form parameters, idempotency key, key) and how each answer is read.
 */

interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  form: URLSearchParams;
}

let server: Server;
let apiUrl: string;
const requests: Recorded[] = [];
const answers: { status: number; body: unknown }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        headers: req.headers,
        form: new URLSearchParams(req.method === 'GET' ? url.search : Buffer.concat(chunks).toString('utf8')),
      });
      const answer = answers.shift() ?? { status: 500, body: { error: { type: 'api_error', message: 'unexpected' } } };
      res.writeHead(answer.status, { 'content-type': 'application/json', 'request-id': 'req_test' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
afterEach(() => {
  requests.length = 0;
  answers.length = 0;
});

const answer = (status: number, body: unknown) => answers.push({ status, body });

function gateway(options: { key?: string; sandbox?: boolean; url?: string } = {}): PaymentGateway {
  return stripePaymentGateway({
    secretKey: async () => options.key ?? 'sk_test_unit',
    sandbox: options.sandbox ?? true,
    client: stripeClients({ apiUrl: options.url ?? apiUrl }),
  });
}

const request: PaymentRequest = {
  orderId: 'ORDER0000001',
  idempotencyKey: 'order-ORDER0000001',
  amountCents: 610,
  currency: 'EUR',
  method: 'card',
  description: 'PEC mario.rossi@pec.it (1 anni)',
};
const confirmation = { idempotencyKey: 'order-ORDER0000001-confirm', credential: { paymentMethod: 'pm_card_visa' } };
const PI = paymentIntent().id;

describe('createPayment', () => {
  it('creates an unconfirmed PaymentIntent for the order, under its idempotency key, and answers its id', async () => {
    answer(200, paymentIntent());

    expect(await gateway().createPayment(request)).toBe(PI);

    const [sent] = requests;
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/v1/payment_intents');
    expect(sent?.headers['idempotency-key']).toBe('order-ORDER0000001');
    expect(sent?.headers.authorization).toBe('Bearer sk_test_unit');
    expect(Object.fromEntries(sent?.form ?? [])).toEqual({
      amount: '610',
      currency: 'eur',
      'allowed_payment_method_types[0]': 'card',
      description: 'PEC mario.rossi@pec.it (1 anni)',
      'metadata[orderId]': 'ORDER0000001',
    });
  });

  it('allows PayPal, as a Stripe payment method type, for a PayPal order', async () => {
    answer(200, paymentIntent({ payment_method_types: ['paypal'] }));

    await gateway().createPayment({ ...request, method: 'paypal' });

    expect(requests[0]?.form.get('allowed_payment_method_types[0]')).toBe('paypal');
  });
});

describe('createPayment for a reseller top-up', () => {
  it('names the top-up in metadata.topUpId, never an order, under the top-up idempotency key', async () => {
    answer(200, paymentIntent({ metadata: { topUpId: 'TOPUP0000001' } }));
    const { orderId: _order, ...fields } = request;

    await gateway().createPayment({
      ...fields,
      topUpId: 'TOPUP0000001',
      idempotencyKey: 'topup-TOPUP0000001',
      amountCents: 12_200,
    });

    const [sent] = requests;
    expect(sent?.headers['idempotency-key']).toBe('topup-TOPUP0000001');
    expect(Object.fromEntries(sent?.form ?? [])).toMatchObject({
      amount: '12200',
      'metadata[topUpId]': 'TOPUP0000001',
    });
    expect(sent?.form.has('metadata[orderId]')).toBe(false);
    expect(sent?.form.has('setup_future_usage')).toBe(false);
  });
});

describe('createPayment for automatic renewals (a saved payment method)', () => {
  const CUSTOMER = publishedCustomer().id;
  const SAVE_FOR = { idempotencyKey: 'order-ORDER0000001-customer', email: 'mario.rossi@example.com' };

  it('saving the method: creates the holder’s Customer under its own key, then the PaymentIntent for it with setup_future_usage off_session', async () => {
    answer(200, { ...publishedCustomer(), email: SAVE_FOR.email, metadata: { orderId: 'ORDER0000001' } });
    answer(200, paymentIntent({ customer: CUSTOMER, setup_future_usage: 'off_session' }));

    expect(await gateway().createPayment({ ...request, saveFor: SAVE_FOR })).toBe(PI);

    const [customer, intent] = requests;
    expect(customer).toMatchObject({ method: 'POST', path: '/v1/customers' });
    expect(customer?.headers['idempotency-key']).toBe('order-ORDER0000001-customer');
    expect(Object.fromEntries(customer?.form ?? [])).toEqual({
      email: 'mario.rossi@example.com',
      'metadata[orderId]': 'ORDER0000001',
    });
    expect(intent?.path).toBe('/v1/payment_intents');
    expect(intent?.headers['idempotency-key']).toBe('order-ORDER0000001');
    expect(Object.fromEntries(intent?.form ?? [])).toMatchObject({
      customer: CUSTOMER,
      setup_future_usage: 'off_session',
      'metadata[orderId]': 'ORDER0000001',
    });
  });

  it('an off-session charge: the PaymentIntent is for the saved method’s Customer, creating no Customer and saving nothing', async () => {
    answer(200, paymentIntent({ customer: CUSTOMER }));

    await gateway().createPayment({ ...request, customerId: CUSTOMER });

    expect(requests).toHaveLength(1);
    const form = Object.fromEntries(requests[0]?.form ?? []);
    expect(form).toMatchObject({ customer: CUSTOMER });
    expect(form).not.toHaveProperty('setup_future_usage');
  });

  it('a Customer Stripe cannot create now is transient: nothing else is asked', async () => {
    answer(500, { error: { type: 'api_error', message: 'An unknown error occurred' } });
    answer(500, { error: { type: 'api_error', message: 'An unknown error occurred' } });

    await expect(gateway().createPayment({ ...request, saveFor: SAVE_FOR })).rejects.toMatchObject({
      name: ErrorName.PaymentGatewayUnavailableError,
    });
    expect(requests.map((sent) => sent.path)).toEqual(['/v1/customers', '/v1/customers']);
  });
});

describe('confirmPayment', () => {
  it('confirms with the PaymentMethod under its own key, asking for next actions Stripe.js can handle', async () => {
    answer(200, paymentIntent({ status: 'succeeded', amount_received: 610, latest_charge: 'ch_1' }));

    expect(await gateway().confirmPayment(PI, confirmation)).toEqual({ status: 'succeeded', chargeId: PI });

    const [sent] = requests;
    expect(sent?.path).toBe(`/v1/payment_intents/${PI}/confirm`);
    expect(sent?.headers['idempotency-key']).toBe('order-ORDER0000001-confirm');
    expect(Object.fromEntries(sent?.form ?? [])).toEqual({ payment_method: 'pm_card_visa', use_stripe_sdk: 'true' });
  });

  it('confirms an older token as a card PaymentMethod made from it', async () => {
    answer(200, paymentIntent({ status: 'succeeded' }));

    await gateway().confirmPayment(PI, { ...confirmation, credential: { token: 'tok_visa' } });

    expect(Object.fromEntries(requests[0]?.form ?? [])).toEqual({
      'payment_method_data[type]': 'card',
      'payment_method_data[card][token]': 'tok_visa',
      use_stripe_sdk: 'true',
    });
  });

  it('reads a card_error as a decline with the issuer’s decline code', async () => {
    const declined = paymentIntent({
      status: 'requires_payment_method',
      last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds' },
    });
    answer(402, cardDeclined('insufficient_funds', declined));

    expect(await gateway().confirmPayment(PI, confirmation)).toEqual({
      status: 'declined',
      reason: 'insufficient_funds',
    });
  });

  it('reads requires_action as a wait for the holder, with the client secret for Stripe.js', async () => {
    answer(
      200,
      paymentIntent({
        status: 'requires_action',
        next_action: { type: 'use_stripe_sdk', use_stripe_sdk: {} },
      }),
    );

    expect(await gateway().confirmPayment(PI, confirmation)).toEqual({
      status: 'requires_action',
      nextAction: { type: 'use_stripe_sdk', clientSecret: paymentIntent().client_secret },
    });
  });

  it('reads a payment method Stripe does not know (or of another type) as a decline', async () => {
    answer(
      400,
      invalidRequest({ code: 'resource_missing', message: "No such PaymentMethod: 'pm_x'", param: 'payment_method' }),
    );

    expect(await gateway().confirmPayment(PI, confirmation)).toEqual({
      status: 'declined',
      reason: 'resource_missing',
    });
  });

  it('answers what a PaymentIntent already is when Stripe says it cannot be confirmed again', async () => {
    answer(
      400,
      invalidRequest({
        code: 'payment_intent_unexpected_state',
        message:
          'You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.',
        payment_intent: paymentIntent({ status: 'succeeded' }),
      }),
    );

    expect(await gateway().confirmPayment(PI, confirmation)).toEqual({ status: 'succeeded', chargeId: PI });
  });

  it('does not take an idempotency key reused with other parameters for a decline', async () => {
    answer(400, {
      error: {
        type: 'idempotency_error',
        message:
          "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than 'order-ORDER0000001-confirm' if you meant to execute a different request.",
      },
    });

    await expect(gateway().confirmPayment(PI, confirmation)).rejects.toMatchObject({ type: 'StripeIdempotencyError' });
  });
});

describe('confirmPayment off session (an automatic renewal)', () => {
  const CUSTOMER = publishedCustomer().id;
  const SAVED = publishedPaymentMethod().id;
  const offSession = { ...confirmation, credential: { paymentMethod: SAVED }, offSession: true };

  it('confirms the saved PaymentMethod with off_session (no Stripe.js next action) and answers what stays saved', async () => {
    answer(
      200,
      paymentIntent({
        status: 'succeeded',
        amount_received: 610,
        latest_charge: 'ch_1',
        customer: CUSTOMER,
        payment_method: SAVED,
      }),
    );

    expect(await gateway().confirmPayment(PI, offSession)).toEqual({
      status: 'succeeded',
      chargeId: PI,
      saved: { customerId: CUSTOMER, paymentMethod: SAVED },
    });
    expect(Object.fromEntries(requests[0]?.form ?? [])).toEqual({ payment_method: SAVED, off_session: 'true' });
  });

  it('a card that needs authentication is declined by Stripe (card_error authentication_required): a decline', async () => {
    const declined = paymentIntent({
      customer: CUSTOMER,
      payment_method: SAVED,
      last_payment_error: {
        type: 'card_error',
        code: 'authentication_required',
        decline_code: 'authentication_required',
      },
    });
    answer(402, authenticationRequired(declined));

    expect(await gateway().confirmPayment(PI, offSession)).toEqual({
      status: 'declined',
      reason: 'authentication_required',
    });
  });

  it('a PaymentIntent that would wait for the holder is declined as authentication_required, never a wait', async () => {
    answer(
      200,
      paymentIntent({ status: 'requires_action', next_action: { type: 'use_stripe_sdk', use_stripe_sdk: {} } }),
    );

    expect(await gateway().confirmPayment(PI, offSession)).toEqual({
      status: 'declined',
      reason: 'authentication_required',
    });
  });
});

describe('findPayment', () => {
  it.each([
    ['requires_confirmation (never attempted)', paymentIntent({ status: 'requires_confirmation' }), undefined],
    ['requires_payment_method (never attempted)', paymentIntent(), undefined],
    [
      'requires_payment_method after a decline',
      paymentIntent({
        last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline' },
      }),
      { status: 'declined', reason: 'generic_decline' },
    ],
    ['succeeded', paymentIntent({ status: 'succeeded' }), { status: 'succeeded', chargeId: PI }],
    [
      'canceled',
      paymentIntent({ status: 'canceled', cancellation_reason: 'abandoned' }),
      { status: 'declined', reason: 'abandoned' },
    ],
  ])('reads %s', async (_label, intent, expected) => {
    answer(200, intent);

    expect(await gateway().findPayment(PI)).toEqual(expected);

    expect(requests[0]).toMatchObject({ method: 'GET', path: `/v1/payment_intents/${PI}` });
  });

  it('a succeeded PaymentIntent made for a Customer names what stays saved: the Customer and the PaymentMethod used', async () => {
    const customer = publishedCustomer();
    const method = publishedPaymentMethod();
    answer(
      200,
      paymentIntent({
        status: 'succeeded',
        customer: customer.id,
        payment_method: method.id,
        setup_future_usage: 'off_session',
      }),
    );
    // Expanded (`expand[]=customer`), Stripe answers the objects: their ids are read the same.
    answer(200, paymentIntent({ status: 'succeeded', customer, payment_method: method }));

    const saved = { customerId: customer.id, paymentMethod: method.id };
    expect(await gateway().findPayment(PI)).toEqual({ status: 'succeeded', chargeId: PI, saved });
    expect(await gateway().findPayment(PI)).toEqual({ status: 'succeeded', chargeId: PI, saved });
  });

  it('asks again later about a PaymentIntent still processing', async () => {
    answer(200, paymentIntent({ status: 'processing' }));

    await expect(gateway().findPayment(PI)).rejects.toMatchObject({ name: ErrorName.PaymentGatewayUnavailableError });
  });
});

describe('cancelPayment', () => {
  it('cancels as abandoned, which is a decline', async () => {
    answer(200, paymentIntent({ status: 'canceled', cancellation_reason: 'abandoned' }));

    expect(await gateway().cancelPayment(PI)).toEqual({ status: 'declined', reason: 'abandoned' });

    expect(requests[0]?.path).toBe(`/v1/payment_intents/${PI}/cancel`);
    expect(requests[0]?.form.get('cancellation_reason')).toBe('abandoned');
  });

  it('answers succeeded when the holder completed it before it could be cancelled', async () => {
    answer(
      400,
      invalidRequest({
        code: 'payment_intent_unexpected_state',
        message: 'You cannot cancel this PaymentIntent because it has a status of succeeded.',
        payment_intent: paymentIntent({ status: 'succeeded' }),
      }),
    );

    expect(await gateway().cancelPayment(PI)).toEqual({ status: 'succeeded', chargeId: PI });
  });
});

describe('Stripe failures', () => {
  it('rate limiting is transient: PaymentGatewayUnavailableError, retried by the workflow', async () => {
    answer(429, {
      error: {
        type: 'invalid_request_error',
        code: 'rate_limit',
        message: 'Too many requests hit the API too quickly.',
      },
    });

    await expect(gateway().findPayment(PI)).rejects.toMatchObject({ name: ErrorName.PaymentGatewayUnavailableError });
  });

  it('a 5xx is retried once by the client with the same idempotency key, then is transient', async () => {
    answer(500, { error: { type: 'api_error', message: 'Something went wrong on Stripe’s end.' } });
    answer(500, { error: { type: 'api_error', message: 'Something went wrong on Stripe’s end.' } });

    await expect(gateway().createPayment(request)).rejects.toMatchObject({
      name: ErrorName.PaymentGatewayUnavailableError,
    });
    expect(requests.map((sent) => sent.headers['idempotency-key'])).toEqual([
      'order-ORDER0000001',
      'order-ORDER0000001',
    ]);
  });

  it('no connection is transient', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));

    await expect(gateway({ url }).findPayment(PI)).rejects.toMatchObject({
      name: ErrorName.PaymentGatewayUnavailableError,
    });
  });

  it('a refused key is not transient and not a decline', async () => {
    answer(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_****unit' } });

    const error = await gateway()
      .findPayment(PI)
      .catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ type: 'StripeAuthenticationError' });
  });
});

describe('the key and the stage', () => {
  it.each([
    ['a sandbox refuses a live key', { key: 'sk_live_abc', sandbox: true }, /must be a test key/],
    ['a real stage refuses a test key', { key: 'sk_test_abc', sandbox: false }, /must be a live key/],
  ])('%s, before calling Stripe', async (_label, options, message) => {
    await expect(gateway(options).findPayment(PI)).rejects.toThrow(message);
    expect(requests).toEqual([]);
  });

  it('a real stage takes a live restricted key', async () => {
    answer(200, paymentIntent({ status: 'succeeded' }));

    expect(await gateway({ key: 'rk_live_abc', sandbox: false }).findPayment(PI)).toMatchObject({
      status: 'succeeded',
    });
    expect(requests[0]?.headers.authorization).toBe('Bearer rk_live_abc');
  });
});

describe('refundPayment', () => {
  /** The published Refund as the refund of this product's PaymentIntent, with the given changes. */
  const refundOf = (changes: Record<string, unknown> = {}) => ({
    ...publishedRefund(),
    amount: 610,
    currency: 'eur',
    payment_intent: PI,
    ...changes,
  });

  it('refunds the whole PaymentIntent (POST /v1/refunds with payment_intent) under the order’s refund key', async () => {
    answer(200, refundOf());

    expect(await gateway().refundPayment(PI, { idempotencyKey: 'refund-ORDER0000001' })).toEqual({
      refundId: publishedRefund().id,
      status: 'succeeded',
    });
    const [sent] = requests;
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/v1/refunds');
    expect(Object.fromEntries(sent?.form ?? [])).toEqual({ payment_intent: PI });
    expect(sent?.headers['idempotency-key']).toBe('refund-ORDER0000001');
  });

  it.each([
    ['pending', 'pending'],
    ['requires_action', 'pending'],
    ['failed', 'failed'],
    ['canceled', 'failed'],
  ] as const)('reads a %s refund as %s', async (status, outcome) => {
    answer(200, refundOf({ status }));

    expect((await gateway().refundPayment(PI, { idempotencyKey: 'refund-ORDER0000001' })).status).toBe(outcome);
  });

  it('Stripe unavailable is PaymentGatewayUnavailableError (the closing is retried, the key refunds once)', async () => {
    answer(500, { error: { type: 'api_error', message: 'An unknown error occurred' } });
    answer(500, { error: { type: 'api_error', message: 'An unknown error occurred' } });
    answer(500, { error: { type: 'api_error', message: 'An unknown error occurred' } });

    await expect(gateway().refundPayment(PI, { idempotencyKey: 'refund-ORDER0000001' })).rejects.toMatchObject({
      name: ErrorName.PaymentGatewayUnavailableError,
    });
  });
});
