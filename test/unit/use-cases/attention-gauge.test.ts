import { describe, expect, it } from 'vitest';
import type { Order } from '../../../functions/domain/order.ts';
import { measureAttention } from '../../../functions/use-cases/attention-gauge.ts';
import { BusinessCount } from '../../../functions/use-cases/business-metrics.ts';
import type { AttentionIndex, ListPosition } from '../../../functions/use-cases/ports.ts';
import { RecordingMetrics } from '../../support/fakes.ts';
import { storedOrder } from '../../support/fixtures.ts';

const now = new Date('2026-11-22T12:00:00.000Z');
const hoursAgo = (hours: number) => new Date(now.getTime() - hours * 3600_000).toISOString();

/** The attention index as its query answers: the orders past their moment, oldest first, in pages. */
function attentionIndex(entries: { order: Order; since: string }[]): AttentionIndex & { queries: number } {
  const sorted = [...entries].sort(
    (a, b) => a.since.localeCompare(b.since) || a.order.orderId.localeCompare(b.order.orderId),
  );
  const index = {
    queries: 0,
    async due(at: Date, query: { limit: number; after?: ListPosition }) {
      index.queries++;
      const past = sorted.filter(({ since }) => since <= at.toISOString());
      const start = query.after
        ? past.findIndex(({ since, order }) => since === query.after?.at && order.orderId === query.after.id) + 1
        : 0;
      const items = past.slice(start, start + query.limit);
      const last = items.at(-1);
      return {
        items,
        ...(start + query.limit < past.length && last ? { next: { at: last.since, id: last.order.orderId } } : {}),
      };
    },
  };
  return index;
}

const activating = (id: string, since: string) => ({
  order: storedOrder(
    { orderId: id, status: 'activating', payment: { method: 'card', status: 'paid', reference: 'RF00ACT' } },
    now,
  ),
  since,
});
const refundToDo = (id: string, since: string) => ({
  order: storedOrder(
    {
      orderId: id,
      status: 'failed',
      payment: { method: 'bank_transfer', status: 'refund_required', reference: 'RF00REFUND' },
    },
    now,
  ),
  since,
});

describe('measureAttention', () => {
  it('counts what needs a person now by reason, reading the index to its end in pages', async () => {
    const entries = [
      ...Array.from({ length: 150 }, (_, i) => activating(`ACT${i}`, hoursAgo(1))),
      refundToDo('REFUNDOLD', hoursAgo(30)),
      refundToDo('REFUNDNEW', hoursAgo(2)),
      { ...activating('FUTURE', hoursAgo(-1)) },
    ];
    const index = attentionIndex(entries);
    const metrics = new RecordingMetrics();

    const gauge = await measureAttention({ attention: index, metrics }, now);

    expect(gauge).toEqual({ needingAttention: 152, activationOverdue: 150, refundsPending: 1 });
    expect(index.queries).toBe(2);
    expect(metrics.counts).toEqual([
      { metric: BusinessCount.OrdersNeedingAttention, value: 152 },
      { metric: BusinessCount.ActivationOverdue, value: 150 },
      { metric: BusinessCount.RefundsPending, value: 1 },
    ]);
  });

  it('reports zeros when nothing needs a person, so an alarm sees the gauge go back down', async () => {
    const metrics = new RecordingMetrics();
    expect(await measureAttention({ attention: attentionIndex([]), metrics }, now)).toEqual({
      needingAttention: 0,
      activationOverdue: 0,
      refundsPending: 0,
    });
    expect(metrics.counts.map(({ value }) => value)).toEqual([0, 0, 0]);
  });
});
