import * as z from 'zod';

/** UTF-16 text without a lone surrogate (what `String.prototype.isWellFormed` checks). */
const WELL_FORMED = /^(?:[^\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;

/**
 * What is read of a Stripe event, checked: an event's id, type and time, and of its object (a
 * PaymentIntent or a Charge) the ids, amount, currency and `metadata.orderId` (or `metadata.topUpId`). Anything else in the
 * event is left as Stripe sent it. Bounds keep a signed but odd event from reaching the table or the
 * audit trail with keys they cannot hold.
 */
export const StripeEventSchema = z
  .object({
    id: z.string().regex(/^evt_[A-Za-z0-9_]{1,200}$/, 'A Stripe event id: evt_ and letters, digits or _.'),
    type: z.string().min(1).max(100),
    created: z.number().int().min(0).max(99_999_999_999),
    data: z.object({
      object: z.looseObject({
        object: z.string().max(100).optional().catch(undefined),
        id: z.string().max(255).optional().catch(undefined),
        payment_intent: z
          .union([z.string().max(255), z.looseObject({ id: z.string().max(255) }).transform(({ id }) => id)])
          .nullish()
          .catch(undefined),
        amount: z.number().int().min(0).max(99_999_999_999).optional().catch(undefined),
        amount_refunded: z.number().int().min(0).max(99_999_999_999).optional().catch(undefined),
        currency: z
          .string()
          .regex(/^[A-Za-z]{3}$/)
          .optional()
          .catch(undefined),
        metadata: z
          // Well-formed text only: a lone surrogate cannot be part of an S3 key (the audit trail's),
          // and names no order of ours.
          .looseObject({
            orderId: z.string().min(1).max(64).regex(WELL_FORMED).optional().catch(undefined),
            // A reseller's top-up charged by card or PayPal names itself, never an order.
            topUpId: z.string().min(1).max(64).regex(WELL_FORMED).optional().catch(undefined),
          })
          .optional()
          .catch(undefined),
      }),
    }),
  })
  .meta({
    description:
      'A Stripe Event (docs.stripe.com/api/events/object), as Stripe sends and signs it; only these fields are read.',
  });
