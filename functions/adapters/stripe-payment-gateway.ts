import Stripe from 'stripe';
import * as z from 'zod';
import { PaymentGatewayUnavailableError } from '../domain/errors.ts';
import { AUTHENTICATION_REQUIRED, type PaymentCredential } from '../domain/payment-methods.ts';
import type { ChargeResult, PaymentGateway } from '../use-cases/ports.ts';
import { stripeClients } from './clients/stripe.ts';
import { secretValue, withSecretVariables } from './secret-value.ts';

/**
 * The variables of the Stripe adapter, over the rest of a function's variables `shape`: the secret
 * key (STRIPE_SECRET_KEY_ARN in AWS, STRIPE_SECRET_KEY locally), whether the stage is a sandbox
 * (STRIPE_SANDBOX: test keys only; otherwise live keys only) and, in a sandbox only, where the
 * Stripe API is (STRIPE_API_URL; api.stripe.com when absent).
 */
export const withStripeVariables = <Shape extends z.ZodRawShape>(shape: Shape) =>
  withSecretVariables('STRIPE_SECRET_KEY', {
    ...shape,
    STRIPE_SANDBOX: z.enum(['true', 'false']),
    STRIPE_API_URL: z.url().optional(),
  });

export interface StripeGatewaySettings {
  /** The Stripe secret key (from Secrets Manager, cached). */
  secretKey: () => Promise<string>;
  /** A sandbox takes only test keys (no money moves); any other stage only live keys. */
  sandbox: boolean;
  /** One Stripe client per key (`clients/stripe.ts`). */
  client: (secretKey: string) => Stripe;
}

/**
 * The payment gateway on Stripe: one PaymentIntent per order, card or PayPal (a Stripe payment
 * method type of its own), in euro.
 *
 * - `createPayment`: `POST /v1/payment_intents` (`allowed_payment_method_types`: card or paypal)
 *   with the order's idempotency key and its id in `metadata.orderId` (a reseller's top-up: its id in
 *   `metadata.topUpId`, so Stripe's events name the top-up, never an order); nothing is charged (no confirmation), so the id can be kept on the order
 *   before any money is asked for. A payment that saves its method for automatic renewals first
 *   creates the holder's Customer (`POST /v1/customers`, under its own idempotency key) and names
 *   it with `setup_future_usage: off_session`; an off-session charge names the saved one's Customer.
 * - `confirmPayment`: `POST /v1/payment_intents/{id}/confirm` with the PaymentMethod (`pm_...`) or,
 *   for an older token (`tok_...`), `payment_method_data[card][token]`, and `use_stripe_sdk` so a
 *   3-D Secure challenge is answered as `next_action.type = use_stripe_sdk` for Stripe.js. Off
 *   session (the holder away), `off_session: true` instead: Stripe then refuses a payment that needs
 *   authentication with a `card_error` `authentication_required`, a decline.
 * - `findPayment`: `GET /v1/payment_intents/{id}`, strongly consistent (the Search API is not: it may
 *   lag by a minute, and an idempotency key is only kept for 24 hours), hence the id on the order.
 * - `cancelPayment`: `POST /v1/payment_intents/{id}/cancel`.
 * - `refundPayment`: `POST /v1/refunds` with `payment_intent` (the whole amount) and the order's
 *   refund idempotency key, so a retried closing refunds once.
 *
 * A decline (`card_error`, `authentication_required` off session included, or a payment method Stripe refuses for this PaymentIntent) is an outcome;
 * Stripe's transient errors (rate limit, connection, 5xx) are PaymentGatewayUnavailableError, which
 * the workflow retries; anything else (a refused key, an idempotency key reused with other
 * parameters) is a plain error, retried and then failing the order without a charge.
 */
