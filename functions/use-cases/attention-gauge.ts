import { attentionReason } from '../domain/attention.ts';
import { BusinessCount, type BusinessMetrics } from './business-metrics.ts';
import type { AttentionIndex } from './ports.ts';

const DAY_MS = 24 * 3600 * 1000;
const PAGE = 100;

export interface AttentionGauge {
  /** Every order past the moment it needed a person. */
  needingAttention: number;
  /** Paid and still not active past the promise (10 minutes, 48 hours on the holder's own domain). */
  activationOverdue: number;
  /** A refund to make, recorded more than a day ago. */
  refundsPending: number;
}

/**
 * What needs a person right now, as gauges for the alarms (every few minutes, by a schedule): the
 * attention index read to its end (one query per page, never a Scan), counted by reason. An order
 * stuck before its activation is alarmed here, while it is stuck, not once it completes late.
 */
export async function measureAttention(
  deps: { attention: AttentionIndex; metrics: BusinessMetrics },
  now: Date,
): Promise<AttentionGauge> {
  const gauge: AttentionGauge = { needingAttention: 0, activationOverdue: 0, refundsPending: 0 };
  const dayAgo = now.getTime() - DAY_MS;
  let after: Parameters<AttentionIndex['due']>[1]['after'];
  do {
    const page = await deps.attention.due(now, { limit: PAGE, ...(after ? { after } : {}) });
    for (const { order, since } of page.items) {
      gauge.needingAttention++;
      const reason = attentionReason(order);
      if (reason === 'activation_overdue') gauge.activationOverdue++;
      if (reason === 'refund_required' && Date.parse(since) <= dayAgo) gauge.refundsPending++;
    }
    after = page.next;
  } while (after);
  // Zeros too: an alarm on a gauge then sees it go back to nothing.
  deps.metrics.count(BusinessCount.OrdersNeedingAttention, gauge.needingAttention);
  deps.metrics.count(BusinessCount.ActivationOverdue, gauge.activationOverdue);
  deps.metrics.count(BusinessCount.RefundsPending, gauge.refundsPending);
  return gauge;
}
