import * as z from 'zod';
import { ORDER_STATUSES, PAYMENT_STATUSES } from './lifecycles.ts';
import { PAYMENT_METHODS } from './payment-methods.ts';
import { EnrolmentSchema, listCursor, listLimit, nextCursor } from './schemas.ts';

/*
 * The operator routes' requests and answers (`/operator/*`, CONTRACT.md "Operators"). Operators see
 * identifiers, statuses and amounts: never the holder's personal data, nor a payment token.
 */

export const ATTENTION_REASONS = [
  'refund_required',
  'payment_overdue',
  'activation_overdue',
  'closing_unfinished',
  'completion_unfinished',
] as const;

export const OperatorOrdersQuerySchema = z.object({
  attention: z
    .literal('true', { error: 'attention=true is required: this list is of the orders that need a person.' })
    .meta({ description: 'Only the orders that need a person (the one list there is).' }),
  limit: listLimit,
  cursor: listCursor,
});
export type OperatorOrdersQuery = z.infer<typeof OperatorOrdersQuerySchema>;

/** A calendar day, `YYYY-MM-DD`, that exists. */
const calendarDay = z
  .string({ error: 'day is a date, YYYY-MM-DD.' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'day is a date, YYYY-MM-DD.' })
  .refine(
    (day) =>
      !Number.isNaN(Date.parse(`${day}T00:00:00Z`)) && new Date(`${day}T00:00:00Z`).toISOString().startsWith(day),
    {
      error: 'day is a date that exists, YYYY-MM-DD.',
    },
  );

export const OperatorAnomaliesQuerySchema = z.object({
  day: calendarDay.meta({
    description: 'The day (UTC) the anomalies were recorded, YYYY-MM-DD.',
    examples: ['2026-11-22'],
  }),
  limit: listLimit,
  cursor: listCursor,
});
export type OperatorAnomaliesQuery = z.infer<typeof OperatorAnomaliesQuerySchema>;

export const RefundDoneRequestSchema = z.object({
  reference: z
    .string({ error: 'reference is the bank or provider reference of the refund made.' })
    .trim()
    .min(1, { error: 'reference is the bank or provider reference of the refund made.' })
    .max(140)
    .meta({
      description: 'The reference of the refund made by hand (the bank transfer CRO/TRN, a provider refund id).',
    }),
});
export type RefundDoneRequest = z.infer<typeof RefundDoneRequestSchema>;

const RefundSchema = z.object({
  status: z.enum(['required', 'refunded']),
  amountCents: z.int(),
  currency: z.literal('EUR'),
  reason: z.string(),
  recordedAt: z.string(),
  refundId: z
    .string()
    .optional()
    .meta({ description: "The provider's refund id, or the reference of one made by hand." }),
  refundedAt: z.string().optional(),
  refundedBy: z.string().optional().meta({ description: 'The operator who recorded a refund made by hand.' }),
});

/** An order as an operator sees it: where it stands, no holder data. */
export const OperatorOrderSchema = z.object({
  orderId: z.string(),
  storefrontId: z.string(),
  kind: z.enum(['new', 'renewal']),
  status: z.enum(ORDER_STATUSES),
  address: z.string(),
  payment: z.object({ method: z.enum(PAYMENT_METHODS), status: z.enum(PAYMENT_STATUSES), reference: z.string() }),
  refund: RefundSchema.optional(),
  failureReason: z.string().optional(),
  createdAt: z.string(),
  paidAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  closedAt: z.string().optional(),
});
export type OperatorOrder = z.infer<typeof OperatorOrderSchema>;

export const AttentionOrderSchema = OperatorOrderSchema.extend({
  reason: z.enum(ATTENTION_REASONS).meta({
    description:
      'refund_required: money to give back; payment_overdue / activation_overdue: past the promise; ' +
      'closing_unfinished / completion_unfinished: the workflow began it and did not finish (redrive it).',
  }),
  since: z.string().meta({ description: 'When it started needing a person.' }),
});
export type AttentionOrder = z.infer<typeof AttentionOrderSchema>;

export const AttentionListSchema = z
  .object({ items: z.array(AttentionOrderSchema), nextCursor })
  .meta({ description: 'The orders that need a person, longest waiting first.' });
export type AttentionList = z.infer<typeof AttentionListSchema>;

export const AnomalySchema = z.object({
  eventId: z.string(),
  type: z.string(),
  orderId: z.string().optional(),
  amountCents: z.int(),
  currency: z.string(),
  occurredAt: z.string(),
  outcome: z
    .string()
    .meta({ description: 'What the event turned out to be (duplicate_credit, credit_for_closed_order...).' }),
  action: z.string().optional().meta({ description: 'refund-required: money that pays no order, to give back.' }),
  payer: z.object({ name: z.string().optional(), iban: z.string().optional() }).optional(),
  finishedAt: z.string(),
});
export const AnomalyListSchema = z
  .object({ day: z.string(), items: z.array(AnomalySchema), nextCursor })
  .meta({ description: 'The payment anomalies recorded that day, in the order they were recorded.' });
export type AnomalyList = z.infer<typeof AnomalyListSchema>;

export const RedriveResultSchema = z.object({
  orderId: z.string(),
  execution: z.string().meta({ description: 'The execution redriven (`<orderId>`, or `<orderId>-2`...).' }),
  failedWith: z.string().optional().meta({ description: 'The error it had ended with.' }),
});
export type RedriveResult = z.infer<typeof RedriveResultSchema>;

export const RESENDABLE_EMAILS = ['order_confirmation', 'payment_instructions', 'first_access'] as const;
export const ResendResultSchema = z.object({
  orderId: z.string(),
  sent: z.array(z.enum(RESENDABLE_EMAILS)).meta({ description: 'The emails sent again, in order.' }),
});
export type ResendResult = z.infer<typeof ResendResultSchema>;

export const OperatorResellersQuerySchema = z.object({
  status: z
    .literal('pending', { error: 'status=pending is required: this list is of the enrolments awaiting a decision.' })
    .meta({ description: 'Only the enrolments awaiting a decision (the one list there is).' }),
  limit: listLimit,
  cursor: listCursor,
});
export type OperatorResellersQuery = z.infer<typeof OperatorResellersQuerySchema>;

export const EnrolmentListSchema = z.object({ items: z.array(EnrolmentSchema), nextCursor }).meta({
  description:
    'The enrolments awaiting a decision, longest waiting first: pending_documents, and approving (an approval that stopped half-way: approve again to finish it).',
});
export type EnrolmentList = z.infer<typeof EnrolmentListSchema>;