export function stripePaymentGateway(settings: StripeGatewaySettings): PaymentGateway {
  const stripe = async () => settings.client(checkedKey(await settings.secretKey(), settings.sandbox));

  return {
    async createPayment(request) {
      const { saveFor } = request;
      const metadata: Record<string, string> =
        'topUpId' in request ? { topUpId: request.topUpId } : { orderId: request.orderId };
      const customer = saveFor
        ? (
            await call(async () =>
              (
                await stripe()
              ).customers.create({ email: saveFor.email, metadata }, { idempotencyKey: saveFor.idempotencyKey }),
            )
          ).id
        : request.customerId;
      const intent = await call(async () =>
        (await stripe()).paymentIntents.create(
          {
            amount: request.amountCents,
            currency: request.currency.toLowerCase(),
            allowed_payment_method_types: [request.method],
            description: request.description,
            metadata,
            ...(customer ? { customer } : {}),
            ...(saveFor ? { setup_future_usage: 'off_session' as const } : {}),
          },
          { idempotencyKey: request.idempotencyKey },
        ),
      );
      return intent.id;
    },

    async confirmPayment(paymentId, { idempotencyKey, credential, offSession }) {
      let intent: Stripe.PaymentIntent;
      try {
        intent = await call(async () =>
          (await stripe()).paymentIntents.confirm(
            paymentId,
            { ...credentialParams(credential), ...(offSession ? { off_session: true } : { use_stripe_sdk: true }) },
            { idempotencyKey },
          ),
        );
      } catch (error) {
        const refused = refusal(error);
        if (refused) return refused;
        throw error;
      }
      const result = outcomeOf(intent);
      if (!result) throw new Error(`The PaymentIntent ${paymentId} is ${intent.status} after its confirmation.`);
      // Off session nobody can authenticate: Stripe declines instead, and so does this adapter.
      if (offSession && result.status === 'requires_action')
        return { status: 'declined', reason: AUTHENTICATION_REQUIRED };
      return result;
    },

    async findPayment(paymentId) {
      return outcomeOf(await call(async () => (await stripe()).paymentIntents.retrieve(paymentId)));
    },

    async cancelPayment(paymentId) {
      let intent: Stripe.PaymentIntent;
      try {
        intent = await call(async () =>
          (await stripe()).paymentIntents.cancel(paymentId, { cancellation_reason: 'abandoned' }),
        );
      } catch (error) {
        // Too late to cancel (the holder completed it, or it was cancelled already): what it is now.
        const current = error instanceof Stripe.errors.StripeInvalidRequestError ? error.payment_intent : undefined;
        if (
          error instanceof Stripe.errors.StripeInvalidRequestError &&
          error.code === 'payment_intent_unexpected_state'
        ) {
          intent = current ?? (await call(async () => (await stripe()).paymentIntents.retrieve(paymentId)));
        } else throw error;
      }
      const result = outcomeOf(intent);
      if (!result || result.status === 'requires_action') {
        throw new Error(`The PaymentIntent ${paymentId} is still ${intent.status} after its cancellation.`);
      }
      return result;
    },

    async refundPayment(paymentId, { idempotencyKey }) {
      const refund = await call(async () =>
        (await stripe()).refunds.create({ payment_intent: paymentId }, { idempotencyKey }),
      );
      return { refundId: refund.id, status: refundOutcome(refund.status) };
    },
  };
}

/**
 * What a Refund's status says (Stripe's Refund lifecycle): `succeeded` is given back; `failed` or
 * `canceled` is not (an operator must); `pending` and `requires_action` are under way, and Stripe's
 * `charge.refunded` event reports them done.
 */
function refundOutcome(status: string | null): 'succeeded' | 'pending' | 'failed' {
  if (status === 'succeeded') return 'succeeded';
  return status === 'failed' || status === 'canceled' ? 'failed' : 'pending';
}

/** A sandbox runs on test keys only, a real stage on live keys only: a test key there would take no money. */
function checkedKey(key: string, sandbox: boolean): string {
  const test = /^(sk|rk)_test_/.test(key);
  const live = /^(sk|rk)_live_/.test(key);
  if (sandbox && !test) {
    throw new Error('This stage is a sandbox (STRIPE_SANDBOX=true): its Stripe key must be a test key (sk_test_...).');
  }
  if (!sandbox && !live) {
    throw new Error('This stage takes real payments: its Stripe key must be a live key (sk_live_... or rk_live_...).');
  }
  return key;
}

/**
 * The confirmation's payment method: a PaymentMethod id as it is; an older card token as a card
 * PaymentMethod made from it (`payment_method_data[card][token]`, Stripe's way from tokens to
 * PaymentIntents, which the package's types do not list).
 */
function credentialParams(credential: PaymentCredential): Stripe.PaymentIntentConfirmParams {
  if ('paymentMethod' in credential) return { payment_method: credential.paymentMethod };
  const fromToken = { type: 'card', card: { token: credential.token } };
  return { payment_method_data: fromToken as Stripe.PaymentIntentConfirmParams.PaymentMethodData };
}

/**
 * What a PaymentIntent's status says of the payment (Stripe's PaymentIntent lifecycle):
 * `succeeded` is paid (made for a Customer, with the PaymentMethod it used: what later off-session
 * charges use); `requires_action` waits for the holder; `canceled`, or back to
 * `requires_payment_method` with a `last_payment_error`, is declined; `requires_payment_method` or
 * `requires_confirmation` without an error means nothing was attempted yet (undefined).
 * `processing` is not settled yet: worth asking again later.
 */
export function outcomeOf(intent: Stripe.PaymentIntent): ChargeResult | undefined {
  switch (intent.status) {
    case 'succeeded': {
      const customerId = idOf(intent.customer);
      const paymentMethod = idOf(intent.payment_method);
      return {
        status: 'succeeded',
        chargeId: intent.id,
        ...(customerId && paymentMethod ? { saved: { customerId, paymentMethod } } : {}),
      };
    }
    case 'requires_action':
      return {
        status: 'requires_action',
        nextAction: { type: 'use_stripe_sdk', clientSecret: intent.client_secret ?? '' },
      };
    case 'canceled':
      return { status: 'declined', reason: intent.cancellation_reason ?? 'canceled' };
    case 'requires_payment_method': {
      const error = intent.last_payment_error;
      return error ? { status: 'declined', reason: error.decline_code ?? error.code ?? 'declined' } : undefined;
    }
    case 'requires_confirmation':
      return undefined;
    case 'processing':
      throw new PaymentGatewayUnavailableError(`The PaymentIntent ${intent.id} is still processing.`);
    default:
      // requires_capture: this adapter never asks for a separate capture.
      throw new Error(`The PaymentIntent ${intent.id} is ${intent.status}, which this adapter never asks for.`);
  }
}

/** The id of a field Stripe answers as an id, or as the object when it was expanded. */
const idOf = (field: string | { id: string } | null): string | undefined =>
  typeof field === 'string' ? field : (field?.id ?? undefined);

/**
 * A confirmation Stripe refused for the payment's own sake, as a decline: the card was declined
 * (`card_error`, HTTP 402), or the payment method is one Stripe does not accept for this
 * PaymentIntent (unknown, used already, of another type: an invalid request about `payment_method...`).
 * A confirmation refused because the PaymentIntent moved on (`payment_intent_unexpected_state`)
 * answers what it now is. Anything else is not a decline (undefined).
 */
function refusal(error: unknown): ChargeResult | undefined {
  if (error instanceof Stripe.errors.StripeCardError) {
    return { status: 'declined', reason: error.decline_code ?? error.code ?? 'card_declined' };
  }
  if (error instanceof Stripe.errors.StripeInvalidRequestError) {
    if (error.code === 'payment_intent_unexpected_state' && error.payment_intent) {
      return outcomeOf(error.payment_intent);
    }
    if (error.param?.startsWith('payment_method')) {
      return { status: 'declined', reason: error.code ?? 'invalid_payment_method' };
    }
  }
  return undefined;
}

/** Runs a Stripe call; its transient failures become PaymentGatewayUnavailableError (retried by the workflow). */
async function call<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (
      error instanceof Stripe.errors.StripeRateLimitError ||
      error instanceof Stripe.errors.StripeConnectionError ||
      error instanceof Stripe.errors.StripeAPIError
    ) {
      throw new PaymentGatewayUnavailableError(`Stripe is unavailable: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/** The gateway of a function configured with `withStripeVariables`: its key, its mode, its Stripe. */
export function stripeGatewayFrom(config: {
  STRIPE_SECRET_KEY?: string | undefined;
  STRIPE_SECRET_KEY_ARN?: string | undefined;
  STRIPE_SANDBOX: 'true' | 'false';
  STRIPE_API_URL?: string | undefined;
}): PaymentGateway {
  return stripePaymentGateway({
    secretKey: secretValue(
      { secret: config.STRIPE_SECRET_KEY, secretArn: config.STRIPE_SECRET_KEY_ARN },
      'Stripe secret key',
    ),
    sandbox: config.STRIPE_SANDBOX === 'true',
    client: stripeClients({ apiUrl: config.STRIPE_API_URL }),
  });
}
